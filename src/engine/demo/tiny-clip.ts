// The demo's tiny CLIPs on the way in and out of training: a fresh random initialisation in the
// graph layout the builders use (weights.ts), and the way back to a Hugging Face `config.json` +
// state dict, so a trained demo model loads through exactly the loader real CLIP uses.
import type { Rng } from '../random.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { canonicalShapes, type ClipWeights } from '../clip/weights.ts';
import type { ClipConfig } from '../clip/config.ts';

export const CLIP_VOCAB = 49408;
export const CLIP_CONTEXT = 77;
const START_TOKEN = 49406,
  END_TOKEN = 49407;
/** CLIP's initial temperature, logit_scale = ln(1 / 0.07) */
export const INITIAL_LOGIT_SCALE = Math.log(1 / 0.07);

export interface TinyClipSize {
  imageSize: number;
  patchSize: number;
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  embedDim: number;
}

export function tinyClipConfig(s: TinyClipSize): ClipConfig {
  return {
    vision: {
      imageSize: s.imageSize,
      patchSize: s.patchSize,
      width: s.visionWidth,
      layers: s.visionLayers,
      heads: s.visionHeads,
      mlpWidth: 4 * s.visionWidth,
      layerNormEps: 1e-5,
    },
    text: {
      vocabSize: CLIP_VOCAB,
      contextLength: CLIP_CONTEXT,
      width: s.textWidth,
      layers: s.textLayers,
      heads: s.textHeads,
      mlpWidth: 4 * s.textWidth,
      layerNormEps: 1e-5,
      eosTokenId: END_TOKEN,
    },
    embedDim: s.embedDim,
  };
}

function normal(r: Rng, shape: readonly number[], std: number): HostTensor {
  const t = hostTensor('float32', shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = std * r.normal();
  return t;
}

/**
 * Random weights in graph layout, scaled as OpenAI's CLIP initialises them (embeddings and
 * attention ~ width^-½, residual projections shrunk by (2·layers)^-½, LayerNorms at identity).
 * The token-embedding table is left out (null): training uses a small table of the tokens its
 * captions contain, which `toHfStateDict` writes into the full vocabulary.
 */
export function initTinyClip(cfg: ClipConfig, r: Rng, prefix = 'clip'): ClipWeights {
  const tensors = new Map<string, HostTensor>();
  for (const [name, shape] of canonicalShapes(cfg)) {
    const tower = name.startsWith('vision.') ? cfg.vision : cfg.text;
    const w = tower.width,
      residualStd = w ** -0.5 * (2 * tower.layers) ** -0.5;
    let t: HostTensor;
    if (name === 'logit_scale') t = hostTensor('float32', [], Float32Array.of(INITIAL_LOGIT_SCALE));
    else if (/ln_\w+\.weight$/.test(name)) t = hostTensor('float32', shape, new Float32Array(shape[0]!).fill(1));
    else if (name.endsWith('.bias')) t = hostTensor('float32', shape);
    else if (name.endsWith('pos_embed')) t = normal(r, shape, 0.01);
    else if (name === 'vision.patch_embed.weight') t = normal(r, shape, shape[0]! ** -0.5);
    else if (name.endsWith('attn.out.weight') || name.endsWith('mlp.proj.weight')) t = normal(r, shape, residualStd);
    else if (name.endsWith('mlp.fc.weight')) t = normal(r, shape, (2 * w) ** -0.5);
    else t = normal(r, shape, w ** -0.5); // class_embed, qkv, proj
    tensors.set(name, t);
  }
  return { config: cfg, naming: 'hf', prefix, towers: new Set(['vision', 'text']), tensors, tokenEmbedding: null };
}

/** A Hugging Face CLIPModel config.json for `cfg` */
export function hfConfigJson(cfg: ClipConfig): Record<string, unknown> {
  const tower = (t: ClipConfig['vision'] | ClipConfig['text']) => ({
    hidden_size: t.width,
    intermediate_size: t.mlpWidth,
    num_attention_heads: t.heads,
    num_hidden_layers: t.layers,
    hidden_act: 'quick_gelu',
    layer_norm_eps: t.layerNormEps,
    projection_dim: cfg.embedDim,
  });
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: cfg.embedDim,
    logit_scale_init_value: INITIAL_LOGIT_SCALE,
    text_config: {
      ...tower(cfg.text),
      vocab_size: cfg.text.vocabSize,
      max_position_embeddings: cfg.text.contextLength,
      bos_token_id: START_TOKEN,
      eos_token_id: cfg.text.eosTokenId,
      pad_token_id: 1,
    },
    vision_config: { ...tower(cfg.vision), image_size: cfg.vision.imageSize, patch_size: cfg.vision.patchSize, num_channels: 3 },
    torch_dtype: 'float32',
  };
}

/** [rows, cols] → [cols, rows] */
function transposed(t: HostTensor, rows: number, cols: number, shape: readonly number[]): HostTensor {
  const src = t.data as Float32Array,
    out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return hostTensor('float32', shape, out);
}

