// CLIP's contrastive pre-training step for the demo's tiny CLIPs, as one train-step graph.
//
// A batch is `groups` groups of `K` (image, caption) pairs whose captions name K different
// classes; each group is its own symmetric InfoNCE problem (image→text and text→image
// cross-entropy over the K×K scaled cosine similarities, targets on the diagonal). Grouping keeps
// two captions of the same class out of one softmax, where they would be false negatives.
//
// The text tower reads its token embeddings from a small trainable table holding only the tokens
// the captions use (`token_table` [V_used, W], looked up with Gather); it is written back into
// the full vocabulary table when the model is saved.
import { Graph, type Value } from '../graph/graph.ts';
import { buildTrainStep, type TrainStepSpec } from '../autodiff/train-step.ts';
import { l2Normalize } from '../clip/model.ts';
import { buildTextTower } from '../clip/text.ts';
import { buildVisionTower } from '../clip/vision.ts';
import { weightFeeds, weightInput, type ClipWeights } from '../clip/weights.ts';

export interface ContrastiveShape {
  /** independent contrastive groups per batch */
  readonly groups: number;
  /** pairs per group (distinct classes) */
  readonly perGroup: number;
  /** token positions fed to the text tower (captions are short; the causal mask ignores the rest) */
  readonly textLength: number;
  /** rows of the caption token table */
  readonly vocabUsed: number;
}

export interface ContrastiveOptions {
  readonly weightDecay: number;
  /** train logit_scale (CLIP does) or keep it at its initial value */
  readonly learnLogitScale: boolean;
  /** keep the vision tower as it is and train only the text side (LiT's locked-image tuning) */
  readonly lockVision?: boolean;
}

export interface ContrastiveStep {
  readonly graph: Graph;
  readonly spec: TrainStepSpec;
  /** names of the per-batch inputs */
  readonly inputs: { pixels: string; tokens: string; eot: string };
  /** the trainable token table's input name */
  readonly tokenTable: string;
}

/**
 * Inputs: `pixel_values` [G·K, 3, S, S], `token_ids` int64 [G·K, L] (rows of the token table),
 * `eot` [G·K, 1, L] one-hot end positions, the weights and `token_table`, plus the optimizer's.
 * Outputs: `loss` and `logits` [G, K, K] (image rows, caption columns) besides the updates.
 */
export function buildContrastiveStep(w: ClipWeights, shape: ContrastiveShape, opts: ContrastiveOptions): ContrastiveStep {
  const cfg = w.config,
    G = shape.groups,
    K = shape.perGroup,
    B = G * K,
    L = shape.textLength;
  const S = cfg.vision.imageSize,
    E = cfg.embedDim;
  const g = new Graph('clip_contrastive_step');
  const pixels = g.input('pixel_values', 'float32', [B, 3, S, S]);
  const ids = g.input('token_ids', 'int64', [B, L]);
  const eot = g.input('eot', 'float32', [B, 1, L]);
  const table = g.input('token_table', 'float32', [shape.vocabUsed, cfg.text.width]);

  const image = buildVisionTower(g, cfg, w, pixels).embeds; // [B, E]
  const text = buildTextTower(g, cfg, w, g.gather(table, ids, 0), eot).embeds; // [B, E]
  const img = g.reshape(l2Normalize(g, image), [G, K, E]);
  const txt = g.reshape(l2Normalize(g, text), [G, K, E]);
  const scale = g.exp(weightInput(g, w, 'logit_scale'));
  const logits = g.mul(g.matmul(img, g.transpose(txt, [0, 2, 1])), scale); // [G, K, K]

  const eye = new Float32Array(K * K);
  for (let i = 0; i < K; i++) eye[i * K + i] = 1;
  const diagonal = g.constant(eye, [K, K]);
  // mean over the B pairs of −log p(matching caption | image), and the same over captions
  const crossEntropy = (logProbs: Value) => g.div(g.neg(g.reduceSum(g.mul(logProbs, diagonal), [0, 1, 2], false)), g.scalar(B));
  const loss = g.mul(g.add(crossEntropy(g.logSoftmax(logits, -1)), crossEntropy(g.logSoftmax(logits, -2))), g.scalar(0.5));

  const weights = Object.keys(weightFeeds(g, w)).filter(
    (n) => (opts.learnLogitScale || n !== `${w.prefix}.logit_scale`) && !(opts.lockVision && n.startsWith(`${w.prefix}.vision.`)),
  );
  const spec = buildTrainStep(g, {
    loss,
    trainable: [...weights, table],
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: opts.weightDecay },
    extraOutputs: { logits },
  });
  return { graph: g, spec, inputs: { pixels: 'pixel_values', tokens: 'token_ids', eot: 'eot' }, tokenTable: 'token_table' };
}
