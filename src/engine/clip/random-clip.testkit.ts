// For tests: random CLIPs under Hugging Face names, and a plain float64 forward written straight
// from make_fixtures.py (vit_features, text_features) over those HF-named tensors. It shares no
// code with the graph builders or the weight loader, so agreement checks both.
import { rng } from '../random.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { visionTokens, type ClipConfig } from './config.ts';

export function tinyConfig(
  over: {
    image?: number;
    patch?: number;
    vw?: number;
    vl?: number;
    vh?: number;
    tw?: number;
    tl?: number;
    th?: number;
    embed?: number;
    vocab?: number;
    ctx?: number;
  } = {},
): ClipConfig {
  // a transformer of `width`, with CLIP's 4× MLP and LayerNorm eps
  const tower = (width: number, layers: number, heads: number) => ({ width, layers, heads, mlpWidth: 4 * width, layerNormEps: 1e-5 });
  const vocabSize = over.vocab ?? 50;
  return {
    vision: { imageSize: over.image ?? 16, patchSize: over.patch ?? 4, ...tower(over.vw ?? 16, over.vl ?? 3, over.vh ?? 2) },
    text: { vocabSize, contextLength: over.ctx ?? 10, ...tower(over.tw ?? 12, over.tl ?? 3, over.th ?? 3), eosTokenId: vocabSize - 1 },
    embedDim: over.embed ?? 8,
  };
}

/** A random CLIPModel state dict with the scales make_fixtures.py uses (non-trivial activations). */
export function randomHfClip(cfg: ClipConfig, seed: number): Map<string, HostTensor> {
  const r = rng(seed);
  const out = new Map<string, HostTensor>();
  const matrix = (name: string, shape: number[]) => {
    const scale = 0.5 / Math.sqrt(shape[shape.length - 1]!);
    out.set(
      name,
      hostTensor(
        'float32',
        shape,
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * scale),
      ),
    );
  };
  const vector = (name: string, n: number, base = 0) =>
    out.set(
      name,
      hostTensor(
        'float32',
        [n],
        Float32Array.from({ length: n }, () => base + (base ? 0.1 : 0.05) * r.normal()),
      ),
    );
  const norm = (name: string, n: number) => {
    vector(`${name}.weight`, n, 1);
    vector(`${name}.bias`, n);
  };
  const layers = (prefix: string, n: number, w: number, m: number) => {
    for (let i = 0; i < n; i++) {
      const p = `${prefix}.encoder.layers.${i}`;
      for (const k of ['q', 'k', 'v', 'out']) {
        matrix(`${p}.self_attn.${k}_proj.weight`, [w, w]);
        vector(`${p}.self_attn.${k}_proj.bias`, w);
      }
      norm(`${p}.layer_norm1`, w);
      norm(`${p}.layer_norm2`, w);
      matrix(`${p}.mlp.fc1.weight`, [m, w]);
      vector(`${p}.mlp.fc1.bias`, m);
      matrix(`${p}.mlp.fc2.weight`, [w, m]);
      vector(`${p}.mlp.fc2.bias`, w);
    }
  };
  const v = cfg.vision,
    t = cfg.text;
  matrix('vision_model.embeddings.patch_embedding.weight', [v.width, 3, v.patchSize, v.patchSize]);
  vector('vision_model.embeddings.class_embedding', v.width);
  matrix('vision_model.embeddings.position_embedding.weight', [visionTokens(v), v.width]);
  norm('vision_model.pre_layrnorm', v.width);
  layers('vision_model', v.layers, v.width, v.mlpWidth);
  norm('vision_model.post_layernorm', v.width);
  matrix('visual_projection.weight', [cfg.embedDim, v.width]);
  matrix('text_model.embeddings.token_embedding.weight', [t.vocabSize, t.width]);
  matrix('text_model.embeddings.position_embedding.weight', [t.contextLength, t.width]);
  layers('text_model', t.layers, t.width, t.mlpWidth);
  norm('text_model.final_layer_norm', t.width);
  matrix('text_projection.weight', [cfg.embedDim, t.width]);
  out.set('logit_scale', hostTensor('float32', [], Float32Array.of(Math.log(100))));
  return out;
}

/** n × d random matrix (prompts, pixels) as float32 data */
export function randomData(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

// ---- plain float64 forward over HF names -------------------------------------------------------------

type Rows = number[][];
type Src = ReadonlyMap<string, HostTensor>;

const tensor = (src: Src, name: string): Float32Array => {
  const t = src.get(name);
  if (!t) throw new Error(`reference: no tensor ${name}`);
  return t.data as Float32Array;
};

/** torch Linear: x [n, in] → [n, out] with weight [out, in] */
function linearRef(src: Src, name: string, x: Rows, bias = true): Rows {
  const wt = tensor(src, `${name}.weight`),
    b = bias ? tensor(src, `${name}.bias`) : null;
  const inp = x[0]!.length,
    out = wt.length / inp;
  return x.map((row) =>
    Array.from({ length: out }, (_, o) => {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inp; i++) s += row[i]! * wt[o * inp + i]!;
      return s;
    }),
  );
}

function layerNormRef(src: Src, name: string, x: Rows, eps: number): Rows {
  const g = tensor(src, `${name}.weight`),
    b = tensor(src, `${name}.bias`);
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
  });
}

const addRows = (a: Rows, b: Rows): Rows => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));

