// The self-contained student classifier: the student's eval graph (prompted vision tower →
// projector with BatchNorm in eval mode → cosine logits against the teacher's class text features)
// with every weight baked in, so that plain onnxruntime maps pixels to logits:
//
//   pixels float32 [N,3,S,S] (CLIP-normalised) → student_logits float32 [N,C]
//
// N is fixed at export (the graph builder's shapes are static); callers pad the last batch, which
// cannot change the real rows (eval-mode BatchNorm is per row).
import type { ClipWeights } from '../clip/weights.ts';
import { bakeInputs } from '../graph/bake.ts';
import { toOnnx } from '../graph/onnx.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { stateFeeds } from './session.ts';
import type { StudentState } from './state.ts';
import { buildStudentEval, PIXELS, STUDENT_LOGITS, TEACHER_TEXT, type StudentHyper } from './student.ts';

export const CLASSIFIER_INPUT = PIXELS;
export const CLASSIFIER_OUTPUT = STUDENT_LOGITS;

/** ONNX bytes of the classifier; `teacherText` [C,Dt] unit rows, base then new. */
export function studentClassifierOnnx(
  clip: ClipWeights,
  hyper: StudentHyper,
  state: StudentState,
  teacherText: HostTensor,
  batch: number,
): Uint8Array {
  // plain attention: a file may run on any onnxruntime EP, and onnxruntime 1.30's native WebGPU EP
  // computes the fused op wrong from 32 tokens on (runtime/fused-attention.ts)
  const art = buildStudentEval(clip, hyper, batch, 'plain');
  const trainState = stateFeeds(state, hyper.depth);
  const feeds: Record<string, HostTensor> = { ...art.frozen, [TEACHER_TEXT]: teacherText };
  // the eval graph reads params and running stats, not momentum
  for (const v of art.graph.inputs) if (v.name in trainState && !(v.name in feeds)) feeds[v.name] = trainState[v.name]!;
  return bakeInputs(toOnnx(art.graph), feeds);
}
