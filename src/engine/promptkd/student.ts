// The student's two artifacts, built from the CLIP vision tower, the head and loss of loss.ts and
// the autodiff's train step:
//
//   train: pixels [B,3,S,S], teacher_logits [B,C], teacher_text [C,Dt], lr [], frozen CLIP vision
//          weights, trainable tensors (PromptKD names), `<name>.momentum`, BatchNorm running stats
//          → loss [], student_logits [B,C], `<name>.next`, `<name>.momentum.next`, running stats
//          `.next` (and `<name>.grad` when asked for)
//   eval:  pixels [N,3,S,S], teacher_text, frozen weights, trainable tensors, running stats
//          → student_logits [N,C] (BatchNorm in eval mode)
//
// Only the trainable inputs are differentiated; the frozen tower gets no gradient nodes.
import { promptDepthProblem } from './run-settings.ts';
import { buildTrainStep, type TrainStepSpec } from '../autodiff/train-step.ts';
import type { AttentionKind } from '../clip/transformer.ts';
import { buildVisionTower } from '../clip/vision.ts';
import { weightFeeds, type ClipWeights } from '../clip/weights.ts';
import { Graph, GraphError, type Value } from '../graph/graph.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { DistillConfig } from './config.ts';
import { cosineLogits, kdLoss, projector, type BatchNormMode, type ProjectorParams } from './loss.ts';
import { PROJECTOR, RUNNING_MEAN, RUNNING_VAR, trainableNames, trainableShapes, VPT, vptShallow, type StudentDims } from './state.ts';

/** What the student graphs need besides the CLIP weights. */
export type StudentHyper = Pick<
  DistillConfig,
  'nCtx' | 'depth' | 'temperature' | 'kdWeight' | 'logitScale' | 'momentum' | 'weightDecay' | 'bnMomentum' | 'bnEps'
> & {
  teacherDim: number;
  nClasses: number;
};

export const PIXELS = 'pixels';
export const TEACHER_LOGITS = 'teacher_logits';
export const TEACHER_TEXT = 'teacher_text';
export const STUDENT_LOGITS = 'student_logits';
export const LOSS = 'loss';
export const LR = 'lr';
export const next = (input: string): string => `${input}.next`;

export function studentDims(clip: ClipWeights, h: Pick<StudentHyper, 'nCtx' | 'depth' | 'teacherDim'>): StudentDims {
  const v = clip.config.vision;
  const tooDeep = promptDepthProblem(h.depth, v.layers);
  if (tooDeep) throw new GraphError(tooDeep);
  return { nCtx: h.nCtx, depth: h.depth, width: v.width, embedDim: clip.config.embedDim, teacherDim: h.teacherDim };
}

interface StudentInputs {
  pixels: Value;
  teacherText: Value;
  params: Map<string, Value>;
  running: { mean: Value; var: Value };
}

function declareInputs(g: Graph, clip: ClipWeights, h: StudentHyper, batch: number): StudentInputs {
  const S = clip.config.vision.imageSize;
  const pixels = g.input(PIXELS, 'float32', [batch, 3, S, S]);
  const teacherText = g.input(TEACHER_TEXT, 'float32', [h.nClasses, h.teacherDim]);
  const params = new Map<string, Value>();
  for (const [name, shape] of trainableShapes(studentDims(clip, h))) params.set(name, g.input(name, 'float32', shape));
  const running = { mean: g.input(RUNNING_MEAN, 'float32', [h.teacherDim]), var: g.input(RUNNING_VAR, 'float32', [h.teacherDim]) };
  return { pixels, teacherText, params, running };
}

/**
 * prompted tower → projector → cosine logits [B,C]; `attention` 'plain' where the graph is
 * differentiated. With float16 vision weights (halfPrecisionTower: the fp16 student and the exported
 * fp16 classifier) the tower computes in float16 between casts (buildVisionTower); the prompts, the
 * projector and the logits stay float32.
 */
