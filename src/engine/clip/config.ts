// The shape of a CLIP model: what the tower builders and the weight loader agree on.
//
// Read from a Hugging Face `config.json` (CLIPModel), or derived from the tensor shapes of an
// OpenAI-named checkpoint, which ships no config. Fields missing from a Hugging Face config take
// the defaults transformers itself would use, so a hub config that leaves them out means the same
// model here as there.
import type { HostTensor } from '../graph/tensor.ts';

export class ClipConfigError extends Error {
  override name = 'ClipConfigError';
}

export interface ClipVisionConfig {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  /** hidden size of the MLP (4 · width in every released CLIP) */
  readonly mlpWidth: number;
  readonly layerNormEps: number;
}

export interface ClipTextConfig {
  readonly vocabSize: number;
  /** the number of positional embeddings: the longest token sequence the tower takes */
  readonly contextLength: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlpWidth: number;
  readonly layerNormEps: number;
  /**
   * The end-of-text token id whose position is pooled. Hugging Face treats the legacy value 2 as
   * "take the argmax of the ids" (the real end token 49407 is the largest id); see endTokenPositions.
   */
  readonly eosTokenId: number;
}

export interface ClipConfig {
  readonly vision: ClipVisionConfig;
  readonly text: ClipTextConfig;
  /** width of the joint image-text embedding (projection_dim) */
  readonly embedDim: number;
}

/** patches along one side of the image */
export const gridSize = (v: ClipVisionConfig): number => v.imageSize / v.patchSize;
/** class token + one token per patch */
export const visionTokens = (v: ClipVisionConfig): number => gridSize(v) ** 2 + 1;

// transformers' CLIPVisionConfig / CLIPTextConfig / CLIPConfig defaults
const VISION_DEFAULTS = {
  image_size: 224,
  patch_size: 32,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  hidden_act: 'quick_gelu',
  num_channels: 3,
};
const TEXT_DEFAULTS = {
  vocab_size: 49408,
  max_position_embeddings: 77,
  hidden_size: 512,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  intermediate_size: 2048,
  layer_norm_eps: 1e-5,
  hidden_act: 'quick_gelu',
  eos_token_id: 2,
};
const PROJECTION_DIM_DEFAULT = 512;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(section: Json, where: string, key: string, defaults: Json, check: 'int' | 'number' | 'string'): unknown {
  const v = Object.hasOwn(section, key) ? section[key] : defaults[key];
  const ok =
    check === 'string'
      ? typeof v === 'string'
      : check === 'int'
        ? Number.isSafeInteger(v) && (v as number) > 0
        : typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!ok) {
    const want = check === 'string' ? 'a string' : check === 'int' ? 'a positive integer' : 'a positive number';
    throw new ClipConfigError(`config.json: ${where}.${key} is ${JSON.stringify(v)}, expected ${want}`);
  }
  return v;
}

function checkAct(section: Json, where: string, defaults: Json): void {
  const act = field(section, where, 'hidden_act', defaults, 'string');
  if (act !== 'quick_gelu') {
    throw new ClipConfigError(`config.json: ${where}.hidden_act is '${act}', but only 'quick_gelu' (OpenAI CLIP) is supported`);
  }
}

/** Check what every builder relies on: heads divide the width, patches tile the image. */
export function validateClipConfig(c: ClipConfig): ClipConfig {
  for (const [where, t] of [
    ['vision', c.vision],
    ['text', c.text],
  ] as const) {
    if (t.width % t.heads !== 0) {
      throw new ClipConfigError(`${where}: width ${t.width} is not divisible by ${t.heads} attention heads`);
    }
  }
  if (c.vision.imageSize % c.vision.patchSize !== 0) {
    throw new ClipConfigError(`vision: image size ${c.vision.imageSize} is not a multiple of patch size ${c.vision.patchSize}`);
  }
  return c;
}

