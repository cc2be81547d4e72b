// CLIP's vision transformer, with the deep visual prompt hooks of IVLP / PromptKD.
import { GraphError, fmtShape, type DType, type Graph, type Value } from '../graph/graph.ts';
import { gridSize, visionTokens, type ClipConfig } from './config.ts';
import { layerNorm, residualBlock, type AttentionKind } from './transformer.ts';
import { assertWeightsFor, towerDType, weightInput, type ClipWeights } from './weights.ts';

/**
 * Learnable visual prompts. `shallow` [n_ctx, W] is appended at the END of the token sequence after
 * the positional embedding (prompts get none), before ln_pre. At the start of block i
 * (1 ≤ i ≤ deep.length) the last n_ctx tokens are replaced by deep[i − 1] [n_ctx, W].
 */
export interface VisionPrompts {
  readonly shallow: Value;
  readonly deep?: readonly Value[];
}

export interface VisionTower {
  /** [B, W]: ln_post of the class token, in the weights' dtype */
  readonly pooled: Value;
  /** [B, embed]: pooled @ proj, not normalized; float32 */
  readonly embeds: Value;
}

/**
 * pixels [B, 3, S, S] → patch tokens [B, G·G, W] without Conv: cut the image into P×P patches,
 * flatten each (channel, row, column) like conv1's kernel, and multiply by the flattened kernel.
 * Ranks stay ≤ 5 (some backends and the autodiff's Transpose rule stop there).
 */
function patchEmbed(g: Graph, cfg: ClipConfig, w: ClipWeights, pixels: Value): Value {
  const { imageSize: S, patchSize: P } = cfg.vision;
  const G = gridSize(cfg.vision);
  const B = pixels.shape[0]!;
  const dtype = towerDType(w, 'vision');
  if (pixels.dtype !== dtype || fmtShape(pixels.shape) !== fmtShape([B, 3, S, S])) {
    throw new GraphError(
      `vision tower: pixels are ${pixels.dtype}${fmtShape(pixels.shape)}, expected float32 or ${dtype} (the weights' dtype) [B,3,${S},${S}]`,
    );
  }
  const rows = g.reshape(pixels, [B * 3, G, P, G, P]); // [B·3, gy, py, gx, px]
  const tiles = g.transpose(rows, [0, 1, 3, 2, 4]); // [B·3, gy, gx, py, px]
  const perChannel = g.reshape(tiles, [B, 3, G * G, P * P]);
  const patches = g.reshape(g.transpose(perChannel, [0, 2, 1, 3]), [B, G * G, 3 * P * P]); // [B, N, 3·P·P]
  return g.matmul(patches, weightInput(g, w, 'vision.patch_embed.weight')); // [B, N, W]
}

/** prompt [n, W] → [B, n, W] */
const perRow = (g: Graph, prompt: Value, B: number): Value => g.expand(g.unsqueeze(prompt, [0]), [B, ...prompt.shape]);

function checkPrompts(cfg: ClipConfig, prompts: VisionPrompts, dtype: DType): void {
  const W = cfg.vision.width;
  const [n, width] = prompts.shallow.shape;
  if (prompts.shallow.shape.length !== 2 || width !== W || prompts.shallow.dtype !== dtype) {
    throw new GraphError(
      `vision prompts: shallow prompt is ${prompts.shallow.dtype}${fmtShape(prompts.shallow.shape)}, expected ${dtype}[n_ctx,${W}]`,
    );
  }
  const deep = prompts.deep ?? [];
  if (deep.length > cfg.vision.layers - 1) {
    throw new GraphError(`vision prompts: ${deep.length} deep prompts but only blocks 1..${cfg.vision.layers - 1} can take one`);
  }
  deep.forEach((d, i) => {
    if (fmtShape(d.shape) !== fmtShape([n!, W]) || d.dtype !== dtype) {
      throw new GraphError(
        `vision prompts: deep prompt for block ${i + 1} is ${d.dtype}${fmtShape(d.shape)}, expected ${dtype}[${n},${W}] like the shallow one`,
      );
    }
  });
}

/**
 * The tower over pixels [B,3,S,S]. `attention` 'fused' (one MultiHeadAttention per block) is for
 * graphs that only run forward; the default 'plain' is what the autodiff differentiates. A float16
 * tower (halfPrecisionTower) takes float32 pixels and prompts and computes in float16 between a cast
 * of them in and of its embeddings out, so that its callers stay float32 (and a cast's gradient
 * carries a prompt's back to float32).
 */
export function buildVisionTower(
  g: Graph,
  cfg: ClipConfig,
  w: ClipWeights,
  pixels: Value /* [B,3,S,S] */,
  prompts?: VisionPrompts,
  attention: AttentionKind = 'plain',
): VisionTower {
  assertWeightsFor(cfg, w);
  const v = cfg.vision;
  const dtype = towerDType(w, 'vision');
  const inTower = (x: Value) => (x.dtype === 'float32' && dtype !== 'float32' ? g.cast(x, dtype) : x);
  pixels = inTower(pixels);
  if (prompts) {
    prompts = { shallow: inTower(prompts.shallow), deep: prompts.deep?.map(inTower) };
    checkPrompts(cfg, prompts, dtype);
  }
  const B = pixels.shape[0]!;
  const T = visionTokens(v);
  const cls = g.expand(g.reshape(weightInput(g, w, 'vision.class_embed'), [1, 1, v.width]), [B, 1, v.width]);
  let x = g.concat([cls, patchEmbed(g, cfg, w, pixels)], 1); // [B, T, W]
  x = g.add(x, weightInput(g, w, 'vision.pos_embed'));
  if (prompts) x = g.concat([x, perRow(g, prompts.shallow, B)], 1); // [B, T + n_ctx, W]
  x = layerNorm(g, w, 'vision.ln_pre', x, v.layerNormEps);
  const deep = prompts?.deep ?? [];
  for (let i = 0; i < v.layers; i++) {
    if (i >= 1 && i <= deep.length) x = g.concat([g.slice(x, [0], [T], [1]), perRow(g, deep[i - 1]!, B)], 1);
    x = residualBlock(g, w, `vision.blocks.${i}`, x, v.heads, v.layerNormEps, { attention });
  }
  const cls0 = g.reshape(g.slice(x, [0], [1], [1]), [B, v.width]); // [B, W]
  const pooled = layerNorm(g, w, 'vision.ln_post', cls0, v.layerNormEps);
  const embeds = g.matmul(pooled, weightInput(g, w, 'vision.proj'));
  return { pooled, embeds: embeds.dtype === 'float32' ? embeds : g.cast(embeds, 'float32') };
}
