// Small models for the autodiff tests: a 2-layer MLP, a pre-LN attention block with prompt tokens, and
// a prompted ViT-like transformer with frozen weights (the PromptKD student's situation).
import type { Graph, DType, Value } from '../graph/graph.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { randomTensor } from './finite-diff.testkit.ts';

export interface TestModel {
  loss: Value;
  /** inputs to train */
  trainable: Value[];
  /** every graph input except optimizer inputs: initial params, frozen weights and one batch */
  initial(rand: () => number): Record<string, HostTensor>;
  /** the inputs that change from batch to batch */
  batch: Value[];
}

/** uniform(−scale, scale) for weights; one-hot rows for inputs named *labels */
function randomFeeds(rand: () => number, inputs: readonly Value[]): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const v of inputs) {
    if (v.name.endsWith('labels')) {
      const [b, c] = v.shape as [number, number];
      const data = new Float64Array(b * c);
      for (let i = 0; i < b; i++) data[i * c + Math.floor(rand() * c)] = 1;
      feeds[v.name] = { dtype: 'float64', shape: v.shape, data };
    } else {
      // layer-norm scales near 1, everything else around 0 with a 1/√fan spread
      const t = randomTensor(rand, v.shape, -1, 1);
      const data = t.data as Float64Array;
      const spread = 1 / Math.sqrt(v.shape[v.shape.length - 1] ?? 1);
      for (let i = 0; i < data.length; i++) data[i] = v.name.endsWith('.scale') ? 1 + 0.1 * data[i]! : data[i]! * spread;
      feeds[v.name] = t;
    }
  }
  return feeds;
}

/** mean cross-entropy of logits [B, C] against one-hot labels [B, C] */
function crossEntropy(g: Graph, logits: Value, labels: Value): Value {
  const picked = g.reduceSum(g.mul(labels, g.logSoftmax(logits, -1)), [0, 1], false);
  return g.mul(picked, g.scalar(-1 / logits.shape[0]!, logits.dtype));
}

export function mlp(g: Graph, dtype: DType): TestModel {
  const x = g.input('x', dtype, [4, 6]);
  const labels = g.input('labels', dtype, [4, 3]);
  const w1 = g.input('fc1.weight', dtype, [6, 8]),
    b1 = g.input('fc1.bias', dtype, [8]);
  const w2 = g.input('fc2.weight', dtype, [8, 3]),
    b2 = g.input('fc2.bias', dtype, [3]);
  const logits = g.linear(g.tanh(g.linear(x, w1, b1)), w2, b2);
  return {
    loss: crossEntropy(g, logits, labels),
    trainable: [w1, b1, w2, b2],
    batch: [x, labels],
    initial: (rand) => randomFeeds(rand, g.inputs),
  };
}

interface BlockWeights {
  ln1: [Value, Value];
  ln2: [Value, Value];
  q: [Value, Value];
  k: Value;
  v: [Value, Value];
  out: [Value, Value];
  fc: [Value, Value];
  proj: [Value, Value];
}

function blockWeights(g: Graph, prefix: string, dtype: DType, width: number): BlockWeights {
  const w = (name: string, shape: number[]) => g.input(`${prefix}.${name}`, dtype, shape);
  const linear = (name: string, i: number, o: number): [Value, Value] => [w(`${name}.weight`, [i, o]), w(`${name}.bias`, [o])];
  return {
    ln1: [w('ln_1.scale', [width]), w('ln_1.bias', [width])],
    // no key bias: softmax ignores it, so its true gradient is 0 and AdamW would amplify rounding noise
    q: linear('q', width, width),
    k: w('k.weight', [width, width]),
    v: linear('v', width, width),
    out: linear('out', width, width),
    ln2: [w('ln_2.scale', [width]), w('ln_2.bias', [width])],
    fc: linear('fc', width, 4 * width),
    proj: linear('proj', 4 * width, width),
  };
}

/** pre-LN transformer block on t [B, S, D]: t + attn(ln_1 t), then + mlp(ln_2 ·) */
function block(g: Graph, t: Value, w: BlockWeights, heads: number): Value {
  const [b, s, d] = t.shape as [number, number, number];
  const dh = d / heads;
  const h = g.layerNorm(t, ...w.ln1);
  // [B, S, D] → [B, H, S, dh]
  const split = (x: Value) => g.transpose(g.reshape(x, [b, s, heads, dh]), [0, 2, 1, 3]);
  const q = split(g.linear(h, ...w.q)),
    k = split(g.matmul(h, w.k)),
    v = split(g.linear(h, ...w.v));
  const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), g.scalar(1 / Math.sqrt(dh), t.dtype));
  const mixed = g.matmul(g.softmax(scores, -1), v); // [B, H, S, dh]
  const merged = g.reshape(g.transpose(mixed, [0, 2, 1, 3]), [b, s, d]);
  const t1 = g.add(t, g.linear(merged, ...w.out));
  const m = g.linear(g.quickGelu(g.linear(g.layerNorm(t1, ...w.ln2), ...w.fc)), ...w.proj);
  return g.add(t1, m);
}

