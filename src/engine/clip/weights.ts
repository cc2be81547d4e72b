// CLIP weights in the layout the graph builders use, from either Hugging Face or OpenAI names.
//
// Every layout change happens once, on the host, at load: Linear weights become [in, out] so the
// graph multiplies without a Transpose; q, k and v are fused into one [W, 3W] matmul with the
// attention scale 1/√head_dim folded into the q columns; the patch-embedding convolution becomes a
// [3·P·P, W] matrix. The frozen weights are graph INPUTS (see weightInput), which the runtime
// uploads once and keeps on the device; the .onnx files stay small.
//
// The token-embedding table stays on the host: at ViT-L/14 it is 151 MB, over WebGPU's default
// 128 MiB storage binding, and the lookup is cheap there (see text-input.ts).
import type { DType, Graph, Value } from '../graph/graph.ts';
import { float32ToHalf } from '../graph/half.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { visionTokens, type ClipConfig } from './config.ts';

export class ClipWeightsError extends Error {
  override name = 'ClipWeightsError';
}

export type ClipNaming = 'hf' | 'openai';
export type ClipTower = 'vision' | 'text';

export interface ClipWeights {
  readonly config: ClipConfig;
  readonly naming: ClipNaming;
  /** graph-input names are `${prefix}.${canonical name}`, so two CLIPs can share one graph */
  readonly prefix: string;
  readonly towers: ReadonlySet<ClipTower>;
  /** tensors by canonical name (see canonicalShapes), already in graph layout: float32, or float16 in a tower halfPrecisionTower converted */
  readonly tensors: ReadonlyMap<string, HostTensor>;
  /** [vocab, text width], host only; null when the text tower was not loaded */
  readonly tokenEmbedding: HostTensor | null;
}

const DIFFERENT_MODELS = 'the weights and config.json are from different models';

/** The canonical tensors of the given towers and the shapes the graph needs them in. */
export function canonicalShapes(cfg: ClipConfig, towers: Iterable<ClipTower> = ['vision', 'text']): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const blocks = (tower: string, w: number, m: number, layers: number) => {
    for (let i = 0; i < layers; i++) {
      const b = `${tower}.blocks.${i}`;
      out
        .set(`${b}.ln_1.weight`, [w])
        .set(`${b}.ln_1.bias`, [w])
        .set(`${b}.attn.qkv.weight`, [w, 3 * w])
        .set(`${b}.attn.qkv.bias`, [3 * w])
        .set(`${b}.attn.out.weight`, [w, w])
        .set(`${b}.attn.out.bias`, [w])
        .set(`${b}.ln_2.weight`, [w])
        .set(`${b}.ln_2.bias`, [w])
        .set(`${b}.mlp.fc.weight`, [w, m])
        .set(`${b}.mlp.fc.bias`, [m])
        .set(`${b}.mlp.proj.weight`, [m, w])
        .set(`${b}.mlp.proj.bias`, [w]);
    }
  };
  const set = new Set(towers);
  if (set.has('vision')) {
    const v = cfg.vision,
      w = v.width;
    out
      .set('vision.patch_embed.weight', [3 * v.patchSize ** 2, w])
      .set('vision.class_embed', [w])
      .set('vision.pos_embed', [visionTokens(v), w])
      .set('vision.ln_pre.weight', [w])
      .set('vision.ln_pre.bias', [w]);
    blocks('vision', w, v.mlpWidth, v.layers);
    out.set('vision.ln_post.weight', [w]).set('vision.ln_post.bias', [w]).set('vision.proj', [w, cfg.embedDim]);
  }
  if (set.has('text')) {
    const t = cfg.text,
      w = t.width;
    out.set('text.pos_embed', [t.contextLength, w]);
    blocks('text', w, t.mlpWidth, t.layers);
    out.set('text.ln_final.weight', [w]).set('text.ln_final.bias', [w]).set('text.proj', [w, cfg.embedDim]);
  }
  out.set('logit_scale', []);
  return out;
}

/** exp(logit_scale) of the weights: the CLIP's own logit scale (100 for OpenAI CLIP) */
export const logitScaleOf = (w: ClipWeights): number => Math.exp(Number(w.tensors.get('logit_scale')!.data[0]));

