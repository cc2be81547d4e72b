// `promptkd distill`: distill a teacher CLIP into a student CLIP's prompts and projector on an
// unlabeled image folder, evaluating base/new/HM on a labeled test folder when one is given.
//
// Files in the output folder are only ever replaced whole (written beside, then renamed), so an
// interrupted or failed run leaves the last checkpoint and report intact.
import { logitScaleOf } from '../engine/clip/weights.ts';
import fs from 'node:fs';
import path from 'node:path';
import { SafetensorsError } from '../engine/clip/safetensors.ts';
import { CheckpointError, readCheckpoint, readCheckpointInfo, writeCheckpoint } from '../engine/promptkd/checkpoint.ts';
import { validateDistillConfig, type DistillConfig } from '../engine/promptkd/config.ts';
import { Distiller, type TrainImages, type TrainView } from '../engine/promptkd/distill.ts';
import { baseNewSplit, evaluate, type Evaluation } from '../engine/promptkd/metrics.ts';
import { StudentSession } from '../engine/promptkd/session.ts';
import { initStudentState } from '../engine/promptkd/state.ts';
import { studentDims, type StudentHyper } from '../engine/promptkd/student.ts';
import { TeacherLogitCache } from '../engine/promptkd/teacher-cache.ts';
import { ZERO_SHOT_TEMPLATES } from '../engine/promptkd/teacher-text.ts';
import { importTeacherPrompts, TeacherPromptError } from '../engine/promptkd/teacher-prompts.ts';
import { Teacher } from '../engine/promptkd/teacher.ts';
import type { ClipConfig } from '../engine/clip/config.ts';
import { rng } from '../engine/random.ts';
import type { NodeBackend } from '../engine/runtime/node.ts';
import { openBackend } from './backend.ts';
import type { HostTensor } from '../engine/runtime/tensor.ts';
import { describeSkipped, scanLabeled, scanUnlabeled, type LabeledFolder } from './promptkd-folders.ts';
import { loadPixels } from './promptkd-images.ts';
import { loadModelDir } from './promptkd-models.ts';
import { Progress } from './promptkd-progress.ts';

export interface DistillArgs {
  unlabeled: string;
  test?: string;
  /** class names when there is no test folder (label order) */
  classes?: string[];
  student: string;
  teacher: string;
  /** tuned teacher prompts (safetensors); zero-shot templates when absent */
  teacherPrompts?: string;
  out: string;
  resume?: string;
  config: DistillConfig;
  /** hyperparameters named on the command line (the rest are defaults) */
  given: ReadonlySet<keyof DistillConfig>;
  evalBatch: number;
  /** evaluate every n epochs (and after the last) */
  evalEvery: number;
  backend: NodeBackend;
  /** the teacher's image tower */
  teacherPrecision: 'float32' | 'float16';
}

