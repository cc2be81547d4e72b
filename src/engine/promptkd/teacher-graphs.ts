// The teacher's graphs: class text features, image logits, and the stage-1 (PromptSRC) train step.
//
//   text:   token_embeds [C,L,Wt], eot [C,1,L] (+ text prompts)        → text_features [C,E] (unit rows)
//   logits: pixels [B,3,S,S], teacher_text [C,E] (+ vision prompts)     → logits [B,C] = exp(logit_scale)·norm(img)@textᵀ,
//                                                                          image_features [B,E] (unit rows)
//   tune:   pixels, labels [B,Cb] one-hot, class_token_embeds [Cb,L,Wt], class_eot [Cb,1,L],
//           zs_text [Cb,E] (frozen zero-shot text features, when a regulariser needs them),
//           prompts of both towers (trainable), their momentum, lr
//           → loss, logits [B,Cb], ce, l1_text, l1_image, kl_zero_shot, `<prompt>.next`, …
//
// Prompt inputs carry their PromptSRC state-dict names (teacher-prompts.ts); frozen CLIP weights are
// the `${prefix}.…` inputs of weights.ts. Without prompts (plan null) the graphs are zero-shot CLIP.
import { buildTrainStep, type TrainStepSpec } from '../autodiff/train-step.ts';
import type { ClipConfig } from '../clip/config.ts';
import { l2Normalize } from '../clip/model.ts';
import { buildTextTower, type TextPrompts } from '../clip/text.ts';
import type { TextTowerInputs } from '../clip/text-input.ts';
import type { AttentionKind } from '../clip/transformer.ts';
import { buildVisionTower, type VisionPrompts } from '../clip/vision.ts';
import { weightFeeds, weightInput, type ClipWeights } from '../clip/weights.ts';
import { Graph, GraphError, type Value } from '../graph/graph.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { kdLoss } from './loss.ts';
import { PIXELS, TEACHER_TEXT } from './student.ts';
import { TEACHER_PROMPT_NAMES, type TeacherPromptPlan } from './teacher-prompts.ts';

export const TOKEN_EMBEDS = 'token_embeds';
export const EOT = 'eot';
export const TEXT_FEATURES = 'text_features';
// the image and class-feature inputs are named as in the student's graphs
export { PIXELS, TEACHER_TEXT };
export const LOGITS = 'logits';
export const IMAGE_FEATURES = 'image_features';
export const LABELS = 'labels';
export const ZS_TEXT = 'zs_text';

/** Graph-input names of the text prompts, in trainable order. */
export function textPromptNames(plan: TeacherPromptPlan): string[] {
  return [TEACHER_PROMPT_NAMES.textCtx, ...Array.from({ length: plan.textDepth - 1 }, (_, i) => TEACHER_PROMPT_NAMES.textDeep(i + 1))];
}

/** Graph-input names of the vision prompts, in trainable order. */
export function visionPromptNames(plan: TeacherPromptPlan): string[] {
  return [
    TEACHER_PROMPT_NAMES.visionShallow,
    ...Array.from({ length: plan.visionDepth - 1 }, (_, i) => TEACHER_PROMPT_NAMES.visionDeep(i + 1)),
  ];
}

function declareTextPrompts(g: Graph, plan: TeacherPromptPlan): TextPrompts {
  const [ctx, ...deep] = textPromptNames(plan).map((n) => g.input(n, 'float32', [plan.nCtx, plan.textWidth]));
  return { ctx: ctx!, deep };
}

function declareVisionPrompts(g: Graph, plan: TeacherPromptPlan): VisionPrompts {
  const [shallow, ...deep] = visionPromptNames(plan).map((n) => g.input(n, 'float32', [plan.nCtx, plan.visionWidth]));
  return { shallow: shallow!, deep };
}

function checkPlan(cfg: ClipConfig, plan: TeacherPromptPlan): void {
  if (plan.textWidth !== cfg.text.width || plan.visionWidth !== cfg.vision.width) {
    throw new GraphError(
      `teacher prompt plan is for widths text ${plan.textWidth} / vision ${plan.visionWidth}, the teacher has ${cfg.text.width} / ${cfg.vision.width}`,
    );
  }
}

/** exp(logit_scale) of the teacher weights (100 for OpenAI CLIP), a graph scalar [] */
const logitScale = (g: Graph, clip: ClipWeights): Value => g.exp(weightInput(g, clip, 'logit_scale'));

/** scale · norm(a) @ norm(b)ᵀ: a [N,E], b [C,E] → [N,C] (b's rows are normalised again: harmless when already unit) */
function scaledCosine(g: Graph, a: Value, b: Value, scale: Value): Value {
  return g.mul(g.matmul(l2Normalize(g, a), g.transpose(l2Normalize(g, b), [1, 0])), scale);
}