/** Which naming a state dict uses, from its tell-tale tensors. */
export function detectNaming(source: ReadonlyMap<string, unknown>): ClipNaming {
  const has = (...names: string[]) => names.some((n) => source.has(n));
  if (has('visual.conv1.weight', 'token_embedding.weight')) return 'openai';
  if (has('vision_model.embeddings.patch_embedding.weight', 'text_model.embeddings.token_embedding.weight')) return 'hf';
  const some = [...source.keys()]
    .slice(0, 3)
    .map((n) => `'${n}'`)
    .join(', ');
  throw new ClipWeightsError(`these are not CLIP weights under Hugging Face or OpenAI names (first tensors: ${some || 'none'})`);
}

// ---- host-side layout changes ---------------------------------------------------------------------

/** [rows, cols] → [cols, rows] */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A copy with the first `n` elements of every row of length `rowLen` (the q part of a fused qkv) times `s`. */
function scaleLeading(data: Float32Array, rowLen: number, n: number, s: number): Float32Array {
  const out = Float32Array.from(data);
  for (let r = 0; r < out.length / rowLen; r++) for (let c = 0; c < n; c++) out[r * rowLen + c]! *= s;
  return out;
}

// ---- reading the source -----------------------------------------------------------------------------

type Get = (name: string, shape: readonly number[]) => Float32Array;

/** Reads source tensors, checking presence, dtype and shape; collects every problem before failing. */
class SourceReader {
  readonly missing: string[] = [];
  readonly wrong: string[] = [];
  /** @param consume delete each tensor from `source` once read (see LoadClipWeightsOptions.consume) */
  constructor(
    private readonly source: ReadonlyMap<string, HostTensor>,
    private readonly consume = false,
  ) {}

  readonly get: Get = (name, shape) => {
    const t = this.source.get(name);
    if (this.consume) (this.source as Map<string, HostTensor>).delete(name);
    const empty = () => new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (!t) {
      this.missing.push(name);
      return empty();
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      this.wrong.push(`tensor '${name}' has dtype ${t.dtype}, expected a float type`);
      return empty();
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      this.wrong.push(`tensor '${name}' has shape [${t.shape.join(',')}] but this config needs [${shape.join(',')}]`);
      return empty();
    }
    // float32 data is shared with the source, not copied: a ViT-L/14 state dict is 1.7 GB
    return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
  };

  get ok(): boolean {
    return this.missing.length + this.wrong.length === 0;
  }

  fail(naming: ClipNaming): never {
    const parts = this.wrong.slice(0, 3);
    if (this.wrong.length > 3) parts.push(`${this.wrong.length - 3} more tensors of the wrong shape or dtype`);
    if (this.missing.length > 0) {
      const some = this.missing
        .slice(0, 3)
        .map((n) => `'${n}'`)
        .join(', ');
      parts.push(`${this.missing.length} tensor(s) this config needs are missing (${some}${this.missing.length > 3 ? ', …' : ''})`);
    }
    const why = this.wrong.length > 0 ? DIFFERENT_MODELS : `the file is incomplete or ${DIFFERENT_MODELS}`;
    throw new ClipWeightsError(
      `cannot load CLIP weights (${naming === 'hf' ? 'Hugging Face' : 'OpenAI'} names): ${parts.join('; ')}: ${why}`,
    );
  }
}

interface SourceBlock {
  ln1: [string, string];
  ln2: [string, string];
  /** q, k, v stacked as PyTorch's in_proj ([3W, W] and [3W]), or separate HF q/k/v Linears */
  qkv: { stacked: [string, string] } | { separate: [string, string][] };
  out: [string, string];
  fc: [string, string];
  proj: [string, string];
}

const hfBlock = (p: string): SourceBlock => ({
  ln1: [`${p}.layer_norm1.weight`, `${p}.layer_norm1.bias`],
  ln2: [`${p}.layer_norm2.weight`, `${p}.layer_norm2.bias`],
  qkv: { separate: ['q', 'k', 'v'].map((k) => [`${p}.self_attn.${k}_proj.weight`, `${p}.self_attn.${k}_proj.bias`]) },
  out: [`${p}.self_attn.out_proj.weight`, `${p}.self_attn.out_proj.bias`],
  fc: [`${p}.mlp.fc1.weight`, `${p}.mlp.fc1.bias`],
  proj: [`${p}.mlp.fc2.weight`, `${p}.mlp.fc2.bias`],
});

