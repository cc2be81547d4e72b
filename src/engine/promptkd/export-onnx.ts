// The self-contained student classifier: the student's eval graph (prompted vision tower →
// projector with BatchNorm in eval mode → cosine logits against the teacher's class text features)
// with every weight baked in, so that plain onnxruntime maps pixels to logits:
//
//   pixels float32 [N,3,S,S] (CLIP-normalised) → student_logits float32 [N,C]
//
// N is fixed at export (the graph builder's shapes are static); callers pad the last batch, which
// cannot change the real rows (eval-mode BatchNorm is per row). The deployable model (the export
// folder's onnx/model.onnx) runs that graph at batch 1 inside a Scan over any batch, under the names
// transformers.js gives an image classifier's input and output:
//
//   pixel_values float32 [N,3,S,S] → logits float32 [N,C]
//
// In fp16 the vision tower's weights are float16 and it computes in float16 where the runtime has
// float16 kernels (WebGPU with shader-f16); onnxruntime's CPU inserts casts to float32 around ops it
// has no float16 kernel for. The projector, the class features and the logits stay float32.
import { halfPrecisionTower, type ClipWeights } from '../clip/weights.ts';
import { bakeInputs } from '../graph/bake.ts';
import { scanOverBatch } from '../graph/batch-scan.ts';
import { toOnnx } from '../graph/onnx.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { stateFeeds } from './session.ts';
import type { StudentState } from './state.ts';
import { buildStudentEval, PIXELS, STUDENT_LOGITS, TEACHER_TEXT, type StudentHyper } from './student.ts';

export const CLASSIFIER_INPUT = PIXELS;
export const CLASSIFIER_OUTPUT = STUDENT_LOGITS;
/** the deployable model's input and output, as transformers.js names an image classifier's */
export const MODEL_INPUT = 'pixel_values';
export const MODEL_OUTPUT = 'logits';

/** fp32, or the vision tower's weights (and compute, where the runtime can) in float16 */
export type ClassifierPrecision = 'fp32' | 'fp16';

/** ONNX bytes of the classifier; `teacherText` [C,Dt] unit rows, base then new. */
export function studentClassifierOnnx(
  clip: ClipWeights,
  hyper: StudentHyper,
  state: StudentState,
  teacherText: HostTensor,
  batch: number,
  precision: ClassifierPrecision = 'fp32',
): Uint8Array {
  // plain attention: a file may run on any onnxruntime EP, and onnxruntime 1.30's native WebGPU EP
  // computes the fused op wrong from 32 tokens on (runtime/fused-attention.ts)
  const art = buildStudentEval(precision === 'fp16' ? halfPrecisionTower(clip, 'vision') : clip, hyper, batch, 'plain');
  const trainState = stateFeeds(state, hyper.depth);
  const feeds: Record<string, HostTensor> = { ...art.frozen, [TEACHER_TEXT]: teacherText };
  // the eval graph reads params and running stats, not momentum
  for (const v of art.graph.inputs) if (v.name in trainState && !(v.name in feeds)) feeds[v.name] = trainState[v.name]!;
  return bakeInputs(toOnnx(art.graph), feeds);
}

/** The deployable classifier: `pixel_values` [N,3,S,S] → `logits` [N,C] for any N. */
export function deployableClassifierOnnx(
  clip: ClipWeights,
  hyper: StudentHyper,
  state: StudentState,
  teacherText: HostTensor,
  precision: ClassifierPrecision,
): Uint8Array {
  return scanOverBatch(studentClassifierOnnx(clip, hyper, state, teacherText, 1, precision), {
    input: MODEL_INPUT,
    outputs: { [CLASSIFIER_OUTPUT]: MODEL_OUTPUT },
  });
}