export interface TeacherGraph {
  graph: Graph;
  /** feeds for the frozen CLIP weights the graph declared: upload once */
  frozen: Record<string, HostTensor>;
}

/** Class text features [C,E], unit rows, for C prompts of L token positions. */
export function buildTeacherTextGraph(
  clip: ClipWeights,
  plan: TeacherPromptPlan | null,
  nClasses: number,
  textLength: number,
): TeacherGraph {
  const cfg = clip.config;
  if (plan) checkPlan(cfg, plan);
  const g = new Graph(plan ? 'teacher-text' : 'teacher-text-zero-shot');
  const tokenEmbeds = g.input(TOKEN_EMBEDS, 'float32', [nClasses, textLength, cfg.text.width]);
  const eot = g.input(EOT, 'float32', [nClasses, 1, textLength]);
  const tower = buildTextTower(g, cfg, clip, tokenEmbeds, eot, plan ? declareTextPrompts(g, plan) : undefined);
  g.output(TEXT_FEATURES, l2Normalize(g, tower.embeds));
  return { graph: g, frozen: weightFeeds(g, clip) };
}

/**
 * Teacher logits [B,C] and unit image features [B,E] for a batch of B images against C class features,
 * its attention fused (one MultiHeadAttention per block) unless `attention` says 'plain'.
 * With float16 vision weights (halfPrecisionTower) the tower computes in float16 between casts
 * (buildVisionTower); the inputs and outputs stay float32.
 */
export function buildTeacherLogitsGraph(
  clip: ClipWeights,
  plan: TeacherPromptPlan | null,
  batch: number,
  nClasses: number,
  attention: AttentionKind,
): TeacherGraph {
  const cfg = clip.config;
  if (plan) checkPlan(cfg, plan);
  const S = cfg.vision.imageSize;
  const g = new Graph(plan ? 'teacher-logits' : 'teacher-logits-zero-shot');
  const pixels = g.input(PIXELS, 'float32', [batch, 3, S, S]);
  const text = g.input(TEACHER_TEXT, 'float32', [nClasses, cfg.embedDim]);
  const prompts = plan ? declareVisionPrompts(g, plan) : undefined;
  const image = l2Normalize(g, buildVisionTower(g, cfg, clip, pixels, prompts, attention).embeds); // [B,E]
  g.output(LOGITS, scaledCosine(g, image, text, logitScale(g, clip)));
  g.output(IMAGE_FEATURES, image);
  return { graph: g, frozen: weightFeeds(g, clip) };
}

/** PromptSRC's self-regularisation (trainers/promptsrc.py); all zero/false is plain IVLP with CE. */
export interface TeacherTuneLoss {
  /** L1 between the prompted and the frozen zero-shot text features (both unit), mean over elements */
  textL1Weight: number;
  /** L1 between the prompted and the frozen image features (both unit), mean over elements */
  imageL1Weight: number;
  /** KL(softmax(zero-shot logits) ‖ softmax(logits)), summed and divided by B·Cb */
  zeroShotKl: boolean;
}

export const PROMPTSRC_LOSS: TeacherTuneLoss = { textL1Weight: 25, imageL1Weight: 10, zeroShotKl: true };

export interface TeacherTuneShape {
  batch: number;
  /** classes the labels index (the base classes) */
  nClasses: number;
  /** token positions of the class prompts */
  textLength: number;
}

export interface TeacherTuneArtifact extends TeacherGraph {
  spec: TrainStepSpec;
  /** trainable input names: text prompts, then vision prompts */
  trainable: string[];
}

export const CE = 'ce';
export const L1_TEXT = 'l1_text';
export const L1_IMAGE = 'l1_image';
export const KL_ZERO_SHOT = 'kl_zero_shot';

/** |x| as relu(x) + relu(−x): exact, and its gradient is torch's sign(x) (0 at 0) */
const abs = (g: Graph, x: Value): Value => g.add(g.relu(x), g.relu(g.neg(x)));
const meanAll = (g: Graph, x: Value): Value =>
  g.reduceMean(
    x,
    x.shape.map((_, i) => i),
    false,
  );