function blockRef(src: Src, p: string, x: Rows, heads: number, eps: number, causal: boolean): Rows {
  const h = layerNormRef(src, `${p}.layer_norm1`, x, eps);
  const q = linearRef(src, `${p}.self_attn.q_proj`, h),
    k = linearRef(src, `${p}.self_attn.k_proj`, h),
    v = linearRef(src, `${p}.self_attn.v_proj`, h);
  const T = x.length,
    W = x[0]!.length,
    D = W / heads;
  const y: Rows = Array.from({ length: T }, () => new Array<number>(W).fill(0));
  for (let hd = 0; hd < heads; hd++) {
    for (let i = 0; i < T; i++) {
      const scores = Array.from({ length: T }, (_, j) => {
        if (causal && j > i) return -Infinity;
        let s = 0;
        for (let d = 0; d < D; d++) s += q[i]![hd * D + d]! * k[j]![hd * D + d]!;
        return s / Math.sqrt(D);
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < T; j++) for (let d = 0; d < D; d++) y[i]![hd * D + d]! += (e[j]! / z) * v[j]![hd * D + d]!;
    }
  }
  const x1 = addRows(x, linearRef(src, `${p}.self_attn.out_proj`, y));
  const f = linearRef(src, `${p}.mlp.fc1`, layerNormRef(src, `${p}.layer_norm2`, x1, eps)).map((r) =>
    r.map((u) => u / (1 + Math.exp(-1.702 * u))),
  );
  return addRows(x1, linearRef(src, `${p}.mlp.fc2`, f));
}

const matrixRows = (data: Float32Array, n: number, d: number, offset = 0): Rows =>
  Array.from({ length: n }, (_, i) => Array.from(data.subarray(offset + i * d, offset + (i + 1) * d)));

export interface RefPrompts {
  shallow: Float32Array;
  deep: Float32Array[];
  nCtx: number;
}

/** make_fixtures.vit_features for pixels [B, 3, S, S] → image embeds [B, E] (row-major) */
export function referenceImageEmbeds(src: Src, cfg: ClipConfig, pixels: Float32Array, B: number, prompts?: RefPrompts): Float64Array {
  const { imageSize: S, patchSize: P, width: W, heads, layers, layerNormEps: eps } = cfg.vision;
  const G = S / P,
    out = new Float64Array(B * cfg.embedDim);
  const conv = tensor(src, 'vision_model.embeddings.patch_embedding.weight'); // [W, 3, P, P]
  const cls = tensor(src, 'vision_model.embeddings.class_embedding');
  const pos = tensor(src, 'vision_model.embeddings.position_embedding.weight');
  for (let b = 0; b < B; b++) {
    let x: Rows = [Array.from(cls)];
    for (let gy = 0; gy < G; gy++)
      for (let gx = 0; gx < G; gx++) {
        x.push(
          Array.from({ length: W }, (_, o) => {
            let s = 0;
            for (let c = 0; c < 3; c++)
              for (let py = 0; py < P; py++)
                for (let px = 0; px < P; px++) {
                  s += conv[((o * 3 + c) * P + py) * P + px]! * pixels[((b * 3 + c) * S + gy * P + py) * S + gx * P + px]!;
                }
            return s;
          }),
        );
      }
    x = x.map((row, t) => row.map((v, j) => v + pos[t * W + j]!));
    const n = prompts?.nCtx ?? 0;
    if (prompts) x.push(...matrixRows(prompts.shallow, n, W));
    x = layerNormRef(src, 'vision_model.pre_layrnorm', x, eps);
    for (let i = 0; i < layers; i++) {
      if (prompts && i >= 1 && i <= prompts.deep.length) x = [...x.slice(0, x.length - n), ...matrixRows(prompts.deep[i - 1]!, n, W)];
      x = blockRef(src, `vision_model.encoder.layers.${i}`, x, heads, eps, false);
    }
    const pooled = layerNormRef(src, 'vision_model.post_layernorm', [x[0]!], eps);
    out.set(linearRef(src, 'visual_projection', pooled, false)[0]!, b * cfg.embedDim);
  }
  return out;
}

export interface RefTextPrompts {
  ctx: Float32Array;
  deep: Float32Array[];
  nCtx: number;
}

/** HF text model + text_projection for ids [B, L] pooled at `eot` → text embeds [B, E]; IVLP prompts replace positions 1..n_ctx */
export function referenceTextEmbeds(
  src: Src,
  cfg: ClipConfig,
  ids: Int32Array,
  B: number,
  L: number,
  eot: readonly number[],
  prompts?: RefTextPrompts,
): Float64Array {
  const { width: W, heads, layers, layerNormEps: eps } = cfg.text;
  const table = tensor(src, 'text_model.embeddings.token_embedding.weight');
  const pos = tensor(src, 'text_model.embeddings.position_embedding.weight');
  const out = new Float64Array(B * cfg.embedDim);
  const replace = (x: Rows, p: Float32Array, n: number): Rows => [x[0]!, ...matrixRows(p, n, W), ...x.slice(1 + n)];
  for (let b = 0; b < B; b++) {
    let x: Rows = Array.from({ length: L }, (_, t) => Array.from(table.subarray(ids[b * L + t]! * W, (ids[b * L + t]! + 1) * W)));
    if (prompts) x = replace(x, prompts.ctx, prompts.nCtx);
    x = x.map((row, t) => row.map((v, j) => v + pos[t * W + j]!));
    for (let i = 0; i < layers; i++) {
      if (prompts && i >= 1 && i <= prompts.deep.length) x = replace(x, prompts.deep[i - 1]!, prompts.nCtx);
      x = blockRef(src, `text_model.encoder.layers.${i}`, x, heads, eps, true);
    }
    const pooled = layerNormRef(src, 'text_model.final_layer_norm', [x[eot[b]!]!], eps);
    out.set(linearRef(src, 'text_projection', pooled, false)[0]!, b * cfg.embedDim);
  }
  return out;
}
