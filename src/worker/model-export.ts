// A run's student as a model folder (engine/promptkd/model-folder.ts), zipped: the deployable ONNX in
// the chosen precision, its configs, the model card, the report and the classifier page. The accuracy
// in the card is the exported model's own on the run's test set (and, for fp16, fp32's beside it).
import type { ClipWeights } from '../engine/clip/weights.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import { CLASSIFIER_PAGE_FILES } from '../engine/promptkd/classifier-page-html.ts';
import { classifierLogits, fp16Cost, type ClassifierUnderTest } from '../engine/promptkd/classifier-eval.ts';
import { scoreLogits } from '../engine/promptkd/test-eval.ts';
import { deployableClassifierOnnx, type ClassifierPrecision } from '../engine/promptkd/export-onnx.ts';
import { modelFolderName, onnxFileOf } from '../engine/promptkd/export-snippets.ts';
import { baseModelLicense, modelFolderFiles, type FolderAccuracy, type Fp16Cost } from '../engine/promptkd/model-folder.ts';
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

const accuracyOf = (e: { base: number | null; new: number | null; hm: number | null } | null): FolderAccuracy | null =>
  e && { base: e.base, new: e.new, hm: e.hm };

export async function exportModelFolder(
  run: DistillRun,
  precision: ClassifierPrecision,
  env: ModelExportEnv,
  step = run.record.step,
): Promise<ModelExport> {
  const rec = run.record,
    protocol = rec.settings.protocol;
  const name = modelFolderName(run.id, step);
  const m: ClassifierUnderTest = { clip: env.student, hyper: run.hyper, state: await run.stateAt(step), teacherText: run.teacherText };
  const total = env.test ? (precision === 'fp16' ? 4 : 3) : 2;
  env.onProgress(0, total, `building ${onnxFileOf(precision)}`);
  const onnx = deployableClassifierOnnx(m.clip, m.hyper, m.state, m.teacherText, precision);
  let student: FolderAccuracy | null = null,
    cost: Fp16Cost | null = null;
  const test = env.test;
  if (test) {
    const set = {
      labels: test.labels,
      pixels: (indices: readonly number[], size: number) => labeledPixels(env.storage, test, indices, size, null),
    };
    env.onProgress(1, total, 'the model on the test set (fp32)');
    const fp32 = await classifierLogits(env.runtime, m, set, 'fp32');
    let exported = fp32;
    if (precision === 'fp16') {
      env.onProgress(2, total, 'fp16 on the test set, against fp32');
      exported = await classifierLogits(env.runtime, m, set, 'fp16');
      cost = fp16Cost(fp32, exported, test.labels, protocol, rec.classes.length);
    }
    // the card's accuracy is the folder's own model's: fp16's in an fp16 folder
    student = accuracyOf(scoreLogits(exported, test.labels, protocol, rec.classes.length));
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
      student,
      teacher: accuracyOf(rec.references?.teacher ?? null),
      studentZeroShot: accuracyOf(rec.references?.studentZeroShot ?? null),
    },
    onnx: { [precision]: onnx },
    fp16Cost: cost,
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
    fp16Cost: cost,
  };
}
