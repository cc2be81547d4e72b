// `promptkd distill`: distill a teacher CLIP into a student CLIP's prompts and projector on an
// unlabeled image folder, evaluating base/new/HM on a labeled test folder when one is given. The
// run itself is the engine's DistillJob; this file supplies files (images, checkpoint, report) and
// the terminal's progress.
//
// Files in the output folder are only ever replaced whole (written beside, then renamed), so an
// interrupted or failed run leaves the last checkpoint and report intact.
import fs from 'node:fs';
import path from 'node:path';
import { SafetensorsError } from '../engine/clip/safetensors.ts';
import { CheckpointError, readCheckpoint, readCheckpointInfo } from '../engine/promptkd/checkpoint.ts';
import { DistillJob, type JobStart, type JobTeacher } from '../engine/promptkd/job.ts';
import { TeacherLabelError, TeacherLabels } from '../engine/promptkd/teacher-labels.ts';
import { LabelError, readLabelFiles } from './label-files.ts';
import { baseNewSplit, type EvalProtocol, type Evaluation } from '../engine/promptkd/metrics.ts';
import type { RunSettings } from '../engine/promptkd/run-settings.ts';
import { studentDims } from '../engine/promptkd/student.ts';
import { ZERO_SHOT_TEMPLATES } from '../engine/promptkd/teacher-text.ts';
import type { NodeBackend } from '../engine/runtime/node.ts';
import { openBackend } from './backend.ts';
import { parseSplitFile, SplitFileError } from '../engine/data/split-file.ts';
import { describeSkipped, scanLabeled, scanUnlabeled, splitFolders, type LabeledFolder, type UnlabeledFolder } from './promptkd-folders.ts';
import { loadPixels } from './promptkd-images.ts';
import { loadModelDir, loadTeacherPrompts } from './promptkd-models.ts';
import { Progress } from './promptkd-progress.ts';
import { saveStudentPth } from './student-pth.ts';
import { writeAtomic } from './files.ts';

export interface DistillArgs {
  /** the unlabeled folder; with `split`, the image folder the split file's paths are relative to */
  unlabeled: string;
  test?: string;
  /** a CoOp split file: its train list is the unlabeled set, its test list the test set, its labels the class order */
  split?: string;
  /** class names when there is no test folder (label order) */
  classes?: string[];
  student: string;
  /** the teacher CLIP's folder; absent with teacherLabels */
  teacher?: string;
  /** tuned teacher prompts (safetensors); zero-shot templates when absent */
  teacherPrompts?: string;
  /** teacher labels (a merged file or a folder of shards) in place of the teacher */
  teacherLabels?: string;
  /** an access token for gated or private Hub models (--student and --teacher may be Hub ids) */
  hubToken?: string;
  out: string;
  resume?: string;
  settings: RunSettings;
  /** settings named on the command line (the rest are defaults) */
  given: ReadonlySet<keyof RunSettings>;
  evalBatch: number;
  backend: NodeBackend;
  /** base2new (default): base/new/HM; cross-dataset: accuracy over all classes (no base/new split) */
  protocol?: EvalProtocol;
}

export class DistillError extends Error {
  override name = 'DistillError';
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const REPORT_FILE = 'report.json';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);

type Shared = Pick<Evaluation, 'perClass' | 'confusion'>;
/** an evaluation as report.json keeps it: base/new/HM, or under cross-dataset one accuracy over all classes */
export type EvaluationSummary =
  | (Shared & Pick<Evaluation, 'base' | 'new' | 'hm' | 'counts'>)
  | (Shared & { accuracy: number | null; count: number });

/** under cross-dataset the job's `base` is the accuracy over all classes (metrics.ts protocolSplit) */
const summary = (e: Evaluation, protocol: EvalProtocol): EvaluationSummary =>
  protocol === 'cross-dataset'
    ? { accuracy: e.base, perClass: e.perClass, confusion: e.confusion, count: e.counts.base }
    : { base: e.base, new: e.new, hm: e.hm, perClass: e.perClass, confusion: e.confusion, counts: e.counts };

/** an evaluation in one line */
export const formatEvaluation = (s: EvaluationSummary): string =>
  'accuracy' in s
    ? `accuracy ${pct(s.accuracy)} (all ${s.perClass.length} classes)`
    : `base ${pct(s.base)}  new ${pct(s.new)}  HM ${pct(s.hm)}`;

