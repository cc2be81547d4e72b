// FLOPs and memory of the PromptKD student's train step, from its graphs (no run).
//
// The pruned step is the real artifact (buildStudentTrainStep: prompts and projector trainable);
// the comparison is the same artifact with every frozen CLIP weight differentiated too.
import type { ClipWeights } from '../src/engine/clip/weights.ts';
import { RUNNING_MEAN, RUNNING_VAR } from '../src/engine/promptkd/state.ts';
import { buildStudentTrainStep, LOSS, next, STUDENT_LOGITS, type StudentHyper } from '../src/engine/promptkd/student.ts';
import { estimateTrainMemory, trainForwardFlops, type FlopRatio, type MemoryEstimate } from './graph-costs.ts';

const FORWARD_OUTPUTS = [LOSS, STUDENT_LOGITS, next(RUNNING_MEAN), next(RUNNING_VAR)];

export interface StudentStepCosts {
  /** the artifact the studio trains with: no gradients for frozen weights */
  pruned: FlopRatio;
  /** the same step, also differentiating (and updating) every frozen CLIP weight */
  allWeights: FlopRatio;
  memory: MemoryEstimate;
}

export function studentStepCosts(clip: ClipWeights, h: StudentHyper, batch: number): StudentStepCosts {
  const art = buildStudentTrainStep(clip, h, batch);
  const pruned = trainForwardFlops(art.graph, FORWARD_OUTPUTS);
  const allWeights = trainForwardFlops(buildStudentTrainStep(clip, h, batch, { differentiateFrozen: true }).graph, FORWARD_OUTPUTS);
  const memory = estimateTrainMemory(art.graph, {
    frozen: new Set(Object.keys(art.frozen)),
    state: new Set(art.carry.map((c) => c.to)),
    forwardOutputs: FORWARD_OUTPUTS,
  });
  return { pruned, allWeights, memory };
}
