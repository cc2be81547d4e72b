// `promptkd teacher`: stage 1 of PromptKD on the command line. Tunes PromptSRC prompts on both towers
// of a teacher CLIP from a labeled folder (class_name/*.png|jpg, classes sorted by name; by default
// the first ⌈n/2⌉ are the base classes it trains on) and writes them as safetensors under the
// PromptSRC/PromptKD state-dict names. With --test it reports zero-shot and tuned base/new/HM.
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags } from './flags.ts';
import { applyFlags, cliHelp, cliOptions } from '../engine/settings/table.ts';
import { PROMPTSRC_SETTINGS, TEACHER_SETTINGS } from '../engine/promptkd/teacher-settings.ts';
import type { NodeBackend } from '../engine/runtime/node.ts';
import { BACKEND_HELP, openBackend, parseBackend } from './backend.ts';
import type { Evaluation } from '../engine/promptkd/metrics.ts';
import { evaluateTeacher } from '../engine/promptkd/test-eval.ts';
import { evaluationSummary, formatEvaluation, formatPercent } from './evaluation-lines.ts';
import { exportTeacherPrompts, planTeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { tuneConfigOf, tuneTeacherPrompts, type LabeledImageSet, type TeacherTuneConfig } from '../engine/promptkd/teacher-tune.ts';
import { describeSkipped, FolderError, scanLabeled, type LabeledFolder } from './promptkd-folders.ts';
import { folderTestImages, loadPixels } from './promptkd-images.ts';
import { loadModelDir } from './promptkd-models.ts';

export const TEACHER_USAGE = `usage: promptkd teacher --labeled DIR --teacher DIR [--out FILE] [--test DIR] [options]

  --labeled DIR       labeled images, class_name/*.png|jpg; the shots per base class are sampled (seeded)
  --teacher DIR       teacher CLIP (Hugging Face folder: config.json + model.safetensors), or a Hub id
                      owner/name[@revision], downloaded into the cache (docs/downloads.md)
  --hub-token T       an access token for a gated or private Hub model (default: the HF_TOKEN variable)
  --out FILE          tuned prompts, safetensors (default teacher-prompts.safetensors)
  --test DIR          labeled test images (same classes): zero-shot and tuned base/new/HM
${BACKEND_HELP}
settings (PromptSRC's defaults):
${cliHelp(TEACHER_SETTINGS, PROMPTSRC_SETTINGS).join('\n')}`;

export class TeacherCommandError extends Error {
  override name = 'TeacherCommandError';
}

export interface TeacherArgs {
  labeled: string;
  teacher: string;
  /** an access token for a gated or private Hub teacher */
  hubToken?: string;
  out: string;
  test?: string;
  config: TeacherTuneConfig;
  backend: NodeBackend;
}

export function parseTeacherArgs(argv: readonly string[]): TeacherArgs {
  const options = {
    labeled: { type: 'string' },
    teacher: { type: 'string' },
    'hub-token': { type: 'string' },
    out: { type: 'string', default: 'teacher-prompts.safetensors' },
    test: { type: 'string' },
    backend: { type: 'string', default: 'cpu' },
    ...cliOptions(TEACHER_SETTINGS),
  } as const;
  const fail = (m: string) => new TeacherCommandError(m);
  const values = parseFlags(argv, options, fail);
  for (const req of ['labeled', 'teacher'] as const)
    if (!values[req]) throw new TeacherCommandError(`--${req} is required\n${TEACHER_USAGE}`);
  const config = tuneConfigOf(applyFlags(TEACHER_SETTINGS, values, PROMPTSRC_SETTINGS, fail).settings);
  return {
    labeled: values.labeled as string,
    teacher: values.teacher as string,
    ...(values['hub-token'] ? { hubToken: values['hub-token'] as string } : {}),
    out: values.out as string,
    test: values.test as string | undefined,
    config,
    backend: parseBackend(values.backend, fail),
  };
}

/** scanLabeled words its messages for the distillation's test folder */
function scanFolder(dir: string, role: string): LabeledFolder {
  try {
    return scanLabeled(dir);
  } catch (e) {
    if (e instanceof FolderError) throw new TeacherCommandError(e.message.replace(/^test folder/, `${role} folder`));
    throw e;
  }
}

function folderSet(folder: LabeledFolder, size: number): LabeledImageSet {
  return {
    classes: folder.classes,
    labels: folder.images.map((i) => i.label),
    pixels: (indices, random) =>
      loadPixels(
        folder.dir,
        indices.map((i) => ({
          file: folder.images[i]!.file,
          augmentSeed: random ? random.int(2 ** 31) : null,
        })),
        size,
      ),
  };
}

const format = (e: Evaluation) => formatEvaluation(evaluationSummary(e, 'base2new'));

export async function runTeacher(a: TeacherArgs, log: (line: string) => void): Promise<Record<string, unknown>> {
  const labeled = scanFolder(a.labeled, 'labeled');
  const skipped = describeSkipped(a.labeled, labeled.skipped);
  if (skipped) log(skipped);
  const test = a.test ? scanFolder(a.test, 'test') : null;
  if (test && test.classes.join() !== labeled.classes.join()) {
    throw new TeacherCommandError(
      `the test folder's classes (${test.classes.join(', ')}) differ from the labeled folder's (${labeled.classes.join(', ')})`,
    );
  }
  if (fs.existsSync(a.out) && fs.statSync(a.out).isDirectory())
    throw new TeacherCommandError(`--out ${a.out} is a folder; name a .safetensors file`);
  const clip = await loadModelDir(a.teacher, 'teacher', ['vision', 'text'], a.hubToken);
  for (const note of planTeacherPrompts(clip.config, a.config).notes) log(`note: ${note}`);
  const rt = await openBackend(a.backend, log);
  const started = Date.now();
  const result = await tuneTeacherPrompts(rt, clip, folderSet(labeled, clip.config.vision.imageSize), a.config, {
    onEpoch: (e) =>
      log(
        `epoch ${e.epoch + 1}/${a.config.epochs}  lr ${e.lr.toExponential(2)}  loss ${e.loss.toFixed(4)}  ce ${e.ce.toFixed(4)}  train acc ${formatPercent(e.trainAccuracy)}`,
      ),
  });
  fs.mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true });
  fs.writeFileSync(
    a.out,
    exportTeacherPrompts(result.prompts, { trained_classes: result.trainedClasses.join(','), seed: String(a.config.seed) }),
  );
  log(
    `wrote ${a.out} (${result.fewShot.length} few-shot images of ${result.trainedClasses.length} classes, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  const report: Record<string, unknown> = {
    device: rt.device,
    out: path.resolve(a.out),
    trainedClasses: result.trainedClasses,
    history: result.history,
    notes: result.plan.notes,
  };
  if (test) {
    const testImages = folderTestImages(test);
    const zeroShot = await evaluateTeacher(rt, clip, null, testImages, test.classes);
    const tuned = await evaluateTeacher(rt, clip, result.prompts, testImages, test.classes);
    log(`teacher zero-shot: ${format(zeroShot)}`);
    log(`teacher tuned:     ${format(tuned)}`);
    report.evaluation = {
      zeroShot: { base: zeroShot.base, new: zeroShot.new, hm: zeroShot.hm },
      tuned: { base: tuned.base, new: tuned.new, hm: tuned.hm },
    };
  }
  return report;
}

export async function teacherCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(TEACHER_USAGE);
    return 0;
  }
  await runTeacher(parseTeacherArgs(argv), (line) => console.error(line));
  return 0;
}
