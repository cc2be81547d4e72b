// The residual attention block both CLIP towers share (pre-LN: x += attn(ln_1 x); x += mlp(ln_2 x)).
// Its attention comes two ways: 'plain', from ops the autodiff differentiates (MatMul, Softmax, …),
// for graphs that train through it; 'fused', one MultiHeadAttention (onnxruntime's fused kernels) for
// forward-only graphs (the teacher, evaluations) on runtimes that compute it right.
import { type Graph, GraphError, type Value } from '../graph/graph.ts';
import { fusedAttentionOn } from '../runtime/fused-attention.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { weightInput, type ClipWeights } from './weights.ts';

/** LayerNormalization with canonical weights `${name}.weight` / `${name}.bias` */
export function layerNorm(g: Graph, w: ClipWeights, name: string, x: Value, eps: number): Value {
  return g.layerNorm(x, weightInput(g, w, `${name}.weight`), weightInput(g, w, `${name}.bias`), eps);
}

/** x @ weight + bias with a canonical [in, out] weight */
export function linear(g: Graph, w: ClipWeights, name: string, x: Value): Value {
  return g.linear(x, weightInput(g, w, `${name}.weight`), weightInput(g, w, `${name}.bias`));
}

/** how a block computes attention: 'plain' ops (differentiable) or one fused MultiHeadAttention (forward only) */
export type AttentionKind = 'plain' | 'fused';

/** a forward graph's attention on `rt`: fused where the runtime computes it right (runtime/fused-attention.ts) */
export async function forwardAttentionOn(rt: Runtime): Promise<AttentionKind> {
  return (await fusedAttentionOn(rt)).works ? 'fused' : 'plain';
}

/** softmax(q kᵀ) v per head from qkv [B, T, 3W] (q|k|v along the last axis), as [B, T, W] */
function attention(g: Graph, qkv: Value, heads: number, kind: AttentionKind, mask?: Value): Value {
  const [B, T, W3] = qkv.shape as [number, number, number];
  const W = W3 / 3,
    D = W / heads;
  if (kind === 'fused') {
    if (mask) throw new GraphError('fused attention takes no mask: build the text tower with plain attention');
    const [q, k, v] = g.split(qkv, [W, W, W], 2) as [Value, Value, Value]; // [B, T, W] each
    return g.multiHeadAttention(q, k, v, heads, 1); // the 1/√D scale is in the q weights
  }
  const split = g.transpose(g.reshape(qkv, [B, T, 3 * heads, D]), [0, 2, 1, 3]); // [B, 3H, T, D]
  const [q, k, v] = g.split(split, [heads, heads, heads], 1) as [Value, Value, Value]; // [B, H, T, D] each
  const scores = g.matmul(q, g.transpose(k, [0, 1, 3, 2])); // [B, H, T, T]
  const attn = g.softmax(mask ? g.add(scores, mask) : scores, -1);
  return g.reshape(g.transpose(g.matmul(attn, v), [0, 2, 1, 3]), [B, T, W]); // [B, T, W]
}

/**
 * One block over x [B, T, W]. `block` is the canonical prefix ('vision.blocks.3'); `mask`
 * [T, T] is added to the attention scores (the text tower's causal mask, plain attention only). The
 * 1/√head_dim scale is already folded into the q weights at load.
 */
export function residualBlock(
  g: Graph,
  w: ClipWeights,
  block: string,
  x: Value,
  heads: number,
  eps: number,
  opts: { mask?: Value; attention?: AttentionKind } = {},
): Value {
  const qkv = linear(g, w, `${block}.attn.qkv`, layerNorm(g, w, `${block}.ln_1`, x, eps)); // [B, T, 3W]
  const y = attention(g, qkv, heads, opts.attention ?? 'plain', opts.mask);
  const x1 = g.add(x, linear(g, w, `${block}.attn.out`, y));
  const hidden = g.quickGelu(linear(g, w, `${block}.mlp.fc`, layerNorm(g, w, `${block}.ln_2`, x1, eps))); // [B, T, M]
  return g.add(x1, linear(g, w, `${block}.mlp.proj`, hidden));
}
