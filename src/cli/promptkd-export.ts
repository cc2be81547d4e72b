// `promptkd distill` writes the distilled student as a model folder, <out>/model/ (engine/promptkd/model-folder.ts):
// onnx/model.onnx and onnx/model_fp16.onnx, the configs, the model card, the report and the classifier
// page. Both precisions are measured on the test folder when there is one; every file is written whole.
import fs from 'node:fs';
import path from 'node:path';
import type { ClipWeights } from '../engine/clip/weights.ts';
import { measureExport } from '../engine/promptkd/classifier-eval.ts';
import { deployableClassifierOnnx, type ClassifierPrecision } from '../engine/promptkd/export-onnx.ts';
import type { DistillJob, JobTestSet } from '../engine/promptkd/job.ts';
import { accuracyOf, type EvalProtocol, type Evaluation } from '../engine/promptkd/metrics.ts';
import { baseModelLicense, modelFolderFiles, type Fp16Cost } from '../engine/promptkd/model-folder.ts';
import type { RunSettings } from '../engine/promptkd/run-settings.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import { classifierPageFiles } from './classifier-page-files.ts';
import { writeAtomic } from './files.ts';

export const MODEL_DIR = 'model';

export interface ModelDirSpec {
  outDir: string;
  /** where the folder's model is measured on the test folder */
  runtime: Runtime;
  job: DistillJob;
  student: { weights: ClipWeights; id: string };
  teacher: { id: string; how: string; evaluation: Evaluation | null };
  classes: readonly string[];
  settings: RunSettings;
  protocol: EvalProtocol;
  data: { unlabeled: number; test: Pick<JobTestSet, 'labels' | 'pixels'> | null };
  /** report.json's text */
  report: string;
}

/** writes <out>/model/; returns its path and what fp16 costs on the test folder */
export async function writeModelDir(s: ModelDirSpec): Promise<{ dir: string; fp16Cost: Fp16Cost | null; bytes: Record<string, number> }> {
  const state = await s.job.state();
  const build = (p: ClassifierPrecision) => deployableClassifierOnnx(s.student.weights, s.job.hyper, state, s.job.teacherText, p);
  const onnx = { fp32: build('fp32'), fp16: build('fp16') };
  const test = s.data.test;
  // the card describes model.onnx, the folder's default; fp16's cost beside it
  const measured =
    test &&
    (await measureExport(s.runtime, onnx, 'fp32', test, s.protocol, {
      imageSize: s.student.weights.config.vision.imageSize,
      nClasses: s.classes.length,
    }));
  const dir = path.join(s.outDir, MODEL_DIR);
  const files = modelFolderFiles({
    name: MODEL_DIR,
    title: `PromptKD student of ${path.basename(path.resolve(s.outDir))}`,
    classes: s.classes,
    protocol: s.protocol,
    student: { id: s.student.id, imageSize: s.student.weights.config.vision.imageSize, license: baseModelLicense(s.student.id) },
    teacher: { id: s.teacher.id, how: s.teacher.how, license: baseModelLicense(s.teacher.id) },
    step: s.job.step,
    settings: s.settings,
    data: { unlabeled: s.data.unlabeled, test: test?.labels.length ?? null },
    accuracy: {
      student: measured?.accuracy ?? null,
      teacher: s.teacher.evaluation && accuracyOf(s.teacher.evaluation),
      studentZeroShot: null,
    },
    onnx,
    fp16Cost: measured?.fp16Cost ?? null,
    report: s.report,
    pageFiles: await classifierPageFiles(),
  });
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeAtomic(path.join(dir, f.path), f.data);
  }
  return { dir, fp16Cost: measured?.fp16Cost ?? null, bytes: { fp32: onnx.fp32.length, fp16: onnx.fp16.length } };
}
