// The exported classifier (export-onnx.ts) on a run's test set, in the precision it is exported in:
// what goes into the model card is measured on the model itself. And what fp16 costs against fp32:
// how often both give the same top-1 class, and how much the protocol's headline number moves (HM
// under base-to-new, the accuracy over all classes under cross-dataset). Both precisions run the
// same graph at the job's eval batch, so they are compared on equal terms.
import type { ClipWeights } from '../clip/weights.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { type ClassifierPrecision, CLASSIFIER_INPUT, CLASSIFIER_OUTPUT, studentClassifierOnnx } from './export-onnx.ts';
import type { EvalProtocol, Evaluation } from './metrics.ts';
import type { Fp16Cost } from './model-folder.ts';
import type { StudentState } from './state.ts';
import type { StudentHyper } from './student.ts';
import { evalBatchFor, scoreLogits, testSetLogits, type TestImages } from './test-eval.ts';

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
  test: Pick<TestImages, 'labels' | 'pixels'>,
  precision: ClassifierPrecision,
): Promise<Float32Array> {
  const N = test.labels.length,
    C = m.hyper.nClasses,
    S = m.clip.config.vision.imageSize;
  const batch = evalBatchFor(N);
  const session = await rt.load(studentClassifierOnnx(m.clip, m.hyper, m.state, m.teacherText, batch, precision));
  const per = 3 * S * S;
  // a chunk of the set [n,3,S,S] in batches of the graph's fixed size; eval-mode BatchNorm is per
  // row, so zero padding cannot change the real rows
  const logitsOf = async (pixels: HostTensor): Promise<HostTensor> => {
    const n = pixels.shape[0]!,
      px = pixels.data as Float32Array,
      out = new Float32Array(n * C);
    for (let b = 0; b < n; b += batch) {
      const rows = Math.min(batch, n - b);
      const chunk = new Float32Array(batch * per);
      chunk.set(px.subarray(b * per, (b + rows) * per));
      const result = await session.run({ [CLASSIFIER_INPUT]: hostTensor('float32', [batch, 3, S, S], chunk) });
      out.set(((await result[CLASSIFIER_OUTPUT]!.read()).data as Float32Array).subarray(0, rows * C), b * C);
      for (const t of Object.values(result)) t.dispose();
    }
    return hostTensor('float32', [n, C], out);
  };
  try {
    return await testSetLogits(test, S, C, logitsOf, { chunk: batch * 8 });
  } finally {
    await session.release();
  }
}

const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));

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
