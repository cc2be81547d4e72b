// The exported classifier (export-onnx.ts) on a run's test set, in the precision it is exported in:
// what goes into the model card is measured on the model itself. And what fp16 costs against fp32:
// how often both give the same top-1 class, and how much the protocol's headline number moves (HM
// under base-to-new, the accuracy over all classes under cross-dataset). Both precisions run the
// same graph at the job's eval batch, so they are compared on equal terms.
import type { ClipWeights } from '../clip/weights.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../runtime/tensor.ts';
import { type ClassifierPrecision, CLASSIFIER_INPUT, CLASSIFIER_OUTPUT, studentClassifierOnnx } from './export-onnx.ts';
import { evalBatchFor, type JobTestSet } from './job.ts';
import { evaluate, protocolSplit, type EvalProtocol, type Evaluation } from './metrics.ts';
import type { Fp16Cost } from './model-folder.ts';
import type { StudentState } from './state.ts';
import type { StudentHyper } from './student.ts';

export interface ClassifierUnderTest {
  clip: ClipWeights;
  hyper: StudentHyper;
  state: StudentState;
  /** [C,Dt] */
  teacherText: HostTensor;
}

/** logits [N,C] of the whole test set through the classifier of `precision` */
export async function classifierLogits(
  rt: Runtime,
  m: ClassifierUnderTest,
  test: Pick<JobTestSet, 'labels' | 'pixels'>,
  precision: ClassifierPrecision,
): Promise<Float32Array> {
  const N = test.labels.length,
    C = m.hyper.nClasses,
    S = m.clip.config.vision.imageSize;
  const batch = evalBatchFor(N);
  const session = await rt.load(studentClassifierOnnx(m.clip, m.hyper, m.state, m.teacherText, batch, precision));
  const per = 3 * S * S,
    out = new Float32Array(N * C);
  try {
    // the pixels in chunks of several batches, as the job reads a large test set
    for (let at = 0; at < N; at += batch * 8) {
      const indices = Array.from({ length: Math.min(batch * 8, N - at) }, (_, i) => at + i);
      const px = (await test.pixels(indices, S)).data as Float32Array;
      for (let b = 0; b < indices.length; b += batch) {
        const n = Math.min(batch, indices.length - b);
        // eval-mode BatchNorm is per row: zero padding cannot change the real rows
        const chunk = new Float32Array(batch * per);
        chunk.set(px.subarray(b * per, (b + n) * per));
        const result = await session.run({ [CLASSIFIER_INPUT]: hostTensor('float32', [batch, 3, S, S], chunk) });
        out.set(((await result[CLASSIFIER_OUTPUT]!.read()).data as Float32Array).subarray(0, n * C), (at + b) * C);
        for (const t of Object.values(result)) t.dispose();
      }
    }
  } finally {
    await session.release();
  }
  return out;
}

const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));

/** the protocol's evaluation of logits [N,C] */
export const scoreLogits = (logits: Float32Array, labels: readonly number[], protocol: EvalProtocol, nClasses: number): Evaluation =>
  evaluate(logits, [...labels], protocolSplit(protocol, nClasses));

/** the protocol's headline number: HM under base-to-new, the accuracy over all classes under cross-dataset */
const headline = (e: Evaluation, protocol: EvalProtocol): number => (protocol === 'cross-dataset' ? e.base : e.hm) ?? 0;

/** fp16 against fp32: logits [N,C] of both on the same test images */
export function fp16Cost(
  fp32: Float32Array,
  fp16: Float32Array,
  labels: readonly number[],
  protocol: EvalProtocol,
  nClasses: number,
): Fp16Cost {
  const C = nClasses,
    N = labels.length;
  let same = 0;
  for (let i = 0; i < N; i++) if (argmax(fp32.subarray(i * C, (i + 1) * C)) === argmax(fp16.subarray(i * C, (i + 1) * C))) same++;
  return {
    images: N,
    agreement: same / N,
    delta: headline(scoreLogits(fp16, labels, protocol, C), protocol) - headline(scoreLogits(fp32, labels, protocol, C), protocol),
  };
}