export class DistillError extends Error {
  override name = 'DistillError';
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const REPORT_FILE = 'report.json';

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.partial-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

async function loadTeacherPrompts(file: string, cfg: ClipConfig) {
  if (!fs.existsSync(file)) throw new DistillError(`teacher prompt file ${file} does not exist`);
  try {
    return await importTeacherPrompts(await fs.openAsBlob(file), cfg, file);
  } catch (e) {
    if (e instanceof TeacherPromptError || e instanceof SafetensorsError) throw new DistillError(`cannot use ${file} as teacher prompts: ${e.message}`);
    throw e;
  }
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
export const formatEvaluation = (e: Evaluation): string => `base ${pct(e.base)}  new ${pct(e.new)}  HM ${pct(e.hm)}`;
const summary = (e: Evaluation) => ({ base: e.base, new: e.new, hm: e.hm, perClass: e.perClass, confusion: e.confusion, counts: e.counts });

export async function runDistill(a: DistillArgs, log: (line: string) => void, progress = new Progress(process.stderr)): Promise<Record<string, unknown>> {
  const startedAt = Date.now();
  // ---- inputs -------------------------------------------------------------------------------------
  const outDir = a.out;
  const ckptPath = path.join(outDir, CHECKPOINT_FILE);
  if (!a.resume && fs.existsSync(ckptPath)) {
    throw new DistillError(`${outDir} already holds a run (${CHECKPOINT_FILE}); continue it with --resume ${ckptPath} or choose another --out`);
  }
  const unlabeled = scanUnlabeled(a.unlabeled);
  const skippedLine = describeSkipped(a.unlabeled, unlabeled.skipped);
  if (skippedLine) log(skippedLine);
  let test: LabeledFolder | null = null;
  if (a.test) {
    test = scanLabeled(a.test);
    const line = describeSkipped(a.test, test.skipped);
    if (line) log(line);
  }
  const classes = test?.classes ?? a.classes;
  if (!classes || classes.length < 2) throw new DistillError('name at least 2 classes: give a labeled --test folder or --classes a,b,…');
  if (test && a.classes && a.classes.join() !== test.classes.join()) {
    throw new DistillError(`--classes (${a.classes.join(', ')}) differ from the test folder's classes (${test.classes.join(', ')})`);
  }

  const student = await loadModelDir(a.student, 'student', ['vision']);
  const teacherW = await loadModelDir(a.teacher, 'teacher', ['vision', 'text']);

  // ---- resume: the checkpoint's settings win, except a longer --epochs -----------------------------
  let config = validateDistillConfig(a.config);
  let resumeFrom: Awaited<ReturnType<typeof readCheckpoint>> | null = null;
  const teacherDim = teacherW.config.embedDim;
  // without --logit-scale the student's logits use its own CLIP logit scale, as PromptKD's code does
  const logitScale = (c: DistillConfig) => (a.given.has('logitScale') ? c.logitScale : logitScaleOf(student));
  const hyperOf = (c: DistillConfig): StudentHyper => ({ ...c, logitScale: logitScale(c), teacherDim, nClasses: classes.length });
  if (a.resume) {
    if (!fs.existsSync(a.resume)) throw new DistillError(`checkpoint ${a.resume} does not exist`);
    try {
      const blob = await fs.openAsBlob(a.resume);
      const saved = (await readCheckpointInfo(blob)).config;
      // flags given now must fit the checkpoint; flags left out take its values
      const wanted = { ...saved, ...Object.fromEntries([...a.given].map((k) => [k, a.config[k]])) } as DistillConfig;
      resumeFrom = await readCheckpoint(blob, studentDims(student, hyperOf(wanted)));
      const ignored = [...a.given].filter((k) => k !== 'epochs' && saved[k] !== a.config[k]);
      if (ignored.length) log(`resuming with the checkpoint's ${ignored.map((k) => `${k} ${saved[k]}`).join(', ')} (ignoring the flags)`);
      config = validateDistillConfig({ ...saved, epochs: wanted.epochs });
    } catch (e) {
      if (e instanceof CheckpointError || e instanceof SafetensorsError) throw new CheckpointError(`cannot resume from ${a.resume}: ${e.message}`);
      throw e;
    }
  }
  const hyper = hyperOf(config);
  const dims = studentDims(student, hyper);

  // ---- teacher ----------------------------------------------------------------------------------
  fs.mkdirSync(outDir, { recursive: true });
  const rt = await openBackend(a.backend, log);
  if (a.teacherPrecision === 'float16' && rt.device.shaderF16 === false) {
    throw new DistillError(`--teacher-fp16 needs a GPU with shader-f16, and ${rt.device.adapter} has none; leave the flag out`);
  }
  const prompts = a.teacherPrompts ? await loadTeacherPrompts(a.teacherPrompts, teacherW.config) : null;
  const teacher = await Teacher.create(rt, teacherW, { prompts, templates: ZERO_SHOT_TEMPLATES, imageBatch: config.batchSize, precision: a.teacherPrecision });
  const teacherKind = prompts ? 'tuned prompts' : 'zero-shot';
  const teacherSize = teacherW.config.vision.imageSize;
  const teacherSource = teacher.logitsSource<TrainView>(classes, (views) =>
    loadPixels(unlabeled.dir, views.map((v) => ({ file: v.imageId, augmentSeed: v.augmentSeed })), teacherSize));
  const trainImages: TrainImages = {
    ids: unlabeled.images,
    pixels: (views) => loadPixels(unlabeled.dir, views.map((v) => ({ file: v.imageId, augmentSeed: v.augmentSeed })), student.config.vision.imageSize),
  };

  // ---- student ----------------------------------------------------------------------------------
  const initial = resumeFrom?.state ?? initStudentState(dims, rng(config.seed));
  const session = await StudentSession.create(rt, {
    clip: student, hyper, batch: config.batchSize, evalBatch: a.evalBatch, teacherText: await teacher.textFeatures(classes), initial,
  });
  const cache = new TeacherLogitCache();
  const distiller = new Distiller(config, session, teacherSource, cache, trainImages);

  const split = baseNewSplit(classes.length);
  const evalOn = async (logitsOf: (px: HostTensor) => Promise<HostTensor>, size: number) => {
    if (!test) return null;
    const C = classes.length, logits = new Float32Array(test.images.length * C);
    for (let at = 0; at < test.images.length; at += a.evalBatch) {
      const chunk = test.images.slice(at, at + a.evalBatch);
      const px = await loadPixels(test.dir, chunk.map((i) => ({ file: i.file, augmentSeed: null })), size);
      logits.set((await logitsOf(px)).data as Float32Array, at * C);
    }
    return evaluate(logits, test.images.map((i) => i.label), split);
  };

  const report: Record<string, unknown> = {
    command: 'distill',
    device: rt.device,
    student: { dir: path.resolve(a.student), config: student.config },
    teacher: { kind: teacherKind, precision: a.teacherPrecision, dir: path.resolve(a.teacher), prompts: a.teacherPrompts && path.resolve(a.teacherPrompts), templates: ZERO_SHOT_TEMPLATES, modelId: teacher.modelId, embedDim: teacherDim, logitScale: teacher.logitScale },
    config: { ...config, logitScale: hyper.logitScale },
    classes: { names: classes, base: split.base.map((i) => classes[i]), new: split.new.map((i) => classes[i]) },
    data: {
      unlabeled: { dir: path.resolve(a.unlabeled), images: unlabeled.images.length, skipped: unlabeled.skipped },
      test: test && { dir: path.resolve(test.dir), images: test.images.length, skipped: test.skipped },
      stepsPerEpoch: distiller.stepsPerEpoch, totalSteps: distiller.totalSteps,
    },
    resumedFrom: resumeFrom && { file: path.resolve(a.resume!), step: resumeFrom.info.step, epoch: resumeFrom.info.epoch },
    epochs: [] as unknown[],
  };
  const saveReport = () => writeAtomic(path.join(outDir, REPORT_FILE), `${JSON.stringify(report, null, 1)}\n`);

  try {
    const teacherEval = await evalOn((px) => teacher.logits(px, classes), teacherSize);
    if (teacherEval) {
      log(`teacher (${teacherKind}): ${formatEvaluation(teacherEval)}`);
      (report.teacher as Record<string, unknown>).evaluation = summary(teacherEval);
    }
    let lossSum = 0, lossCount = 0;
    const firstStep = resumeFrom?.info.step ?? 0;
    if (firstStep >= distiller.totalSteps) log(`the checkpoint is already at step ${firstStep} of ${distiller.totalSteps}; raise --epochs to train further`);
    progress.start(firstStep, distiller.totalSteps);
    const latest: { evaluation: Evaluation | null } = { evaluation: null };
    await distiller.run(firstStep, distiller.totalSteps, {
      onStep: (p) => {
        lossSum += p.loss; lossCount++;
        progress.update(p.step + 1, `epoch ${p.epoch + 1}/${config.epochs} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)}`);
      },
      onEpochEnd: async (epoch, step) => {
        const entry: Record<string, unknown> = { epoch, step, meanLoss: lossSum / lossCount, teacherPasses: cache.teacherViews };
        lossSum = 0; lossCount = 0;
        writeAtomic(ckptPath, writeCheckpoint(await session.state(), { step, epoch: epoch + 1, seed: config.seed, dims, config }));
        if (test && ((epoch + 1) % a.evalEvery === 0 || epoch + 1 === config.epochs)) {
          const e = (await evalOn((px) => session.evaluate(px), student.config.vision.imageSize))!;
          latest.evaluation = e;
          entry.evaluation = summary(e);
          progress.log(`epoch ${epoch + 1}/${config.epochs}  mean loss ${(entry.meanLoss as number).toFixed(4)}  ${formatEvaluation(e)}`);
        } else {
          progress.log(`epoch ${epoch + 1}/${config.epochs}  mean loss ${(entry.meanLoss as number).toFixed(4)}`);
        }
        (report.epochs as unknown[]).push(entry);
        saveReport();
      },
    });
    progress.done();
    report.final = { step: distiller.totalSteps, evaluation: latest.evaluation && summary(latest.evaluation), checkpoint: path.resolve(ckptPath), teacherPasses: cache.teacherViews };
    report.seconds = (Date.now() - startedAt) / 1000;
    saveReport();
    return report;
  } finally {
    await session.release();
    await teacher.release();
  }
}
