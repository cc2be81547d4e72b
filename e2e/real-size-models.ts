// Test support for e2e/real-size.spec.ts: Hugging Face CLIP folders at the real sizes of OpenAI's
// ViT-B/16 (PromptKD's student, 598 MB) and ViT-L/14 (its teacher, 1.71 GB), with RANDOM weights,
// written at test time (nothing is downloaded or committed) and served by e2e/fake-hub.ts as the
// Hub serves them (tree API, X-Repo-Commit, ETag, Range, CORS).
//
// The folders are kept in .tmp/real-size-models/ between runs: a folder is complete when its
// `complete` marker names the bytes of its model.safetensors (written under a temporary name and
// renamed last), so a killed generation is redone, never half used.
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import type { FakeHub } from './fake-hub.ts';

/** The transformers config.json of a CLIPModel with OpenAI's geometry (64-wide heads, MLP 4× width). */
function hfClipConfig(
  name: string,
  v: { width: number; layers: number; patch: number },
  t: { width: number; layers: number },
  projection: number,
) {
  const tower = (w: number, layers: number) => ({
    hidden_size: w,
    intermediate_size: 4 * w,
    num_attention_heads: w / 64,
    num_hidden_layers: layers,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    initializer_range: 0.02,
    initializer_factor: 1.0,
    attention_dropout: 0.0,
  });
  return {
    _name_or_path: name,
    architectures: ['CLIPModel'],
    initializer_factor: 1.0,
    logit_scale_init_value: 2.6592,
    model_type: 'clip',
    projection_dim: projection,
    torch_dtype: 'float32',
    transformers_version: '4.21.3',
    text_config: {
      ...tower(t.width, t.layers),
      model_type: 'clip_text_model',
      vocab_size: 49408,
      max_position_embeddings: 77,
      bos_token_id: 0,
      pad_token_id: 1,
      eos_token_id: 2,
      projection_dim: projection,
    },
    vision_config: {
      ...tower(v.width, v.layers),
      model_type: 'clip_vision_model',
      image_size: 224,
      patch_size: v.patch,
      num_channels: 3,
      projection_dim: projection,
    },
  };
}

export interface RealModel {
  /** the Hub repo id it is served as */
  repo: string;
  config: ReturnType<typeof hfClipConfig>;
}

export const REAL_STUDENT: RealModel = {
  repo: 'openai/clip-vit-base-patch16',
  config: hfClipConfig('openai/clip-vit-base-patch16', { width: 768, layers: 12, patch: 16 }, { width: 512, layers: 12 }, 512),
};
export const REAL_TEACHER: RealModel = {
  repo: 'openai/clip-vit-large-patch14',
  config: hfClipConfig('openai/clip-vit-large-patch14', { width: 1024, layers: 24, patch: 14 }, { width: 768, layers: 12 }, 768),
};

/** name, shape and the half-width of its uniform init (0: zeros; 'one': ones; a number: U(±a)) */
type Spec = [name: string, shape: number[], init: number | 'one' | 'logit-scale'];