const openaiBlock = (p: string): SourceBlock => ({
  ln1: [`${p}.ln_1.weight`, `${p}.ln_1.bias`],
  ln2: [`${p}.ln_2.weight`, `${p}.ln_2.bias`],
  qkv: { stacked: [`${p}.attn.in_proj_weight`, `${p}.attn.in_proj_bias`] },
  out: [`${p}.attn.out_proj.weight`, `${p}.attn.out_proj.bias`],
  fc: [`${p}.mlp.c_fc.weight`, `${p}.mlp.c_fc.bias`],
  proj: [`${p}.mlp.c_proj.weight`, `${p}.mlp.c_proj.bias`],
});

interface SourceNames {
  patch: string;
  classEmbed: string;
  visionPos: string;
  lnPre: [string, string];
  lnPost: [string, string];
  /** the vision projection, and whether it is stored [embed, width] (an HF Linear) rather than [width, embed] */
  visionProj: string;
  textProj: string;
  projIsLinear: boolean;
  visionBlock: (i: number) => SourceBlock;
  textBlock: (i: number) => SourceBlock;
  tokenEmbed: string;
  textPos: string;
  lnFinal: [string, string];
  logitScale: string;
}

/** each tensor's name in a Hugging Face CLIP and in OpenAI's, side by side */
const SIDE_BY_SIDE: { [K in keyof SourceNames]: readonly [hf: SourceNames[K], openai: SourceNames[K]] } = {
  patch: ['vision_model.embeddings.patch_embedding.weight', 'visual.conv1.weight'],
  classEmbed: ['vision_model.embeddings.class_embedding', 'visual.class_embedding'],
  visionPos: ['vision_model.embeddings.position_embedding.weight', 'visual.positional_embedding'],
  lnPre: [
    ['vision_model.pre_layrnorm.weight', 'vision_model.pre_layrnorm.bias'],
    ['visual.ln_pre.weight', 'visual.ln_pre.bias'],
  ],
  lnPost: [
    ['vision_model.post_layernorm.weight', 'vision_model.post_layernorm.bias'],
    ['visual.ln_post.weight', 'visual.ln_post.bias'],
  ],
  visionProj: ['visual_projection.weight', 'visual.proj'],
  textProj: ['text_projection.weight', 'text_projection'],
  projIsLinear: [true, false],
  visionBlock: [(i) => hfBlock(`vision_model.encoder.layers.${i}`), (i) => openaiBlock(`visual.transformer.resblocks.${i}`)],
  textBlock: [(i) => hfBlock(`text_model.encoder.layers.${i}`), (i) => openaiBlock(`transformer.resblocks.${i}`)],
  tokenEmbed: ['text_model.embeddings.token_embedding.weight', 'token_embedding.weight'],
  textPos: ['text_model.embeddings.position_embedding.weight', 'positional_embedding'],
  lnFinal: [
    ['text_model.final_layer_norm.weight', 'text_model.final_layer_norm.bias'],
    ['ln_final.weight', 'ln_final.bias'],
  ],
  logitScale: ['logit_scale', 'logit_scale'],
};

const column = (side: 0 | 1): SourceNames =>
  Object.fromEntries(Object.entries(SIDE_BY_SIDE).map(([key, names]) => [key, names[side]])) as unknown as SourceNames;

const NAMES: Record<ClipNaming, SourceNames> = { hf: column(0), openai: column(1) };

function blockNames(b: SourceBlock): string[] {
  const qkv = 'stacked' in b.qkv ? [b.qkv.stacked] : b.qkv.separate;
  return [b.ln1, b.ln2, ...qkv, b.out, b.fc, b.proj].flat();
}

/** The source tensor names a load of these towers reads: pass them to loadSafetensors to read no more. */
export function clipSourceNames(cfg: ClipConfig, naming: ClipNaming, towers: Iterable<ClipTower> = ['vision', 'text']): string[] {
  const n = NAMES[naming],
    set = new Set(towers),
    out: string[] = [];
  if (set.has('vision')) {
    out.push(n.patch, n.classEmbed, n.visionPos, ...n.lnPre, ...n.lnPost, n.visionProj);
    for (let i = 0; i < cfg.vision.layers; i++) out.push(...blockNames(n.visionBlock(i)));
  }
  if (set.has('text')) {
    out.push(n.tokenEmbed, n.textPos, ...n.lnFinal, n.textProj);
    for (let i = 0; i < cfg.text.layers; i++) out.push(...blockNames(n.textBlock(i)));
  }
  out.push(n.logitScale);
  return out;
}