/**
 * The settings and start of a resumed run: the checkpoint's settings win, except a longer --epochs;
 * flags that disagree with it are named. Also checks the checkpoint against the models.
 */
async function resumeFrom(
  a: DistillArgs,
  file: string,
  fit: (s: RunSettings) => ReturnType<typeof studentDims>,
  log: (line: string) => void,
): Promise<{ settings: RunSettings; start: JobStart }> {
  if (!fs.existsSync(file)) throw new DistillError(`checkpoint ${file} does not exist`);
  try {
    const blob = await fs.openAsBlob(file);
    const saved = (await readCheckpointInfo(blob)).config;
    const fromCheckpoint: RunSettings = { ...a.settings, ...saved };
    // flags given now must fit the checkpoint; flags left out take its values
    const wanted: RunSettings = { ...fromCheckpoint, ...Object.fromEntries([...a.given].map((k) => [k, a.settings[k]])) };
    const read = await readCheckpoint(blob, fit(wanted));
    const ignored = [...a.given].filter(
      (k) => k !== 'epochs' && k in saved && (saved as unknown as Record<string, unknown>)[k] !== a.settings[k],
    );
    if (ignored.length)
      log(
        `resuming with the checkpoint's ${ignored.map((k) => `${k} ${(saved as unknown as Record<string, unknown>)[k]}`).join(', ')} (ignoring the flags)`,
      );
    return { settings: { ...fromCheckpoint, epochs: wanted.epochs }, start: { kind: 'state', state: read.state, step: read.info.step } };
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof SafetensorsError)
      throw new CheckpointError(`cannot resume from ${file}: ${e.message}`);
    throw e;
  }
}

/** the label set at `where`, checked complete; its problems as one DistillError line */
async function openLabels(where: string): Promise<TeacherLabels> {
  try {
    return TeacherLabels.open(await readLabelFiles(where));
  } catch (e) {
    if (e instanceof TeacherLabelError || e instanceof LabelError)
      throw new DistillError(`cannot use --teacher-labels ${where}: ${e.message}`);
    throw e;
  }
}

