// `promptkd distill` writes the distilled student as a model folder, <out>/model/ (engine/promptkd/model-folder.ts):
// onnx/model.onnx and onnx/model_fp16.onnx, the configs, the model card, the report and the classifier
// page. Both precisions are measured on the test folder when there is one; every file is written whole.
import fs from 'node:fs';
import path from 'node:path';
import type { ClipWeights } from '../engine/clip/weights.ts';
import { classifierLogits, fp16Cost } from '../engine/promptkd/classifier-eval.ts';
import { scoreLogits } from '../engine/promptkd/test-eval.ts';
import { deployableClassifierOnnx } from '../engine/promptkd/export-onnx.ts';
import type { DistillJob, JobTestSet } from '../engine/promptkd/job.ts';
import type { EvalProtocol, Evaluation } from '../engine/promptkd/metrics.ts';
import { baseModelLicense, modelFolderFiles, type FolderAccuracy, type Fp16Cost } from '../engine/promptkd/model-folder.ts';
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

const accuracyOf = (e: Evaluation | null): FolderAccuracy | null => e && { base: e.base, new: e.new, hm: e.hm };

/** writes <out>/model/; returns its path and what fp16 costs on the test folder */
export async function writeModelDir(s: ModelDirSpec): Promise<{ dir: string; fp16Cost: Fp16Cost | null; bytes: Record<string, number> }> {
  const state = await s.job.state();
  const m = { clip: s.student.weights, hyper: s.job.hyper, state, teacherText: s.job.teacherText };
  const onnx = {
    fp32: deployableClassifierOnnx(m.clip, m.hyper, m.state, m.teacherText, 'fp32'),
    fp16: deployableClassifierOnnx(m.clip, m.hyper, m.state, m.teacherText, 'fp16'),
  };
  let student: FolderAccuracy | null = null,
    cost: Fp16Cost | null = null;
  const test = s.data.test;
  if (test) {
    const fp32 = await classifierLogits(s.runtime, m, test, 'fp32');
    student = accuracyOf(scoreLogits(fp32, test.labels, s.protocol, s.classes.length));
    cost = fp16Cost(fp32, await classifierLogits(s.runtime, m, test, 'fp16'), test.labels, s.protocol, s.classes.length);
  }
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
    accuracy: { student, teacher: accuracyOf(s.teacher.evaluation), studentZeroShot: null },
    onnx,
    fp16Cost: cost,
    report: s.report,
    pageFiles: await classifierPageFiles(),
  });
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeAtomic(path.join(dir, f.path), f.data);
  }
  return { dir, fp16Cost: cost, bytes: { fp32: onnx.fp32.length, fp16: onnx.fp16.length } };
}
