// The teacher stage: zero-shot, stage-1 PromptSRC prompt tuning on the few-shot folder, or prompts
// imported from a file; and the teacher's accuracy on the test folder.
import { exportTeacherPrompts, importTeacherPrompts, type TeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { ZERO_SHOT_TEMPLATES } from '../engine/promptkd/teacher-text.ts';
import type { TeacherSettings } from '../engine/promptkd/teacher-settings.ts';
import { tuneConfigOf, tuneTeacherPrompts } from '../engine/promptkd/teacher-tune.ts';
import { Teacher } from '../engine/promptkd/teacher.ts';
import { evaluateTeacher, type Memo } from '../engine/promptkd/test-eval.ts';
import type { rng } from '../engine/random.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import type { StudioStorage } from '../storage/storage.ts';
import { labeledPixels, testImagesOf, type LabeledSet } from './labeled.ts';
import type { LoadedModel } from './models.ts';
import type { Accuracy, TeacherInfo, TeacherMode } from './protocol.ts';

export interface TeacherStageEnv {
  runtime: Runtime;
  storage: StudioStorage;
  teacher: LoadedModel;
  classes: string[];
  /** the newest test folder, for the teacher's accuracy */
  test: LabeledSet | null;
  onProgress(done: number, total: number, label: string): void;
  memo: Memo;
}

export type TeacherRequest =
  | { mode: 'zero-shot' }
  | { mode: 'import'; file: Blob; name: string }
  | { mode: 'tune'; shots: LabeledSet; settings: TeacherSettings };

/** The teacher's base/new/HM on the test folder. */
export async function teacherAccuracy(env: TeacherStageEnv, prompts: TeacherPrompts | null): Promise<Accuracy | null> {
  const test = env.test;
  if (!test) return null;
  const e = await evaluateTeacher(env.runtime, env.teacher.weights, prompts, testImagesOf(env.storage, test), env.classes, {
    memo: env.memo,
    onProgress: (done, total) => env.onProgress(done, total, 'teacher on the test folder'),
  });
  return { base: e.base, new: e.new, hm: e.hm };
}

/** Sets up the teacher as asked; stores its prompts (none for zero-shot). */
export async function prepareTeacher(
  env: TeacherStageEnv,
  req: TeacherRequest,
): Promise<{ info: TeacherInfo; prompts: TeacherPrompts | null }> {
  const cfg = env.teacher.weights.config;
  let prompts: TeacherPrompts | null = null,
    detail: string;
  const mode: TeacherMode = req.mode;
  if (req.mode === 'zero-shot') {
    detail = `zero-shot CLIP with the prompt "${ZERO_SHOT_TEMPLATES[0]}"`;
  } else if (req.mode === 'import') {
    prompts = await importTeacherPrompts(req.file, cfg, req.name);
    detail = `prompts from ${req.name}`;
  } else {
    const config = tuneConfigOf(req.settings);
    const set = {
      classes: env.classes,
      labels: req.shots.labels,
      pixels: (indices: readonly number[], random: ReturnType<typeof rng> | null) =>
        labeledPixels(env.storage, req.shots, indices, cfg.vision.imageSize, random),
    };
    env.onProgress(0, config.epochs, 'tuning the teacher prompts');
    const result = await tuneTeacherPrompts(env.runtime, env.teacher.weights, set, config, {
      onEpoch: (log) =>
        env.onProgress(
          log.epoch + 1,
          config.epochs,
          `teacher epoch ${log.epoch + 1}/${config.epochs}: loss ${log.loss.toFixed(3)}, train accuracy ${(100 * log.trainAccuracy).toFixed(1)}%`,
        ),
    });
    prompts = result.prompts;
    detail = `PromptSRC prompts tuned on ${result.fewShot.length} labeled images of ${result.trainedClasses.length} base classes for ${result.history.length} epoch${result.history.length === 1 ? '' : 's'}`;
  }
  await env.storage.saveTeacherPrompts(prompts ? exportTeacherPrompts(prompts) : undefined);
  const probe = await Teacher.create(env.runtime, env.teacher.weights, { prompts, templates: ZERO_SHOT_TEMPLATES });
  const promptState = probe.promptState;
  await probe.release();
  return { info: { mode, promptState, detail, accuracy: await teacherAccuracy(env, prompts) }, prompts };
}