function studentForward(g: Graph, clip: ClipWeights, h: StudentHyper, x: StudentInputs, bn: BatchNormMode, attention: AttentionKind) {
  const param = (n: string) => x.params.get(n)!;
  const deep = Array.from({ length: h.depth - 1 }, (_, i) => param(vptShallow(i + 1)));
  const tower = buildVisionTower(g, clip.config, clip, x.pixels, { shallow: param(VPT), deep }, attention);
  const head: ProjectorParams = {
    conv0Weight: param(PROJECTOR.conv0Weight),
    conv0Bias: param(PROJECTOR.conv0Bias),
    bnWeight: param(PROJECTOR.bnWeight),
    bnBias: param(PROJECTOR.bnBias),
    conv3Weight: param(PROJECTOR.conv3Weight),
    conv3Bias: param(PROJECTOR.conv3Bias),
  };
  const { out, running } = projector(g, tower.embeds, head, bn);
  return { logits: cosineLogits(g, out, x.teacherText, h.logitScale), running };
}

export interface StudentTrainArtifact {
  graph: Graph;
  spec: TrainStepSpec;
  /** every output → input pair to feed back between steps: params, momentum, running stats */
  carry: { from: string; to: string }[];
  /** feeds for the frozen CLIP weights: upload once */
  frozen: Record<string, HostTensor>;
}

export interface StudentTrainOptions {
  /** also output `<name>.grad` (fixture checks) */
  emitGradients?: boolean;
  /** also differentiate and update every frozen CLIP weight: only to measure what pruning the backward saves */
  differentiateFrozen?: boolean;
}

export function buildStudentTrainStep(
  clip: ClipWeights,
  h: StudentHyper,
  batch: number,
  opts: StudentTrainOptions = {},
): StudentTrainArtifact {
  if (batch < 2) throw new GraphError(`the student trains with BatchNorm batch statistics and needs a batch of at least 2, got ${batch}`);
  const g = new Graph('promptkd-student-train');
  const x = declareInputs(g, clip, h, batch);
  const teacherLogits = g.input(TEACHER_LOGITS, 'float32', [batch, h.nClasses]);
  const f = studentForward(g, clip, h, x, { mode: 'train', running: x.running, momentum: h.bnMomentum, eps: h.bnEps }, 'plain');
  const loss = kdLoss(g, f.logits, teacherLogits, h);
  const frozen = weightFeeds(g, clip);
  const frozenInputs = opts.differentiateFrozen ? g.inputs.filter((v) => v.name in frozen) : [];
  const spec = buildTrainStep(g, {
    loss,
    trainable: [...trainableNames(h.depth).map((n) => x.params.get(n)!), ...frozenInputs],
    optimizer: { kind: 'sgd', momentum: h.momentum, weightDecay: h.weightDecay },
    extraOutputs: { [STUDENT_LOGITS]: f.logits, [next(RUNNING_MEAN)]: f.running!.mean, [next(RUNNING_VAR)]: f.running!.var },
    emitGradients: opts.emitGradients ?? false,
  });
  const carry = [...spec.carry, { from: next(RUNNING_MEAN), to: RUNNING_MEAN }, { from: next(RUNNING_VAR), to: RUNNING_VAR }];
  return { graph: g, spec, carry, frozen };
}

export interface StudentEvalArtifact {
  graph: Graph;
  frozen: Record<string, HostTensor>;
}

/** the eval graph; `attention`: 'fused' (one MultiHeadAttention a block) where the runtime computes it right (forwardAttentionOn), else and for exported files 'plain' */
export function buildStudentEval(clip: ClipWeights, h: StudentHyper, batch: number, attention: AttentionKind): StudentEvalArtifact {
  const g = new Graph('promptkd-student-eval');
  const x = declareInputs(g, clip, h, batch);
  const f = studentForward(g, clip, h, x, { mode: 'eval', running: x.running, eps: h.bnEps }, attention);
  g.output(STUDENT_LOGITS, f.logits);
  return { graph: g, frozen: weightFeeds(g, clip) };
}
