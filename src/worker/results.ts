// What a run gives back: its results on the test folder (per class, confusion, teacher vs student
// gallery), its prompts (safetensors + JSON config, and a PyTorch checkpoint for the official code),
// the self-contained classifier ONNX and the run report.
import type { RgbImage } from '../engine/clip/image.ts';
import { studentClassifierOnnx, CLASSIFIER_INPUT, CLASSIFIER_OUTPUT } from '../engine/promptkd/export-onnx.ts';
import { argmax } from '../engine/promptkd/top-one.ts';
import { writeStudentPrompts, writeStudentPromptsPth, STUDENT_PROMPTS_FORMAT } from '../engine/promptkd/student-prompts.ts';
import { modelFolderName } from '../engine/promptkd/export-snippets.ts';
import type { StudioStorage } from '../storage/storage.ts';
import { StudioInputError } from './errors.ts';
import type { LabeledSet } from './labeled.ts';
import { toRgb } from './pixels.ts';
import type { OnnxExport, PromptExport, RunResults } from './protocol.ts';
import type { DistillRun } from './run.ts';

/** gallery size: a few test images of each class, teacher vs student */
const GALLERY_PER_CLASS = 2;
const GALLERY_MAX = 24;

export async function runResults(
  run: DistillRun,
  storage: StudioStorage,
  test: LabeledSet | null,
  /** null: no gallery (a report keeps none), so no teacher pass, image reads or thumbnails for it */
  thumbnail: ((img: RgbImage) => Promise<Blob>) | null,
): Promise<RunResults> {
  const r = await run.evaluateStudent();
  if (!r || !test)
    throw new StudioInputError('this run has no test folder to evaluate on; import a labeled test folder and start a run with it');
  const C = run.record.classes.length,
    N = test.itemIds.length,
    labels = test.labels;
  const predictions = Array.from({ length: N }, (_, i) => argmax(r.logits.subarray(i * C, (i + 1) * C)));
  const picked: number[] = [],
    perClass = new Map<number, number>();
  labels.forEach((y, i) => {
    if (thumbnail && picked.length < GALLERY_MAX && (perClass.get(y) ?? 0) < GALLERY_PER_CLASS) {
      picked.push(i);
      perClass.set(y, (perClass.get(y) ?? 0) + 1);
    }
  });
  const teacherLogits = picked.length ? (((await run.teacherLogitsOf(picked))?.data as Float32Array | undefined) ?? null) : null;
  const images = await storage.loadImages(
    test.dataset.id,
    picked.map((i) => test.itemIds[i]!),
  );
  const gallery = await Promise.all(
    picked.map(async (i, k) => ({
      datasetId: test.dataset.id,
      itemId: test.itemIds[i]!,
      label: labels[i]!,
      teacher: teacherLogits && argmax(teacherLogits.subarray(k * C, (k + 1) * C)),
      student: predictions[i]!,
      thumbnail: await thumbnail!(toRgb(images[k]!)),
    })),
  );
  const e = r.evaluation;
  return {
    runId: run.id,
    step: run.record.step,
    classes: run.record.classes,
    accuracy: { base: e.base, new: e.new, hm: e.hm },
    perClass: e.perClass,
    confusion: e.confusion,
    predictions,
    itemIds: test.itemIds,
    gallery,
  };
}

/** the JSON that goes with prompts exported at `step`: everything needed to use them again */
function promptConfig(run: DistillRun, step: number): Record<string, unknown> {
  const rec = run.record;
  const latest = [...rec.history].reverse().find((p) => p.hm !== undefined && p.step <= step);
  return {
    format: STUDENT_PROMPTS_FORMAT,
    runId: rec.id,
    step,
    settings: rec.settings,
    distillConfig: run.job.config,
    classes: rec.classes,
    baseClasses: rec.classes.slice(0, Math.ceil(rec.classes.length / 2)),
    newClasses: rec.classes.slice(Math.ceil(rec.classes.length / 2)),
    dims: run.dims,
    models: rec.models,
    teacher: rec.teacher,
    accuracy: latest ? { step: latest.step, base: latest.base, new: latest.new, hm: latest.hm } : null,
  };
}

/** the student's prompts at checkpoint `step` (default: the run's state now) */
export async function exportPrompts(run: DistillRun, step = run.record.step): Promise<PromptExport> {
  const rec = run.record;
  const state = await run.stateAt(step);
  const safetensors = writeStudentPrompts(state, { dims: run.dims, config: run.job.config, classes: rec.classes, step });
  const pth = writeStudentPromptsPth(state, { depth: run.dims.depth, epoch: Math.floor(step / rec.stepsPerEpoch), step });
  return { safetensors, pth, config: `${JSON.stringify(promptConfig(run, step), null, 1)}\n`, fileName: modelFolderName(run.id, step) };
}

/** the whole classifier at checkpoint `step` (default: the run's state now) */
export async function exportOnnx(
  run: DistillRun,
  student: Parameters<typeof studentClassifierOnnx>[0],
  batch: number,
  step = run.record.step,
): Promise<OnnxExport> {
  if (!Number.isInteger(batch) || batch < 1) throw new StudioInputError(`the ONNX batch must be a positive integer, got ${batch}`);
  const bytes = studentClassifierOnnx(student, run.hyper, await run.stateAt(step), run.teacherText, batch);
  return {
    bytes,
    fileName: `${modelFolderName(run.id, step)}.onnx`,
    inputName: CLASSIFIER_INPUT,
    outputName: CLASSIFIER_OUTPUT,
    batch,
    imageSize: student.config.vision.imageSize,
    classes: run.record.classes,
  };
}

/** `results` without the gallery (thumbnails are not JSON) */
export function runReport(
  run: DistillRun,
  results: Omit<RunResults, 'gallery'> | null,
  datasets: Record<string, unknown>,
): { json: string; fileName: string } {
  const report = {
    format: 'promptkd-studio-report/1',
    createdAt: new Date().toISOString(),
    run: run.record,
    prompts: promptConfig(run, run.record.step),
    datasets,
    results,
  };
  return { json: `${JSON.stringify(report, null, 1)}\n`, fileName: `promptkd-report-${run.id}-step${run.record.step}.json` };
}
