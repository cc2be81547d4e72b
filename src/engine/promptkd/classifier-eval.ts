// A model folder's classifier measured as it is: its deployable ONNX bytes (export-onnx.ts, a Scan over
// the batch) on a run's test set, so that the numbers in the model card are the file's own. And what
// fp16 costs against fp32: how often both give the same top-1 class, and how much the protocol's
// headline number moves (HM under base-to-new, the accuracy over all classes under cross-dataset).
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor } from '../graph/tensor.ts';
import { MODEL_INPUT, MODEL_OUTPUT, type ClassifierPrecision } from './export-onnx.ts';
import { accuracyOf, type Accuracy, type EvalProtocol, type Evaluation } from './metrics.ts';
import { topOneAgreement } from './top-one.ts';
import type { Fp16Cost } from './model-folder.ts';
import { evalBatchFor, scoreLogits, testSetLogits, type TestImages } from './test-eval.ts';

type TestSet = Pick<TestImages, 'labels' | 'pixels'>;

/** logits [N,C] of the whole test set through a deployable classifier (pixel_values [n,3,S,S] → logits [n,C]) */
export async function deployedLogits(
  rt: Runtime,
  onnx: Uint8Array,
  test: TestSet,
  imageSize: number,
  nClasses: number,
): Promise<Float32Array> {
  const session = await rt.load(onnx);
  try {
    return await testSetLogits(
      test,
      imageSize,
      nClasses,
      async (pixels) => {
        const result = await session.run({ [MODEL_INPUT]: pixels });
        try {
          const logits = await result[MODEL_OUTPUT]!.read(); // [n,C]
          return hostTensor('float32', logits.shape, Float32Array.from(logits.data as Float32Array));
        } finally {
          for (const t of Object.values(result)) t.dispose();
        }
      },
      { chunk: evalBatchFor(test.labels.length) },
    );
  } finally {
    await session.release();
  }
}

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
  const C = nClasses;
  return {
    images: labels.length,
    agreement: topOneAgreement(fp32, fp16, C),
    delta: headline(scoreLogits(fp16, labels, protocol, C), protocol) - headline(scoreLogits(fp32, labels, protocol, C), protocol),
  };
}

export interface ExportMeasures {
  /** the accuracy of the model the card describes */
  accuracy: Accuracy;
  /** fp16 against fp32, where the fp16 model was measured */
  fp16Cost: Fp16Cost | null;
}

/**
 * The card's numbers: `onnx.fp32` on the test set, and `onnx.fp16` where given, with what it costs
 * against fp32; `card` says whose accuracy the card gives (fp16's in a folder that holds only fp16).
 */
export async function measureExport(
  rt: Runtime,
  onnx: { fp32: Uint8Array; fp16?: Uint8Array },
  card: ClassifierPrecision,
  test: TestSet,
  protocol: EvalProtocol,
  shape: { imageSize: number; nClasses: number },
  onProgress: (label: string) => void = () => undefined,
): Promise<ExportMeasures> {
  const logitsOf = (bytes: Uint8Array) => deployedLogits(rt, bytes, test, shape.imageSize, shape.nClasses);
  onProgress('the model on the test set (fp32)');
  const fp32 = await logitsOf(onnx.fp32);
  if (!onnx.fp16) return { accuracy: accuracyOf(scoreLogits(fp32, test.labels, protocol, shape.nClasses)), fp16Cost: null };
  onProgress('fp16 on the test set, against fp32');
  const fp16 = await logitsOf(onnx.fp16);
  return {
    accuracy: accuracyOf(scoreLogits(card === 'fp16' ? fp16 : fp32, test.labels, protocol, shape.nClasses)),
    fp16Cost: fp16Cost(fp32, fp16, test.labels, protocol, shape.nClasses),
  };
}
