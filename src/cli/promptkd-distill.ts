// `promptkd distill`: distill a teacher CLIP into a student CLIP's prompts and projector on an
// unlabeled image folder, evaluating base/new/HM on a labeled test folder when one is given. The
// run itself is the engine's DistillJob; this file supplies files (images, checkpoint, report) and
// the terminal's progress.
//
// Files in the output folder are only ever replaced whole (written beside, then renamed), so an
// interrupted or failed run leaves the last checkpoint and report intact.
import fs from 'node:fs';
import path from 'node:path';
import { DistillJob, type JobStart, type JobTeacher } from '../engine/promptkd/job.ts';
import { TeacherLabelError, TeacherLabels } from '../engine/promptkd/teacher-labels.ts';
import { LabelError, readLabelFiles } from './label-files.ts';
import { baseNewSplit, singleClassHalf, type EvalProtocol } from '../engine/promptkd/metrics.ts';
import { evaluationSummary, formatEvaluation } from './evaluation-lines.ts';
import type { RunSettings } from '../engine/promptkd/run-settings.ts';
import { epochsDone } from '../engine/promptkd/schedule.ts';
import { ZERO_SHOT_TEMPLATES } from '../engine/promptkd/teacher-text.ts';
import { createNodeRuntime, type NodeBackend } from '../engine/runtime/node.ts';
import { openBackend } from './backend.ts';
import { parseSplitFile, type SplitFile, SplitFileError } from '../engine/data/split-file.ts';
import { describeSkipped, scanLabeled, scanUnlabeled, splitFolders, type LabeledFolder, type UnlabeledFolder } from './promptkd-folders.ts';
import { folderTestImages, loadPixels } from './promptkd-images.ts';
import { loadModelDir, loadTeacherPrompts } from './promptkd-models.ts';
import { Progress } from './promptkd-progress.ts';
import { saveStudentPth } from './student-pth.ts';
import { writeAtomic } from './files.ts';
import { writeModelDir } from './promptkd-export.ts';

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
    let split: SplitFile;
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
  const lonely = singleClassHalf(classes, protocol);
  if (lonely) log(`evaluation: ${lonely}`);
  // the student's text tower only makes its zero-shot reference line on the test set
  const student = await loadModelDir(a.student, 'student', test ? ['vision', 'text'] : ['vision'], a.hubToken);
  const teacherW = labels ? null : await loadModelDir(a.teacher!, 'teacher', ['vision', 'text'], a.hubToken);
  if (a.resume && !fs.existsSync(a.resume)) throw new DistillError(`checkpoint ${a.resume} does not exist`);
  const start: JobStart = a.resume
    ? { kind: 'checkpoint', file: await fs.openAsBlob(a.resume), name: a.resume, given: a.given }
    : { kind: 'fresh' };

  // ---- the job ------------------------------------------------------------------------------------
  fs.mkdirSync(outDir, { recursive: true });
  const rt = await openBackend(a.backend, log);
  const halfFlag = a.settings.teacherFp16 ? '--teacher-fp16' : a.settings.studentFp16 ? '--student-fp16' : null;
  if (halfFlag && rt.device.shaderF16 === false) {
    throw new DistillError(`${halfFlag} needs a GPU with shader-f16, and ${rt.device.adapter} has none; leave the flag out`);
  }
  const prompts = teacherW && a.teacherPrompts ? await loadTeacherPrompts(a.teacherPrompts, teacherW.config) : null;
  const teacher: JobTeacher = labels ? { kind: 'labels', labels } : { kind: 'model', weights: teacherW!, prompts };
  const testSet = test && folderTestImages(test);
  const job = await DistillJob.open({
    runtime: rt,
    student,
    teacher,
    classes,
    settings: a.settings,
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
    test: testSet,
  }).catch((e: unknown) => {
    throw e instanceof Error && e.name === 'JobInputError' ? new DistillError(e.message) : e;
  });
  const settings = job.settings;
  if (job.resumed?.ignored.length) log(`resuming with the checkpoint's ${job.resumed.ignored.join(', ')} (ignoring the flags)`);
  const teacherEmbedDim = job.teacherText.shape[1]!;
  const teacherKind = labels ? 'labels' : prompts ? 'tuned prompts' : 'zero-shot';
  const split = baseNewSplit(classes.length);
  const report: Record<string, unknown> = {
    command: 'distill',
    device: rt.device,
    student: { dir: path.resolve(a.student), precision: settings.studentFp16 ? 'float16' : 'float32', config: student.config },
    teacher: labels
      ? {
          kind: teacherKind,
          labels: path.resolve(a.teacherLabels!),
          modelId: labels.teacher.id,
          promptState: labels.teacher.promptState,
          embedDim: teacherEmbedDim,
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
          embedDim: teacherEmbedDim,
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
    resumedFrom: job.resumed && { file: path.resolve(a.resume!), step: job.resumed.step, epoch: job.resumed.epoch },
    epochs: [] as unknown[],
    evaluations: [] as unknown[],
    /** every step's loss and learning rate */
    steps: [] as { step: number; loss: number; lr: number }[],
  };
  const saveReport = () => writeAtomic(path.join(outDir, REPORT_FILE), `${JSON.stringify(report, null, 1)}\n`);

  try {
    const refs = await job.references();
    if (refs.teacher) {
      log(`teacher (${teacherKind}): ${formatEvaluation(evaluationSummary(refs.teacher, protocol))}`);
      (report.teacher as Record<string, unknown>).evaluation = evaluationSummary(refs.teacher, protocol);
    } else if (labels && test) {
      log(`no teacher reference: the labels do not hold this test folder's images (promptkd label --test ${a.test ?? 'DIR'} labels them)`);
    }
    if (refs.studentZeroShot) {
      log(`student zero-shot: ${formatEvaluation(evaluationSummary(refs.studentZeroShot, protocol))}`);
      report.studentZeroShot = evaluationSummary(refs.studentZeroShot, protocol);
    }
    const evaluated = async () => {
      const { evaluation } = (await job.evaluate())!;
      (report.evaluations as unknown[]).push({ step: job.step, ...evaluationSummary(evaluation, protocol) });
      return evaluation;
    };
    if (test) log(`student at step ${job.step}, before training: ${formatEvaluation(evaluationSummary(await evaluated(), protocol))}`);
    if (job.done) log(`the checkpoint is already at step ${job.step} of ${job.totalSteps}; raise --epochs to train further`);
    progress.start(job.step, job.totalSteps);
    while (!job.done) {
      const p = await job.next();
      (report.steps as { step: number; loss: number; lr: number }[]).push({ step: job.step, loss: p.loss, lr: p.lr });
      progress.update(job.step, `epoch ${p.epoch + 1}/${settings.epochs} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)}`);
      const evaluation = p.due.evaluate ? await evaluated() : null;
      if (p.due.checkpoint) writeAtomic(ckptPath, await job.checkpoint());
      if (p.epochEnd) {
        const { epoch, step, meanLoss, teacherViews } = p.epochEnd;
        const entry: Record<string, unknown> = { epoch, step, meanLoss, teacherPasses: teacherViews };
        if (evaluation) entry.evaluation = evaluationSummary(evaluation, protocol);
        progress.log(
          `epoch ${epoch + 1}/${settings.epochs}  mean loss ${meanLoss.toFixed(4)}${evaluation ? `  ${formatEvaluation(evaluationSummary(evaluation, protocol))}` : ''}`,
        );
        (report.epochs as unknown[]).push(entry);
      }
      if (p.due.evaluate || p.due.checkpoint || p.epochEnd) saveReport();
    }
    progress.done();
    const pytorch = saveStudentPth(outDir, await job.state(), {
      depth: job.dims.depth,
      epoch: epochsDone(job.step, job.stepsPerEpoch),
      step: job.step,
    });
    const best = job.bestOnBase,
      latest = job.evaluations.at(-1)?.evaluation ?? null;
    if (best)
      log(`best on base: epoch ${best.epoch} (step ${best.step}): ${formatEvaluation(evaluationSummary(best.evaluation, protocol))}`);
    report.final = {
      step: job.step,
      evaluation: latest && evaluationSummary(latest, protocol),
      checkpoint: path.resolve(ckptPath),
      pytorchCheckpoint: path.resolve(pytorch),
      teacherPasses: job.teacherViews,
      bestOnBase: best && { step: best.step, epoch: best.epoch, ...evaluationSummary(best.evaluation, protocol) },
    };
    // the deployable model folder, measured on the test folder (fp32, and fp16 against it)
    const model = await writeModelDir({
      outDir,
      // measured on the CPU, as the folder's users mostly run it (and GPUs without shader-f16 run no float16)
      runtime: a.backend === 'cpu' ? rt : createNodeRuntime(),
      job,
      student: { weights: student, id: path.basename(path.resolve(a.student)) },
      teacher: {
        id: labels ? labels.teacher.id : path.basename(path.resolve(a.teacher!)),
        how: teacherKind,
        evaluation: refs.teacher,
      },
      classes,
      settings,
      protocol,
      data: { unlabeled: unlabeled.images.length, test: testSet },
      report: `${JSON.stringify(report, null, 1)}\n`,
    });
    report.model = { dir: path.resolve(model.dir), onnxBytes: model.bytes, fp16: model.fp16Cost };
    if (model.fp16Cost)
      log(
        `model folder ${model.dir}: fp16 ${(model.bytes.fp16 / model.bytes.fp32).toFixed(3)}× the fp32 file, the same top-1 on ${(100 * model.fp16Cost.agreement).toFixed(2)} % of the test images`,
      );
    report.seconds = (Date.now() - startedAt) / 1000;
    saveReport();
    // the folder's copy was written before it was measured: it becomes the run's whole report too
    fs.copyFileSync(path.join(outDir, REPORT_FILE), path.join(model.dir, REPORT_FILE));
    return report;
  } finally {
    await job.release();
  }
}