/** columns [from, from + n) of a [rows, cols] matrix, times s */
function columns(t: HostTensor, rows: number, cols: number, from: number, n: number, s: number): Float32Array {
  const src = t.data as Float32Array,
    out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) out[r * n + c] = src[r * cols + from + c]! * s;
  return out;
}

/**
 * Graph-layout weights (the inverse of loadClipWeights) → a Hugging Face CLIPModel state dict.
 * `tokenEmbedding` is the full [vocab, text width] table.
 */
export function toHfStateDict(w: ClipWeights, tokenEmbedding: HostTensor): Record<string, HostTensor> {
  const cfg = w.config,
    out: Record<string, HostTensor> = {};
  const get = (name: string): HostTensor => {
    const t = w.tensors.get(name);
    if (!t) throw new Error(`toHfStateDict: weight '${name}' is missing`);
    return t;
  };
  const copy = (name: string) => hostTensor('float32', get(name).shape, Float32Array.from(get(name).data as Float32Array));
  const blocks = (tower: 'vision' | 'text', hf: string, t: ClipConfig['vision'] | ClipConfig['text']) => {
    const W = t.width,
      M = t.mlpWidth,
      qScale = Math.sqrt(W / t.heads);
    for (let i = 0; i < t.layers; i++) {
      const c = `${tower}.blocks.${i}`,
        h = `${hf}.encoder.layers.${i}`;
      out[`${h}.layer_norm1.weight`] = copy(`${c}.ln_1.weight`);
      out[`${h}.layer_norm1.bias`] = copy(`${c}.ln_1.bias`);
      out[`${h}.layer_norm2.weight`] = copy(`${c}.ln_2.weight`);
      out[`${h}.layer_norm2.bias`] = copy(`${c}.ln_2.bias`);
      // the fused [W, 3W] qkv holds q·(1/√head_dim), k, v as column blocks; HF stores each as [out, in]
      const qkv = get(`${c}.attn.qkv.weight`),
        qkvBias = get(`${c}.attn.qkv.bias`);
      ['q', 'k', 'v'].forEach((k, j) => {
        const s = j === 0 ? qScale : 1;
        const block = hostTensor('float32', [W, W], columns(qkv, W, 3 * W, j * W, W, s));
        out[`${h}.self_attn.${k}_proj.weight`] = transposed(block, W, W, [W, W]);
        out[`${h}.self_attn.${k}_proj.bias`] = hostTensor('float32', [W], columns(qkvBias, 1, 3 * W, j * W, W, s));
      });
      out[`${h}.self_attn.out_proj.weight`] = transposed(get(`${c}.attn.out.weight`), W, W, [W, W]);
      out[`${h}.self_attn.out_proj.bias`] = copy(`${c}.attn.out.bias`);
      out[`${h}.mlp.fc1.weight`] = transposed(get(`${c}.mlp.fc.weight`), W, M, [M, W]);
      out[`${h}.mlp.fc1.bias`] = copy(`${c}.mlp.fc.bias`);
      out[`${h}.mlp.fc2.weight`] = transposed(get(`${c}.mlp.proj.weight`), M, W, [W, M]);
      out[`${h}.mlp.fc2.bias`] = copy(`${c}.mlp.proj.bias`);
    }
  };
  const v = cfg.vision,
    P = v.patchSize;
  out['vision_model.embeddings.patch_embedding.weight'] = transposed(get('vision.patch_embed.weight'), 3 * P * P, v.width, [
    v.width,
    3,
    P,
    P,
  ]);
  out['vision_model.embeddings.class_embedding'] = copy('vision.class_embed');
  out['vision_model.embeddings.position_embedding.weight'] = copy('vision.pos_embed');
  out['vision_model.pre_layrnorm.weight'] = copy('vision.ln_pre.weight');
  out['vision_model.pre_layrnorm.bias'] = copy('vision.ln_pre.bias');
  blocks('vision', 'vision_model', v);
  out['vision_model.post_layernorm.weight'] = copy('vision.ln_post.weight');
  out['vision_model.post_layernorm.bias'] = copy('vision.ln_post.bias');
  out['visual_projection.weight'] = transposed(get('vision.proj'), v.width, cfg.embedDim, [cfg.embedDim, v.width]);
  const t = cfg.text;
  if (tokenEmbedding.shape[0] !== t.vocabSize || tokenEmbedding.shape[1] !== t.width) {
    throw new Error(`toHfStateDict: token table is [${tokenEmbedding.shape.join(',')}], expected [${t.vocabSize},${t.width}]`);
  }
  out['text_model.embeddings.token_embedding.weight'] = tokenEmbedding;
  out['text_model.embeddings.position_embedding.weight'] = copy('text.pos_embed');
  blocks('text', 'text_model', t);
  out['text_model.final_layer_norm.weight'] = copy('text.ln_final.weight');
  out['text_model.final_layer_norm.bias'] = copy('text.ln_final.bias');
  out['text_projection.weight'] = transposed(get('text.proj'), t.width, cfg.embedDim, [cfg.embedDim, t.width]);
  out.logit_scale = copy('logit_scale');
  return out;
}
