// A whole CLIP forward graph: image embeds, text embeds and the scaled cosine logits.
import { Graph, type Value } from '../graph/graph.ts';
import { buildTextTower } from './text.ts';
import { buildVisionTower } from './vision.ts';
import { weightInput, type ClipWeights } from './weights.ts';

/** rows of x [N, E] scaled to unit L2 norm */
export function l2Normalize(g: Graph, x: Value): Value {
  return g.div(x, g.sqrt(g.reduceSum(g.mul(x, x), [-1], true)));
}

export interface ClipModelShape {
  readonly imageBatch: number;
  readonly textBatch: number;
  /** token positions fed to the text tower; default the config's context length */
  readonly textLength?: number;
}

/**
 * Graph inputs: `pixel_values` [Bi, 3, S, S], `token_embeds` [Bt, L, W], `eot` [Bt, 1, L] (see
 * text-input.ts) and the weights (weightFeeds). Outputs: `image_embeds` [Bi, E], `text_embeds`
 * [Bt, E] (not normalized) and `logits_per_image` [Bi, Bt] = exp(logit_scale) · norm(img) @ norm(txt)ᵀ.
 */
export function buildClipModel(w: ClipWeights, shape: ClipModelShape): Graph {
  const cfg = w.config;
  const g = new Graph('clip');
  const S = cfg.vision.imageSize, L = shape.textLength ?? cfg.text.contextLength;
  const pixels = g.input('pixel_values', 'float32', [shape.imageBatch, 3, S, S]);
  const tokenEmbeds = g.input('token_embeds', 'float32', [shape.textBatch, L, cfg.text.width]);
  const eot = g.input('eot', 'float32', [shape.textBatch, 1, L]);
  const image = buildVisionTower(g, cfg, w, pixels).embeds; // [Bi, E]
  const text = buildTextTower(g, cfg, w, tokenEmbeds, eot).embeds; // [Bt, E]
  const cosine = g.matmul(l2Normalize(g, image), g.transpose(l2Normalize(g, text), [1, 0])); // [Bi, Bt]
  g.output('image_embeds', image);
  g.output('text_embeds', text);
  g.output('logits_per_image', g.mul(cosine, g.exp(weightInput(g, w, 'logit_scale'))));
  return g;
}
