// A run's student as a model folder (engine/promptkd/model-folder.ts), zipped: the deployable ONNX in
// the chosen precision, its configs, the model card, the report and the classifier page. The accuracy
// in the card is the exported model's own on the run's test set (and, for fp16, fp32's beside it).
import type { ClipWeights } from '../engine/clip/weights.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import { CLASSIFIER_PAGE_FILES } from '../engine/promptkd/classifier-page-html.ts';
import { measureExport, type ExportMeasures } from '../engine/promptkd/classifier-eval.ts';
import { deployableClassifierOnnx, type ClassifierPrecision } from '../engine/promptkd/export-onnx.ts';
import { modelFolderName, onnxFileOf } from '../engine/promptkd/export-snippets.ts';
import { baseModelLicense, modelFolderFiles } from '../engine/promptkd/model-folder.ts';
import { writeStoredZip } from '../engine/torch/zip.ts';
import type { StudioStorage } from '../storage/storage.ts';
import { labeledPixels, type LabeledSet } from './labeled.ts';
import type { ModelExport } from './protocol.ts';
import type { DistillRun } from './run.ts';

export interface ModelExportEnv {
  storage: StudioStorage;
  /** where the exported model is measured: WASM, as the folder's page runs it (and a GPU without shader-f16 runs no float16) */
  runtime: Runtime;
  /** the run's student CLIP */
  student: ClipWeights;
  test: LabeledSet | null;
  /** report.json's text */
  report: string;
  /** a file of the classifier page (CLASSIFIER_PAGE_FILES), as the studio serves it */
  pageFile(path: string): Promise<Blob>;
  onProgress(done: number, total: number, label: string): void;
}

const TEACHER_HOW: Record<string, string> = {
  'zero-shot': 'zero-shot: the class names in sentence templates',
  tune: 'prompts tuned with PromptSRC on few-shot images',
  import: 'prompts imported from a PromptSRC/PromptKD file',
  labels: 'its logits imported as teacher labels (promptkd label)',
};

export async function exportModelFolder(
  run: DistillRun,
  precision: ClassifierPrecision,
  env: ModelExportEnv,
  step = run.record.step,
): Promise<ModelExport> {
  const rec = run.record,
    protocol = rec.settings.protocol;
  const name = modelFolderName(run.id, step);
  const state = await run.stateAt(step);
  const total = env.test ? (precision === 'fp16' ? 4 : 3) : 2;
  env.onProgress(0, total, `building ${onnxFileOf(precision)}`);
  const build = (p: ClassifierPrecision) => deployableClassifierOnnx(env.student, run.hyper, state, run.teacherText, p);
  const onnx = build(precision);
  const test = env.test;
  let measured: ExportMeasures | null = null;
  if (test) {
    const set = {
      labels: test.labels,
      pixels: (indices: readonly number[], size: number) => labeledPixels(env.storage, test, indices, size, null),
    };
    // an fp16 folder's card gives fp16's own accuracy, and what it costs against fp32 (built to compare)
    const both = precision === 'fp16' ? { fp32: build('fp32'), fp16: onnx } : { fp32: onnx };
    let done = 0;
    measured = await measureExport(
      env.runtime,
      both,
      precision,
      set,
      protocol,
      { imageSize: env.student.config.vision.imageSize, nClasses: rec.classes.length },
      (label) => env.onProgress(++done, total, label),
    );
  }
  env.onProgress(total - 1, total, 'the classifier page and the zip');
  const pageFiles = await Promise.all(
    CLASSIFIER_PAGE_FILES.map(async (path) => ({ path, data: new Uint8Array(await (await env.pageFile(path)).arrayBuffer()) })),
  );
  const unlabeled = await env.storage.getDataset(rec.datasets.unlabeled);
  const teacherId = rec.models.teacher?.name ?? rec.labels?.teacherId ?? 'unknown';
  const files = modelFolderFiles({
    name,
    title: name,
    classes: rec.classes,
    protocol,
    student: {
      id: rec.models.student.name,
      imageSize: env.student.config.vision.imageSize,
      license: baseModelLicense(rec.models.student.name),
    },
    teacher: { id: teacherId, how: TEACHER_HOW[rec.teacher.mode] ?? rec.teacher.mode, license: baseModelLicense(teacherId) },
    step,
    settings: rec.settings,
    data: { unlabeled: unlabeled?.items.length ?? 0, test: test?.labels.length ?? null },
    accuracy: {
      student: measured?.accuracy ?? null,
      teacher: rec.references?.teacher ?? null,
      studentZeroShot: rec.references?.studentZeroShot ?? null,
    },
    onnx: { [precision]: onnx },
    fp16Cost: measured?.fp16Cost ?? null,
    report: env.report,
    pageFiles,
  });
  const bytes = writeStoredZip(files.map((f) => ({ name: `${name}/${f.path}`, data: f.data })));
  env.onProgress(total, total, 'done');
  return {
    bytes,
    fileName: `${name}.zip`,
    folder: name,
    precision,
    onnxBytes: onnx.length,
    imageSize: env.student.config.vision.imageSize,
    fp16Cost: measured?.fp16Cost ?? null,
  };
}