/** append prompt tokens [P, D] (shared by the batch) after the tokens [B, S, D] */
function withPrompts(g: Graph, tokens: Value, prompts: Value): Value {
  const [b, , d] = tokens.shape as [number, number, number];
  return g.concat([tokens, g.expand(g.unsqueeze(prompts, [0]), [b, prompts.shape[0]!, d])], 1);
}

/** class token → ln_post → head: logits [B, C] */
function classify(g: Graph, t: Value, ln: [Value, Value], head: Value): Value {
  const [b, , d] = t.shape as [number, number, number];
  const cls = g.reshape(g.slice(t, [0], [1], [1]), [b, d]);
  return g.matmul(g.layerNorm(cls, ...ln), head);
}

/** one attention block over data tokens plus trainable prompt tokens; every weight trains */
export function attentionClassifier(g: Graph, dtype: DType, heads: number): TestModel {
  const [b, s, d, p, c] = [2, 4, 8, 2, 3];
  const x = g.input('tokens', dtype, [b, s, d]);
  const labels = g.input('labels', dtype, [b, c]);
  const prompts = g.input('prompts', dtype, [p, d]);
  const w = blockWeights(g, 'block', dtype, d);
  const ln: [Value, Value] = [g.input('ln_post.scale', dtype, [d]), g.input('ln_post.bias', dtype, [d])];
  const head = g.input('head', dtype, [d, c]);
  const logits = classify(g, block(g, withPrompts(g, x, prompts), w, heads), ln, head);
  const batch = [x, labels];
  return {
    loss: crossEntropy(g, logits, labels),
    batch,
    trainable: g.inputs.filter((v) => !batch.includes(v)),
    initial: (rand) => randomFeeds(rand, g.inputs),
  };
}

export interface VitSize {
  batch: number;
  patches: number;
  patchDim: number;
  width: number;
  heads: number;
  layers: number;
  prompts: number;
  classes: number;
}

/**
 * A prompted ViT with PromptKD's KL loss: frozen patch embedding, class token, positions, blocks,
 * ln_post and class features; trainable prompt tokens per layer (the first appended, the others
 * replacing the last `prompts` tokens at the start of each later block).
 */
export function promptedVit(g: Graph, dtype: DType, z: VitSize): TestModel & { frozen: Value[] } {
  const f = (name: string, shape: number[]) => g.input(name, dtype, shape);
  const pixels = f('patches', [z.batch, z.patches, z.patchDim]);
  const teacher = f('teacher_logits', [z.batch, z.classes]);
  const patchEmbed = f('patch_embed', [z.patchDim, z.width]);
  const clsToken = f('class_embedding', [1, 1, z.width]);
  const positions = f('positional_embedding', [z.patches + 1, z.width]);
  const tokens = g.add(g.concat([g.expand(clsToken, [z.batch, 1, z.width]), g.matmul(pixels, patchEmbed)], 1), positions);
  const blocks = Array.from({ length: z.layers }, (_, i) => blockWeights(g, `blocks.${i}`, dtype, z.width));
  const ln: [Value, Value] = [f('ln_post.scale', [z.width]), f('ln_post.bias', [z.width])];
  const textFeatures = f('text_features', [z.width, z.classes]);
  const prompts = blocks.map((_, i) => f(`prompts.${i}`, [z.prompts, z.width]));

  let t = withPrompts(g, tokens, prompts[0]!);
  blocks.forEach((w, i) => {
    if (i > 0) t = withPrompts(g, g.slice(t, [0], [z.patches + 1], [1]), prompts[i]!);
    t = block(g, t, w, z.heads);
  });
  const student = classify(g, t, ln, textFeatures);
  // kl(softmax(teacher) ‖ softmax(student)) summed, / numel
  const pT = g.softmax(teacher, -1);
  const kl = g.mul(pT, g.sub(g.logSoftmax(teacher, -1), g.logSoftmax(student, -1)));
  const loss = g.mul(g.reduceSum(kl, [0, 1], false), g.scalar(1 / (z.batch * z.classes), dtype));
  const batch = [pixels, teacher];
  return {
    loss,
    trainable: prompts,
    batch,
    frozen: g.inputs.filter((v) => !prompts.includes(v) && !batch.includes(v)),
    initial: (rand) => randomFeeds(rand, g.inputs),
  };
}