function loadBlock(
  get: Get,
  src: SourceBlock,
  dst: string,
  w: number,
  m: number,
  heads: number,
  put: (n: string, d: Float32Array) => void,
) {
  const linear = ([wName, bName]: [string, string], out: number, inp: number) => ({
    weight: transpose2d(get(wName, [out, inp]), out, inp),
    bias: get(bName, [out]),
  });
  put(`${dst}.ln_1.weight`, get(src.ln1[0], [w]));
  put(`${dst}.ln_1.bias`, get(src.ln1[1], [w]));
  // [3W, W] (q rows, then k, then v) transposes to [W, 3W] with q, k, v as column blocks
  const stackedW = 'stacked' in src.qkv ? get(src.qkv.stacked[0], [3 * w, w]) : concat(src.qkv.separate.map(([n]) => get(n, [w, w])));
  const stackedB = 'stacked' in src.qkv ? get(src.qkv.stacked[1], [3 * w]) : concat(src.qkv.separate.map(([, n]) => get(n, [w])));
  // scores = (q·s)·kᵀ with s = 1/√head_dim: scaling q's weights and bias once saves a pass per run
  const scale = 1 / Math.sqrt(w / heads);
  put(`${dst}.attn.qkv.weight`, scaleLeading(transpose2d(stackedW, 3 * w, w), 3 * w, w, scale));
  put(`${dst}.attn.qkv.bias`, scaleLeading(stackedB, 3 * w, w, scale));
  const out = linear(src.out, w, w),
    fc = linear(src.fc, m, w),
    proj = linear(src.proj, w, m);
  put(`${dst}.attn.out.weight`, out.weight);
  put(`${dst}.attn.out.bias`, out.bias);
  put(`${dst}.ln_2.weight`, get(src.ln2[0], [w]));
  put(`${dst}.ln_2.bias`, get(src.ln2[1], [w]));
  put(`${dst}.mlp.fc.weight`, fc.weight);
  put(`${dst}.mlp.fc.bias`, fc.bias);
  put(`${dst}.mlp.proj.weight`, proj.weight);
  put(`${dst}.mlp.proj.bias`, proj.bias);
}

export interface LoadClipWeightsOptions {
  /** graph-input name prefix; default 'clip' */
  prefix?: string;
  /** default both */
  towers?: Iterable<ClipTower>;
  /** default: detected from the tensor names */
  naming?: ClipNaming;
  /**
   * take the tensors out of `source` (a Map the caller hands over) as they are read: the source
   * tensors that get rearranged (transposed, fused) can then be collected one by one, instead of the
   * whole state dict living beside its rearranged copy (3.4 GB rather than 1.7 GB at ViT-L/14)
   */
  consume?: boolean;
}

/**
 * Check a state dict against the config and rearrange it into graph layout. `source` is what
 * loadSafetensors returns; extra tensors (buffers such as position_ids) are ignored.
 */