/** every tensor of a transformers CLIPModel state dict, in file order, with CLIP-like init scales */
function tensorSpecs(m: RealModel): Spec[] {
  const c = m.config,
    out: Spec[] = [];
  // U(±√3·σ) has the variance of N(0, σ²) and is far cheaper to draw for 430 M values
  const u = (std: number) => Math.sqrt(3) * std;
  const tower = (prefix: string, w: number, layers: number) => {
    const residual = w ** -0.5 * (2 * layers) ** -0.5;
    for (let i = 0; i < layers; i++) {
      const p = `${prefix}.encoder.layers.${i}`;
      for (const k of ['q', 'k', 'v'])
        out.push([`${p}.self_attn.${k}_proj.weight`, [w, w], u(w ** -0.5)], [`${p}.self_attn.${k}_proj.bias`, [w], 0]);
      out.push([`${p}.self_attn.out_proj.weight`, [w, w], u(residual)], [`${p}.self_attn.out_proj.bias`, [w], 0]);
      out.push([`${p}.layer_norm1.weight`, [w], 'one'], [`${p}.layer_norm1.bias`, [w], 0]);
      out.push([`${p}.mlp.fc1.weight`, [4 * w, w], u(w ** -0.5)], [`${p}.mlp.fc1.bias`, [4 * w], 0]);
      out.push([`${p}.mlp.fc2.weight`, [w, 4 * w], u(residual)], [`${p}.mlp.fc2.bias`, [w], 0]);
      out.push([`${p}.layer_norm2.weight`, [w], 'one'], [`${p}.layer_norm2.bias`, [w], 0]);
    }
  };
  const v = c.vision_config,
    t = c.text_config,
    tokens = (v.image_size / v.patch_size) ** 2 + 1;
  out.push(['logit_scale', [], 'logit-scale']);
  out.push(['text_model.embeddings.token_embedding.weight', [t.vocab_size, t.hidden_size], u(0.02)]);
  out.push(['text_model.embeddings.position_embedding.weight', [t.max_position_embeddings, t.hidden_size], u(0.01)]);
  tower('text_model', t.hidden_size, t.num_hidden_layers);
  out.push(['text_model.final_layer_norm.weight', [t.hidden_size], 'one'], ['text_model.final_layer_norm.bias', [t.hidden_size], 0]);
  out.push(['text_projection.weight', [c.projection_dim, t.hidden_size], u(t.hidden_size ** -0.5)]);
  out.push(['vision_model.embeddings.class_embedding', [v.hidden_size], u(v.hidden_size ** -0.5)]);
  out.push([
    'vision_model.embeddings.patch_embedding.weight',
    [v.hidden_size, 3, v.patch_size, v.patch_size],
    u((3 * v.patch_size ** 2) ** -0.5),
  ]);
  out.push(['vision_model.embeddings.position_embedding.weight', [tokens, v.hidden_size], u(0.01)]);
  out.push(['vision_model.pre_layrnorm.weight', [v.hidden_size], 'one'], ['vision_model.pre_layrnorm.bias', [v.hidden_size], 0]);
  tower('vision_model', v.hidden_size, v.num_hidden_layers);
  out.push(['vision_model.post_layernorm.weight', [v.hidden_size], 'one'], ['vision_model.post_layernorm.bias', [v.hidden_size], 0]);
  out.push(['visual_projection.weight', [c.projection_dim, v.hidden_size], u(v.hidden_size ** -0.5)]);
  return out;
}

const CHUNK = 4 * 1024 * 1024; // floats per write

/** Writes model.safetensors of `m` to `file` as a stream (never the whole file in memory); returns its size. */
function writeRandomSafetensors(m: RealModel, file: string, seed: number): number {
  const specs = tensorSpecs(m);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape] of specs) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head);
    let s = (seed * 2654435761) >>> 0 || 1;
    const buf = new Float32Array(CHUNK);
    for (const [, shape, init] of specs) {
      let left = shape.reduce((a, b) => a * b, 1);
      while (left > 0) {
        const n = Math.min(left, CHUNK),
          part = buf.subarray(0, n);
        if (init === 'one') part.fill(1);
        else if (init === 'logit-scale') part.fill(Math.log(100));
        else if (init === 0) part.fill(0);
        else {
          // xorshift32: uniform in (-init, init)
          for (let i = 0; i < n; i++) {
            s ^= s << 13;
            s >>>= 0;
            s ^= s >>> 17;
            s ^= s << 5;
            s >>>= 0;
            part[i] = init * (s / 2147483648 - 1);
          }
        }
        fs.writeSync(fd, new Uint8Array(part.buffer, 0, 4 * n));
        left -= n;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return head.length + offset;
}

/** The folder of `m` under `root`, generated unless a complete one is there already. */
export function ensureRealModel(root: string, m: RealModel, seed: number): { dir: string; bytes: number; generatedSeconds: number | null } {
  const dir = path.join(root, m.repo),
    marker = path.join(dir, 'complete'),
    weights = path.join(dir, 'model.safetensors');
  const done = fs.existsSync(marker) && fs.existsSync(weights) && fs.statSync(weights).size === Number(fs.readFileSync(marker, 'utf8'));
  if (done) return { dir, bytes: fs.statSync(weights).size, generatedSeconds: null };
  const t0 = Date.now();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(m.config, null, 2));
  const bytes = writeRandomSafetensors(m, `${weights}.partial`, seed);
  fs.renameSync(`${weights}.partial`, weights);
  fs.writeFileSync(marker, String(bytes));
  return { dir, bytes, generatedSeconds: (Date.now() - t0) / 1000 };
}

/** Commits the folder of `m` under `root` to `hub` as its repo, the weights read from disk as they are served. */
export async function commitRealModel(hub: FakeHub, root: string, m: RealModel): Promise<string> {
  const dir = path.join(root, m.repo);
  const weights = path.join(dir, 'model.safetensors');
  // the tree API's lfs.oid: Node's SHA-256 streams 1.7 GB in a few seconds
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(weights, { highWaterMark: 16 << 20 })) hash.update(chunk as Buffer);
  return hub.commit(m.repo, {
    'config.json': await fs.openAsBlob(path.join(dir, 'config.json')),
    'model.safetensors': { blob: await fs.openAsBlob(weights), sha256: hash.digest('hex') },
  });
}