/** Parse a Hugging Face CLIPModel `config.json` (already JSON-parsed). */
export function parseClipConfig(json: unknown): ClipConfig {
  if (!isObject(json)) throw new ClipConfigError('config.json is not a JSON object');
  if (json.model_type !== undefined && json.model_type !== 'clip') {
    throw new ClipConfigError(`config.json: model_type is '${String(json.model_type)}', expected 'clip'`);
  }
  const vj = json.vision_config,
    tj = json.text_config;
  if (!isObject(vj) || !isObject(tj)) {
    throw new ClipConfigError('config.json needs both vision_config and text_config objects (a CLIPModel config)');
  }
  checkAct(vj, 'vision_config', VISION_DEFAULTS);
  checkAct(tj, 'text_config', TEXT_DEFAULTS);
  const channels = field(vj, 'vision_config', 'num_channels', VISION_DEFAULTS, 'int');
  if (channels !== 3) throw new ClipConfigError(`config.json: vision_config.num_channels is ${channels}, only RGB (3) is supported`);
  const vi = (k: string) => field(vj, 'vision_config', k, VISION_DEFAULTS, 'int') as number;
  const ti = (k: string) => field(tj, 'text_config', k, TEXT_DEFAULTS, 'int') as number;
  return validateClipConfig({
    vision: {
      imageSize: vi('image_size'),
      patchSize: vi('patch_size'),
      width: vi('hidden_size'),
      layers: vi('num_hidden_layers'),
      heads: vi('num_attention_heads'),
      mlpWidth: vi('intermediate_size'),
      layerNormEps: field(vj, 'vision_config', 'layer_norm_eps', VISION_DEFAULTS, 'number') as number,
    },
    text: {
      vocabSize: ti('vocab_size'),
      contextLength: ti('max_position_embeddings'),
      width: ti('hidden_size'),
      layers: ti('num_hidden_layers'),
      heads: ti('num_attention_heads'),
      mlpWidth: ti('intermediate_size'),
      layerNormEps: field(tj, 'text_config', 'layer_norm_eps', TEXT_DEFAULTS, 'number') as number,
      eosTokenId: ti('eos_token_id'),
    },
    embedDim: field(json, 'config', 'projection_dim', { projection_dim: PROJECTION_DIM_DEFAULT }, 'int') as number,
  });
}

/** OpenAI CLIP's head width: every released model uses 64-wide attention heads. */
const OPENAI_HEAD_WIDTH = 64;
const OPENAI_END_TOKEN = 49407;

/**
 * Derive the config of an OpenAI-named checkpoint from its tensor shapes, as OpenAI's `build_model`
 * does. Head counts are not stored in the weights: OpenAI's rule (width / 64) is used unless
 * `heads` gives them (tiny test models use other head widths).
 */
export function configFromOpenAIWeights(tensors: ReadonlyMap<string, HostTensor>, heads?: { vision: number; text: number }): ClipConfig {
  const shape = (name: string): readonly number[] => {
    const t = tensors.get(name);
    if (!t) throw new ClipConfigError(`cannot derive a CLIP config: OpenAI tensor '${name}' is missing`);
    return t.shape;
  };
  const countBlocks = (prefix: string): number => {
    let n = 0;
    while (tensors.has(`${prefix}.resblocks.${n}.attn.in_proj_weight`)) n++;
    if (n === 0) throw new ClipConfigError(`cannot derive a CLIP config: no '${prefix}.resblocks.N' tensors`);
    return n;
  };
  const [vWidth, , patch] = shape('visual.conv1.weight') as [number, number, number, number];
  const vTokens = shape('visual.positional_embedding')[0]!;
  const grid = Math.round(Math.sqrt(vTokens - 1));
  if (grid * grid + 1 !== vTokens) {
    throw new ClipConfigError(`visual.positional_embedding has ${vTokens} rows, not a square grid plus a class token`);
  }
  const [vocab, tWidth] = shape('token_embedding.weight') as [number, number];
  const headsOf = (width: number, given: number | undefined) => given ?? Math.max(1, Math.floor(width / OPENAI_HEAD_WIDTH));
  return validateClipConfig({
    vision: {
      imageSize: grid * patch,
      patchSize: patch,
      width: vWidth,
      layers: countBlocks('visual.transformer'),
      heads: headsOf(vWidth, heads?.vision),
      mlpWidth: shape('visual.transformer.resblocks.0.mlp.c_fc.weight')[0]!,
      layerNormEps: 1e-5,
    },
    text: {
      vocabSize: vocab,
      contextLength: shape('positional_embedding')[0]!,
      width: tWidth,
      layers: countBlocks('transformer'),
      heads: headsOf(tWidth, heads?.text),
      mlpWidth: shape('transformer.resblocks.0.mlp.c_fc.weight')[0]!,
      layerNormEps: 1e-5,
      eosTokenId: OPENAI_END_TOKEN,
    },
    embedDim: shape('text_projection')[1]!,
  });
}
