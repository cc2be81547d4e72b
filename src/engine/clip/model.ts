// A whole CLIP forward graph: image embeds, text embeds and the scaled cosine logits.
import { Graph, type Value } from '../graph/graph.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { textTowerInputs } from './text-input.ts';
import { buildTextTower } from './text.ts';
import { forwardAttentionOn, type AttentionKind } from './transformer.ts';
import { buildVisionTower } from './vision.ts';
import { weightFeeds, weightInput, type ClipWeights } from './weights.ts';

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
 * The image tower's attention is `attention` (the text tower's is plain: it has a causal mask).
 */
export function buildClipModel(w: ClipWeights, shape: ClipModelShape, attention: AttentionKind): Graph {
  const cfg = w.config;
  const g = new Graph('clip');
  const S = cfg.vision.imageSize,
    L = shape.textLength ?? cfg.text.contextLength;
  const pixels = g.input('pixel_values', 'float32', [shape.imageBatch, 3, S, S]);
  const tokenEmbeds = g.input('token_embeds', 'float32', [shape.textBatch, L, cfg.text.width]);
  const eot = g.input('eot', 'float32', [shape.textBatch, 1, L]);
  const image = buildVisionTower(g, cfg, w, pixels, undefined, attention).embeds; // [Bi, E]
  const text = buildTextTower(g, cfg, w, tokenEmbeds, eot).embeds; // [Bt, E]
  const cosine = g.matmul(l2Normalize(g, image), g.transpose(l2Normalize(g, text), [1, 0])); // [Bi, Bt]
  g.output('image_embeds', image);
  g.output('text_embeds', text);
  g.output('logits_per_image', g.mul(cosine, g.exp(weightInput(g, w, 'logit_scale'))));
  return g;
}

export interface ClipOutputs {
  /** [Bi, E] */
  readonly imageEmbeds: HostTensor;
  /** [Bt, E] */
  readonly textEmbeds: HostTensor;
  /** [Bi, Bt] */
  readonly logitsPerImage: HostTensor;
}

/** One CLIP forward pass of pixel_values [Bi, 3, S, S] against token ids [Bt, L] (zero-shot, checks). */
export async function runClip(rt: Runtime, w: ClipWeights, pixels: HostTensor, ids: HostTensor): Promise<ClipOutputs> {
  const { tokenEmbeds, eot } = textTowerInputs(w, ids);
  const shape = { imageBatch: pixels.shape[0]!, textBatch: ids.shape[0]!, textLength: ids.shape[1]! };
  const g = buildClipModel(w, shape, await forwardAttentionOn(rt));
  const session = await rt.load(g);
  try {
    const out = await session.run({ ...weightFeeds(g, w), pixel_values: pixels, token_embeds: tokenEmbeds, eot });
    const read = async (name: string) => {
      const host = await out[name]!.read();
      out[name]!.dispose();
      return host;
    };
    return {
      imageEmbeds: await read('image_embeds'),
      textEmbeds: await read('text_embeds'),
      logitsPerImage: await read('logits_per_image'),
    };
  } finally {
    await session.release();
  }
}