export function loadClipWeights(source: ReadonlyMap<string, HostTensor>, cfg: ClipConfig, opts: LoadClipWeightsOptions = {}): ClipWeights {
  const naming = opts.naming ?? detectNaming(source);
  const towers = new Set(opts.towers ?? (['vision', 'text'] as ClipTower[]));
  const n = NAMES[naming];
  if (opts.consume && !(source instanceof Map)) throw new ClipWeightsError('consume needs the source as a Map to take tensors from');
  const reader = new SourceReader(source, opts.consume);
  const get = reader.get;
  const tensors = new Map<string, HostTensor>();
  const shapes = canonicalShapes(cfg, towers);
  const put = (name: string, data: Float32Array) => tensors.set(name, hostTensor('float32', shapes.get(name)!, data));
  const projection = (name: string, width: number) =>
    n.projIsLinear ? transpose2d(get(name, [cfg.embedDim, width]), cfg.embedDim, width) : get(name, [width, cfg.embedDim]);
  let tokenEmbedding: HostTensor | null = null;

  if (towers.has('vision')) {
    const v = cfg.vision,
      w = v.width,
      p = v.patchSize;
    // conv1 [W, 3, P, P] flattens to [W, 3·P·P] (channel, row, column), the order patchify produces
    put('vision.patch_embed.weight', transpose2d(get(n.patch, [w, 3, p, p]), w, 3 * p * p));
    put('vision.class_embed', get(n.classEmbed, [w]));
    put('vision.pos_embed', get(n.visionPos, [visionTokens(v), w]));
    put('vision.ln_pre.weight', get(n.lnPre[0], [w]));
    put('vision.ln_pre.bias', get(n.lnPre[1], [w]));
    for (let i = 0; i < v.layers; i++) loadBlock(get, n.visionBlock(i), `vision.blocks.${i}`, w, v.mlpWidth, v.heads, put);
    put('vision.ln_post.weight', get(n.lnPost[0], [w]));
    put('vision.ln_post.bias', get(n.lnPost[1], [w]));
    put('vision.proj', projection(n.visionProj, w));
  }
  if (towers.has('text')) {
    const t = cfg.text,
      w = t.width;
    tokenEmbedding = hostTensor('float32', [t.vocabSize, w], get(n.tokenEmbed, [t.vocabSize, w]));
    put('text.pos_embed', get(n.textPos, [t.contextLength, w]));
    for (let i = 0; i < t.layers; i++) loadBlock(get, n.textBlock(i), `text.blocks.${i}`, w, t.mlpWidth, t.heads, put);
    put('text.ln_final.weight', get(n.lnFinal[0], [w]));
    put('text.ln_final.bias', get(n.lnFinal[1], [w]));
    put('text.proj', projection(n.textProj, w));
  }
  put('logit_scale', get(n.logitScale, []));
  if (!reader.ok) reader.fail(naming);
  return { config: cfg, naming, prefix: opts.prefix ?? 'clip', towers, tensors, tokenEmbedding };
}

// ---- graph side -------------------------------------------------------------------------------------

/** Builders take the config and the weights; make sure the weights were checked against that config. */
export function assertWeightsFor(cfg: ClipConfig, w: ClipWeights): void {
  if (cfg !== w.config && JSON.stringify(cfg) !== JSON.stringify(w.config)) {
    throw new ClipWeightsError('the CLIP config passed to the builder differs from the one the weights were loaded with');
  }
}

// one graph input per (graph, weights, tensor), however many times a builder asks for it
const declared = new WeakMap<Graph, Map<ClipWeights, Map<string, Value>>>();

/** The graph input holding canonical tensor `name` of `w`, declared on first use. */
export function weightInput(g: Graph, w: ClipWeights, name: string): Value {
  const t = w.tensors.get(name);
  if (!t) {
    const tower = name.split('.')[0];
    throw new ClipWeightsError(
      `CLIP weight '${name}' was not loaded${tower === 'vision' || tower === 'text' ? ` (load the ${tower} tower)` : ''}`,
    );
  }
  let perGraph = declared.get(g);
  if (!perGraph) {
    perGraph = new Map();
    declared.set(g, perGraph);
  }
  let mine = perGraph.get(w);
  if (!mine) {
    mine = new Map();
    perGraph.set(w, mine);
  }
  let v = mine.get(name);
  if (!v) {
    v = g.input(`${w.prefix}.${name}`, t.dtype, t.shape);
    mine.set(name, v);
  }
  return v;
}

/**
 * The same weights with one tower's tensors in float16 (half the memory; GPUs with shader-f16 run
 * it faster). The other tensors, the logit scale among them, stay float32 and are shared.
 */
export function halfPrecisionTower(w: ClipWeights, tower: ClipTower): ClipWeights {
  if (!w.towers.has(tower)) throw new ClipWeightsError(`the ${tower} tower was not loaded`);
  const tensors = new Map<string, HostTensor>();
  for (const [name, t] of w.tensors) {
    tensors.set(
      name,
      name.startsWith(`${tower}.`) && t.dtype === 'float32' ? hostTensor('float16', t.shape, float32ToHalf(t.data as Float32Array)) : t,
    );
  }
  return { ...w, tensors };
}

/** the dtype a tower computes in: that of its weights */
export const towerDType = (w: ClipWeights, tower: ClipTower): DType =>
  w.tensors.get(tower === 'vision' ? 'vision.patch_embed.weight' : 'text.pos_embed')?.dtype ?? 'float32';

/** Feeds for every weight of `w` that graph `g` declared: upload them once and reuse them. */
export function weightFeeds(g: Graph, w: ClipWeights): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [name, v] of declared.get(g)?.get(w) ?? []) feeds[v.name] = w.tensors.get(name)!;
  return feeds;
}
