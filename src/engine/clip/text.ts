// CLIP's text transformer, with the IVLP / PromptSRC text prompt hooks.
//
// It starts from token embeddings looked up on the host (text-input.ts) and pools the end token
// with a one-hot [B, 1, L] MatMul, which keeps the whole tower differentiable.
import { GraphError, fmtShape, type Graph, type Value } from '../graph/graph.ts';
import type { ClipConfig } from './config.ts';
import { layerNorm, residualBlock } from './transformer.ts';
import { assertWeightsFor, weightInput, type ClipWeights } from './weights.ts';

/**
 * Learnable text context. `ctx` [n_ctx, W] replaces token positions 1..n_ctx (right after the
 * start token) of every row before the positional embedding; at the start of block i
 * (1 ≤ i ≤ deep.length) deep[i − 1] [n_ctx, W] replaces those same positions.
 */
export interface TextPrompts {
  readonly ctx: Value;
  readonly deep?: readonly Value[];
}

export interface TextTower {
  /** [B, W]: ln_final of the end token */
  readonly pooled: Value;
  /** [B, embed]: pooled @ text_projection, not normalized */
  readonly embeds: Value;
}

/** Masking value for attention to later tokens: finite because WGSL may assume no infinities. */
const MASKED = -1e9;

function causalMask(g: Graph, L: number): Value {
  const m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = MASKED;
  return g.constant(m, [L, L]);
}

/** positions 1..n of x [B, L, W] replaced by prompt [n, W] */
function replaceContext(g: Graph, x: Value, prompt: Value): Value {
  const [B, L, W] = x.shape as [number, number, number];
  const n = prompt.shape[0]!;
  const parts = [g.slice(x, [0], [1], [1]), g.expand(g.unsqueeze(prompt, [0]), [B, n, W])];
  if (1 + n < L) parts.push(g.slice(x, [1 + n], [L], [1]));
  return g.concat(parts, 1);
}

function checkPrompts(cfg: ClipConfig, prompts: TextPrompts, L: number): void {
  const W = cfg.text.width;
  const [n] = prompts.ctx.shape;
  if (prompts.ctx.shape.length !== 2 || prompts.ctx.shape[1] !== W || prompts.ctx.dtype !== 'float32') {
    throw new GraphError(`text prompts: ctx is ${prompts.ctx.dtype}${fmtShape(prompts.ctx.shape)}, expected float32[n_ctx,${W}]`);
  }
  if (1 + n! >= L) throw new GraphError(`text prompts: ${n} context tokens leave no room for the text in ${L} positions`);
  const deep = prompts.deep ?? [];
  if (deep.length > cfg.text.layers - 1) {
    throw new GraphError(`text prompts: ${deep.length} deep prompts but only blocks 1..${cfg.text.layers - 1} can take one`);
  }
  deep.forEach((d, i) => {
    if (fmtShape(d.shape) !== fmtShape(prompts.ctx.shape) || d.dtype !== 'float32') {
      throw new GraphError(
        `text prompts: deep prompt for block ${i + 1} is ${d.dtype}${fmtShape(d.shape)}, expected float32[${n},${W}] like ctx`,
      );
    }
  });
}

/**
 * tokenEmbeds [B, L, W] (L ≤ context length: sequences may be cut after the longest end token,
 * the causal mask makes later positions irrelevant), eot [B, 1, L] one-hot of the end-token position.
 */
export function buildTextTower(
  g: Graph,
  cfg: ClipConfig,
  w: ClipWeights,
  tokenEmbeds: Value,
  eot: Value,
  prompts?: TextPrompts,
): TextTower {
  assertWeightsFor(cfg, w);
  const t = cfg.text;
  const [B, L, W] = tokenEmbeds.shape as [number, number, number];
  if (tokenEmbeds.shape.length !== 3 || W !== t.width || L > t.contextLength || tokenEmbeds.dtype !== 'float32') {
    throw new GraphError(
      `text tower: token embeddings are ${tokenEmbeds.dtype}${fmtShape(tokenEmbeds.shape)}, expected float32[B,≤${t.contextLength},${t.width}]`,
    );
  }
  if (fmtShape(eot.shape) !== fmtShape([B, 1, L]) || eot.dtype !== 'float32') {
    throw new GraphError(`text tower: end-token selection is ${eot.dtype}${fmtShape(eot.shape)}, expected a float32[${B},1,${L}] one-hot`);
  }
  if (prompts) checkPrompts(cfg, prompts, L);
  let x = prompts ? replaceContext(g, tokenEmbeds, prompts.ctx) : tokenEmbeds;
  const pos = weightInput(g, w, 'text.pos_embed');
  x = g.add(x, L === t.contextLength ? pos : g.slice(pos, [0], [L], [0])); // [B, L, W]
  const mask = causalMask(g, L);
  const deep = prompts?.deep ?? [];
  for (let i = 0; i < t.layers; i++) {
    if (i >= 1 && i <= deep.length) x = replaceContext(g, x, deep[i - 1]!);
    x = residualBlock(g, w, `text.blocks.${i}`, x, t.heads, t.layerNormEps, { mask });
  }
  // LayerNorm acts per token, so pooling first and normalising one token per row is the same maths
  const endToken = g.reshape(g.matmul(eot, x), [B, W]); // [B, W]
  const pooled = layerNorm(g, w, 'text.ln_final', endToken, t.layerNormEps);
  return { pooled, embeds: g.matmul(pooled, weightInput(g, w, 'text.proj')) };
}