/** One SGD step of stage-1 teacher prompt tuning over both towers. */
export function buildTeacherTuneStep(
  clip: ClipWeights,
  plan: TeacherPromptPlan,
  shape: TeacherTuneShape,
  loss: TeacherTuneLoss,
  optimizer: { momentum: number; weightDecay: number },
  opts: { emitGradients?: boolean } = {},
): TeacherTuneArtifact {
  const cfg = clip.config;
  checkPlan(cfg, plan);
  const { batch: B, nClasses: C, textLength: L } = shape;
  if (C < 2) throw new GraphError(`teacher tuning needs at least 2 classes for a cross-entropy, got ${C}`);
  const S = cfg.vision.imageSize;
  const g = new Graph('teacher-tune-step');
  const pixels = g.input(PIXELS, 'float32', [B, 3, S, S]);
  const labels = g.input(LABELS, 'float32', [B, C]);
  const tokenEmbeds = g.input(TOKEN_EMBEDS, 'float32', [C, L, cfg.text.width]);
  const eot = g.input(EOT, 'float32', [C, 1, L]);
  const textPrompts = declareTextPrompts(g, plan);
  const visionPrompts = declareVisionPrompts(g, plan);
  const scale = logitScale(g, clip);

  const text = l2Normalize(g, buildTextTower(g, cfg, clip, tokenEmbeds, eot, textPrompts).embeds); //      [C,E]
  const image = l2Normalize(g, buildVisionTower(g, cfg, clip, pixels, visionPrompts).embeds); //            [B,E]
  const logits = g.mul(g.matmul(image, g.transpose(text, [1, 0])), scale); //                           [B,C]
  // cross-entropy with one-hot labels: −Σ y·log softmax(logits) / B
  const ce = g.mul(g.reduceSum(g.mul(labels, g.logSoftmax(logits, -1)), [0, 1], false), g.scalar(-1 / B));
  const terms: Value[] = [ce];
  const extras: Record<string, Value> = { [LOGITS]: logits, [CE]: ce };

  const needZsText = loss.textL1Weight > 0 || loss.zeroShotKl;
  const zsText = needZsText ? g.input(ZS_TEXT, 'float32', [C, cfg.embedDim]) : null;
  // the frozen tower shares the weights and has no path to a trainable input: no gradient nodes
  const zsImage = loss.imageL1Weight > 0 || loss.zeroShotKl ? l2Normalize(g, buildVisionTower(g, cfg, clip, pixels).embeds) : null;
  if (loss.textL1Weight > 0) {
    const l1 = meanAll(g, abs(g, g.sub(text, zsText!)));
    extras[L1_TEXT] = l1;
    terms.push(g.mul(l1, g.scalar(loss.textL1Weight)));
  }
  if (loss.imageL1Weight > 0) {
    const l1 = meanAll(g, abs(g, g.sub(image, zsImage!)));
    extras[L1_IMAGE] = l1;
    terms.push(g.mul(l1, g.scalar(loss.imageL1Weight)));
  }
  if (loss.zeroShotKl) {
    const zsLogits = scaledCosine(g, zsImage!, zsText!, scale);
    const kl = kdLoss(g, logits, zsLogits, { temperature: 1, kdWeight: 1 });
    extras[KL_ZERO_SHOT] = kl;
    terms.push(kl);
  }
  const total = terms.reduce((a, b) => g.add(a, b));
  const trainable = [...textPromptNames(plan), ...visionPromptNames(plan)];
  const spec = buildTrainStep(g, {
    loss: total,
    trainable,
    optimizer: { kind: 'sgd', ...optimizer },
    extraOutputs: extras,
    emitGradients: opts.emitGradients ?? false,
  });
  return { graph: g, frozen: weightFeeds(g, clip), spec, trainable };
}

/**
 * The tune step's inputs per class: token embeddings [Cb,L,Wt] and eot [Cb,1,L] of the prompted class
 * texts, and the frozen zero-shot text features [Cb,E] where the loss needs them (`zsText`).
 */
export function tuneClassFeeds(text: TextTowerInputs, zsText: HostTensor | null): Record<string, HostTensor> {
  return { [TOKEN_EMBEDS]: text.tokenEmbeds, [EOT]: text.eot, ...(zsText ? { [ZS_TEXT]: zsText } : {}) };
}

/** The tune step's inputs per batch: pixels [B,3,S,S] and the labels one-hot [B,Cb]. */
export function tuneBatchFeeds(pixels: HostTensor, labels: readonly number[], nClasses: number): Record<string, HostTensor> {
  return { [PIXELS]: pixels, [LABELS]: oneHot(labels, nClasses) };
}

/** labels → one-hot [B,C] float32 */
function oneHot(labels: readonly number[], nClasses: number): HostTensor {
  const data = new Float32Array(labels.length * nClasses);
  labels.forEach((y, i) => {
    if (!Number.isInteger(y) || y < 0 || y >= nClasses) throw new GraphError(`label ${y} of sample ${i} is outside 0..${nClasses - 1}`);
    data[i * nClasses + y] = 1;
  });
  return hostTensor('float32', [labels.length, nClasses], data);
}
