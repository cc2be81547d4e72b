// FLOPs and memory of the PromptKD student's train step, from its graphs (no run).
//
// The pruned step is the real artifact (buildStudentTrainStep: prompts and projector trainable).
// The comparison step differentiates every CLIP weight too: student.ts keeps its forward private, so
// it is recomposed here from the same exported builders and checked to be the same graph (equal
// FLOPs when given the same trainables) before any number from it is used.
import { buildTrainStep } from '../src/engine/autodiff/train-step.ts';
import { buildVisionTower } from '../src/engine/clip/vision.ts';
import { weightFeeds, type ClipWeights } from '../src/engine/clip/weights.ts';
import { countFlops } from '../src/engine/graph/flops.ts';
import { Graph, type Value } from '../src/engine/graph/graph.ts';
import { cosineLogits, kdLoss, projector } from '../src/engine/promptkd/loss.ts';
import { PROJECTOR, RUNNING_MEAN, RUNNING_VAR, trainableNames, trainableShapes, VPT, vptShallow } from '../src/engine/promptkd/state.ts';
import {
  buildStudentTrainStep, LOSS, next, PIXELS, STUDENT_LOGITS, studentDims, TEACHER_LOGITS, TEACHER_TEXT, type StudentHyper,
} from '../src/engine/promptkd/student.ts';
import { estimateTrainMemory, trainForwardFlops, type FlopRatio, type MemoryEstimate } from './graph-costs.ts';

const FORWARD_OUTPUTS = [LOSS, STUDENT_LOGITS, next(RUNNING_MEAN), next(RUNNING_VAR)];

/** The student step recomposed, training `which` ('student': PromptKD's trainables; 'all': every weight too). */
function composedStudentStep(clip: ClipWeights, h: StudentHyper, batch: number, which: 'student' | 'all'): Graph {
  const g = new Graph(`promptkd-student-train-${which}`);
  const S = clip.config.vision.imageSize;
  const pixels = g.input(PIXELS, 'float32', [batch, 3, S, S]);
  const teacherText = g.input(TEACHER_TEXT, 'float32', [h.nClasses, h.teacherDim]);
  const params = new Map<string, Value>();
  for (const [name, shape] of trainableShapes(studentDims(clip, h))) params.set(name, g.input(name, 'float32', shape));
  const running = { mean: g.input(RUNNING_MEAN, 'float32', [h.teacherDim]), var: g.input(RUNNING_VAR, 'float32', [h.teacherDim]) };
  const teacherLogits = g.input(TEACHER_LOGITS, 'float32', [batch, h.nClasses]);
  const p = (n: string) => params.get(n)!;
  const deep = Array.from({ length: h.depth - 1 }, (_, i) => p(vptShallow(i + 1)));
  const tower = buildVisionTower(g, clip.config, clip, pixels, { shallow: p(VPT), deep });
  const head = projector(g, tower.embeds, {
    conv0Weight: p(PROJECTOR.conv0Weight), conv0Bias: p(PROJECTOR.conv0Bias), bnWeight: p(PROJECTOR.bnWeight),
    bnBias: p(PROJECTOR.bnBias), conv3Weight: p(PROJECTOR.conv3Weight), conv3Bias: p(PROJECTOR.conv3Bias),
  }, { mode: 'train', running, momentum: h.bnMomentum, eps: h.bnEps });
  const logits = cosineLogits(g, head.out, teacherText, h.logitScale);
  const trainable: Value[] = trainableNames(h.depth).map(p);
  if (which === 'all') trainable.push(...Object.keys(weightFeeds(g, clip)).map((n) => g.inputs.find((v) => v.name === n)!));
  buildTrainStep(g, {
    loss: kdLoss(g, logits, teacherLogits, h), trainable,
    optimizer: { kind: 'sgd', momentum: h.momentum, weightDecay: h.weightDecay },
    extraOutputs: { [STUDENT_LOGITS]: logits, [next(RUNNING_MEAN)]: head.running!.mean, [next(RUNNING_VAR)]: head.running!.var },
  });
  return g;
}

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
  const same = countFlops(composedStudentStep(clip, h, batch, 'student')).flops;
  if (same !== pruned.train) {
    throw new Error(`bench/student-costs.ts no longer builds the student step of student.ts (${same} vs ${pruned.train} FLOPs): update composedStudentStep`);
  }
  const allWeights = trainForwardFlops(composedStudentStep(clip, h, batch, 'all'), FORWARD_OUTPUTS);
  const memory = estimateTrainMemory(art.graph, {
    frozen: new Set(Object.keys(art.frozen)), state: new Set(art.carry.map((c) => c.to)), forwardOutputs: FORWARD_OUTPUTS,
  });
  return { pruned, allWeights, memory };
}