export async function runDistill(
  a: DistillArgs,
  log: (line: string) => void,
  progress = new Progress(process.stderr),
): Promise<Record<string, unknown>> {
  const startedAt = Date.now();
  const protocol = a.protocol ?? 'base2new';
  // ---- inputs -------------------------------------------------------------------------------------
  const outDir = a.out;
  const ckptPath = path.join(outDir, CHECKPOINT_FILE);
  if (!a.resume && fs.existsSync(ckptPath)) {
    throw new DistillError(
      `${outDir} already holds a run (${CHECKPOINT_FILE}); continue it with --resume ${ckptPath} or choose another --out`,
    );
  }
  let unlabeled: UnlabeledFolder,
    test: LabeledFolder | null = null;
  if (a.split) {
    if (a.test) throw new DistillError('--split gives the test images (its test list); leave --test out');
    if (!fs.existsSync(a.split)) throw new DistillError(`split file ${a.split} does not exist`);
    let split;
    try {
      split = parseSplitFile(fs.readFileSync(a.split, 'utf8'), a.split);
    } catch (e) {
      throw e instanceof SplitFileError ? new DistillError(e.message) : e;
    }
    ({ unlabeled, test } = splitFolders(split, a.unlabeled));
    log(
      `split ${a.split}: ${split.classes.length} classes (${split.baseCount} base), ${unlabeled.images.length} train images to distill on, ${test.images.length} test images`,
    );
  } else {
    unlabeled = scanUnlabeled(a.unlabeled);
    if (a.test) test = scanLabeled(a.test);
  }
  for (const [dir, skipped] of [
    [a.unlabeled, unlabeled.skipped],
    [a.test ?? a.unlabeled, test?.skipped ?? []],
  ] as const) {
    const line = describeSkipped(dir, skipped);
    if (line) log(line);
  }
  const labels = a.teacherLabels ? await openLabels(a.teacherLabels) : null;
  const classes = test?.classes ?? a.classes ?? labels?.classes;
  if (!classes || classes.length < 2) throw new DistillError('name at least 2 classes: give a labeled --test folder or --classes a,b,…');
  if (test && a.classes && a.classes.join() !== test.classes.join()) {
    throw new DistillError(`--classes (${a.classes.join(', ')}) differ from the test folder's classes (${test.classes.join(', ')})`);
  }
  const student = await loadModelDir(a.student, 'student', ['vision'], a.hubToken);
  const teacherW = labels ? null : await loadModelDir(a.teacher!, 'teacher', ['vision', 'text'], a.hubToken);
  const teacherDim = teacherW ? teacherW.config.embedDim : (await labels!.classFeatures()).shape[1]!;
  const fit = (s: RunSettings) => studentDims(student, { depth: s.depth, nCtx: s.nCtx, teacherDim });
  const { settings, start } = a.resume
    ? await resumeFrom(a, a.resume, fit, log)
    : { settings: a.settings, start: { kind: 'fresh' } as JobStart };

  // ---- the job ------------------------------------------------------------------------------------
  fs.mkdirSync(outDir, { recursive: true });
  const rt = await openBackend(a.backend, log);
  if (settings.teacherFp16 && rt.device.shaderF16 === false) {
    throw new DistillError(`--teacher-fp16 needs a GPU with shader-f16, and ${rt.device.adapter} has none; leave the flag out`);
  }
  const prompts = teacherW && a.teacherPrompts ? await loadTeacherPrompts(a.teacherPrompts, teacherW.config) : null;
  const teacher: JobTeacher = labels ? { kind: 'labels', labels } : { kind: 'model', weights: teacherW!, prompts };
  const job = await DistillJob.open({
    runtime: rt,
    student,
    teacher,
    classes,
    settings,
    start,
    evalBatch: a.evalBatch,
    protocol,
    unlabeled: {
      id: path.resolve(unlabeled.dir),
      ids: unlabeled.images,
      sha256Of: (id) => unlabeled.sha256.get(id),
      pixels: (views, size) =>
        loadPixels(
          unlabeled.dir,
          views.map((v) => ({ file: v.imageId, augmentSeed: v.augmentSeed })),
          size,
        ),
    },
    test: test && {
      id: path.resolve(test.dir),
      labels: test.images.map((i) => i.label),
      ids: test.images.map((i) => i.file),
      sha256: test.images.map((i) => i.sha256),
      pixels: (indices, size) =>
        loadPixels(
          test!.dir,
          indices.map((i) => ({ file: test!.images[i]!.file, augmentSeed: null })),
          size,
        ),
    },
  }).catch((e: unknown) => {
    throw e instanceof Error && e.name === 'JobInputError' ? new DistillError(e.message) : e;
  });
  const teacherKind = labels ? 'labels' : prompts ? 'tuned prompts' : 'zero-shot';
  const split = baseNewSplit(classes.length);
  const report: Record<string, unknown> = {
    command: 'distill',
    device: rt.device,
    student: { dir: path.resolve(a.student), config: student.config },
    teacher: labels
      ? {
          kind: teacherKind,
          labels: path.resolve(a.teacherLabels!),
          modelId: labels.teacher.id,
          promptState: labels.teacher.promptState,
          embedDim: teacherDim,
          logitScale: labels.teacher.logitScale,
          recipe: labels.recipe,
          images: labels.imageCount,
        }
      : {
          kind: teacherKind,
          precision: settings.teacherFp16 ? 'float16' : 'float32',
          dir: path.resolve(a.teacher!),
          prompts: a.teacherPrompts && path.resolve(a.teacherPrompts),
          templates: ZERO_SHOT_TEMPLATES,
          modelId: job.teacher!.modelId,
          embedDim: teacherDim,
          logitScale: job.teacher!.logitScale,
        },
    settings,
    config: job.config,
    protocol,
    classes:
      protocol === 'cross-dataset'
        ? { names: classes }
        : { names: classes, base: split.base.map((i) => classes[i]), new: split.new.map((i) => classes[i]) },
    data: {
      split: a.split ? path.resolve(a.split) : null,
      unlabeled: { dir: path.resolve(a.unlabeled), images: unlabeled.images.length, skipped: unlabeled.skipped },
      test: test && { dir: path.resolve(test.dir), images: test.images.length, skipped: test.skipped },
      stepsPerEpoch: job.stepsPerEpoch,
      totalSteps: job.totalSteps,
    },
    resumedFrom:
      start.kind === 'state'
        ? { file: path.resolve(a.resume!), step: start.step, epoch: Math.floor(start.step / job.stepsPerEpoch) }
        : null,
    epochs: [] as unknown[],
    evaluations: [] as unknown[],
    /** every step's loss and learning rate */
    steps: [] as { step: number; loss: number; lr: number }[],
  };
  const saveReport = () => writeAtomic(path.join(outDir, REPORT_FILE), `${JSON.stringify(report, null, 1)}\n`);

  try {
    const teacherEval = await job.teacherEvaluation();
    if (teacherEval) {
      log(`teacher (${teacherKind}): ${formatEvaluation(summary(teacherEval, protocol))}`);
      (report.teacher as Record<string, unknown>).evaluation = summary(teacherEval, protocol);
    } else if (labels && test) {
      log(`no teacher reference: the labels do not hold this test folder's images (promptkd label --test ${a.test ?? 'DIR'} labels them)`);
    }
    if (job.done) log(`the checkpoint is already at step ${job.step} of ${job.totalSteps}; raise --epochs to train further`);
    let lossSum = 0,
      lossCount = 0;
    let latest: Evaluation | null = null;
    // Dassl's best_val keeps the evaluation with the best base accuracy: reported beside the last
    let best: { step: number; epoch: number; evaluation: Evaluation } | null = null;
    progress.start(job.step, job.totalSteps);
    while (!job.done) {
      const p = await job.next();
      lossSum += p.loss;
      lossCount++;
      (report.steps as { step: number; loss: number; lr: number }[]).push({ step: job.step, loss: p.loss, lr: p.lr });
      progress.update(job.step, `epoch ${p.epoch + 1}/${settings.epochs} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)}`);
      const due = job.due();
      let evaluation: Evaluation | null = null;
      if (due.evaluate) {
        evaluation = latest = (await job.evaluate())!.evaluation;
        (report.evaluations as unknown[]).push({ step: job.step, ...summary(evaluation, protocol) });
        // cross-dataset reports the last evaluation only: there is no base half to select on
        if (protocol === 'base2new' && (!best || (evaluation.base ?? -1) > (best.evaluation.base ?? -1)))
          best = { step: job.step, epoch: Math.ceil(job.step / job.stepsPerEpoch), evaluation };
      }
      if (due.checkpoint) writeAtomic(ckptPath, await job.checkpoint());
      if (due.epochEnd || job.done) {
        const epoch = Math.ceil(job.step / job.stepsPerEpoch) - 1;
        const entry: Record<string, unknown> = { epoch, step: job.step, meanLoss: lossSum / lossCount, teacherPasses: job.teacherViews };
        lossSum = 0;
        lossCount = 0;
        if (evaluation) entry.evaluation = summary(evaluation, protocol);
        progress.log(
          `epoch ${epoch + 1}/${settings.epochs}  mean loss ${(entry.meanLoss as number).toFixed(4)}${evaluation ? `  ${formatEvaluation(summary(evaluation, protocol))}` : ''}`,
        );
        (report.epochs as unknown[]).push(entry);
      }
      if (due.evaluate || due.checkpoint || due.epochEnd) saveReport();
    }
    progress.done();
    const pytorch = saveStudentPth(outDir, await job.state(), {
      depth: job.dims.depth,
      epoch: Math.floor(job.step / job.stepsPerEpoch),
      step: job.step,
    });
    if (best) log(`best on base: epoch ${best.epoch} (step ${best.step}): ${formatEvaluation(summary(best.evaluation, protocol))}`);
    report.final = {
      step: job.step,
      evaluation: latest && summary(latest, protocol),
      checkpoint: path.resolve(ckptPath),
      pytorchCheckpoint: path.resolve(pytorch),
      teacherPasses: job.teacherViews,
      bestOnBase: best && { step: best.step, epoch: best.epoch, ...summary(best.evaluation, protocol) },
    };
    report.seconds = (Date.now() - startedAt) / 1000;
    saveReport();
    return report;
  } finally {
    await job.release();
  }
}
