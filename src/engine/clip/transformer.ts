// The residual attention block both CLIP towers share (pre-LN: x += attn(ln_1 x); x += mlp(ln_2 x)).
// Built from primitive ops only (MatMul, Softmax, LayerNormalization, …) so the autodiff can
// differentiate through it to the prompts.
import type { Graph, Value } from '../graph/graph.ts';
import { weightInput, type ClipWeights } from './weights.ts';

/** LayerNormalization with canonical weights `${name}.weight` / `${name}.bias` */
export function layerNorm(g: Graph, w: ClipWeights, name: string, x: Value, eps: number): Value {
  return g.layerNorm(x, weightInput(g, w, `${name}.weight`), weightInput(g, w, `${name}.bias`), eps);
}

/** x @ weight + bias with a canonical [in, out] weight */
export function linear(g: Graph, w: ClipWeights, name: string, x: Value): Value {
  return g.linear(x, weightInput(g, w, `${name}.weight`), weightInput(g, w, `${name}.bias`));
}

/**
 * One block over x [B, T, W]. `block` is the canonical prefix ('vision.blocks.3'); `mask`
 * [T, T] is added to the attention scores (the text tower's causal mask). The 1/√head_dim scale
 * is already folded into the q weights at load.
 */
export function residualBlock(g: Graph, w: ClipWeights, block: string, x: Value, heads: number, eps: number, mask?: Value): Value {
  const [B, T, W] = x.shape as [number, number, number];
  const D = W / heads;
  const qkv = linear(g, w, `${block}.attn.qkv`, layerNorm(g, w, `${block}.ln_1`, x, eps)); // [B, T, 3W]
  const split = g.transpose(g.reshape(qkv, [B, T, 3 * heads, D]), [0, 2, 1, 3]); // [B, 3H, T, D]
  const q = g.slice(split, [0], [heads], [1]); // [B, H, T, D]
  const k = g.slice(split, [heads], [2 * heads], [1]);
  const v = g.slice(split, [2 * heads], [3 * heads], [1]);
  const scores = g.matmul(q, g.transpose(k, [0, 1, 3, 2])); // [B, H, T, T]
  const attn = g.softmax(mask ? g.add(scores, mask) : scores, -1);
  const y = g.reshape(g.transpose(g.matmul(attn, v), [0, 2, 1, 3]), [B, T, W]); // [B, T, W]
  const x1 = g.add(x, linear(g, w, `${block}.attn.out`, y));
  const hidden = g.quickGelu(linear(g, w, `${block}.mlp.fc`, layerNorm(g, w, `${block}.ln_2`, x1, eps))); // [B, T, M]
  return g.add(x1, linear(g, w, `${block}.mlp.proj`, hidden));
}
