import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Graph, type TypedArray } from '../graph/graph.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { parseClipConfig } from './config.ts';
import { loadSafetensors } from './safetensors.ts';
import { randomHfClip, tinyConfig } from './random-clip.testkit.ts';
import { canonicalShapes, clipSourceNames, detectNaming, loadClipWeights, weightFeeds, weightInput } from './weights.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const cfg = parseClipConfig(JSON.parse(fs.readFileSync(`${FIXTURE}/config.json`, 'utf8')));
const sameBits = (a: TypedArray, b: TypedArray) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const load = async (file: string) => loadSafetensors(await fs.openAsBlob(`${FIXTURE}/${file}`));

describe('loadClipWeights', () => {
  it('maps Hugging Face and OpenAI names to the same graph-layout tensors', async () => {
    const hf = loadClipWeights(await load('model.safetensors'), cfg);
    const openai = loadClipWeights(await load('openai.safetensors'), cfg);
    expect([hf.naming, openai.naming]).toEqual(['hf', 'openai']);
    expect([...hf.tensors.keys()].sort()).toEqual([...canonicalShapes(cfg).keys()].sort());
    for (const [name, t] of hf.tensors) {
      expect(t.shape, name).toEqual(canonicalShapes(cfg).get(name));
      expect(sameBits(openai.tensors.get(name)!.data, t.data), name).toBe(true);
    }
    expect(sameBits(openai.tokenEmbedding!.data, hf.tokenEmbedding!.data)).toBe(true);
  });

  it('consume takes the tensors out of the source as it reads them, with the same result', async () => {
    const source = await load('model.safetensors');
    const kept = loadClipWeights(await load('model.safetensors'), cfg);
    const taken = loadClipWeights(source, cfg, { consume: true });
    expect(source.size).toBe(0);
    for (const [name, t] of kept.tensors) expect(sameBits(taken.tensors.get(name)!.data, t.data), name).toBe(true);
    expect(sameBits(taken.tokenEmbedding!.data, kept.tokenEmbedding!.data)).toBe(true);
    // only the towers asked for are taken: the rest stays for whoever owns the map
    const visionOnly = await load('model.safetensors');
    loadClipWeights(visionOnly, cfg, { consume: true, towers: ['vision'] });
    expect([...visionOnly.keys()].every((n) => n.startsWith('text_model.') || n === 'text_projection.weight')).toBe(true);
  });

  it('transposes Linear weights to [in, out] and folds 1/√head_dim into the q columns', () => {
    const c = tinyConfig();
    const src = randomHfClip(c, 3);
    const w = loadClipWeights(src, c);
    const W = c.vision.width,
      scale = 1 / Math.sqrt(W / c.vision.heads);
    const f32 = (t: HostTensor | undefined) => t!.data as Float32Array;
    const q = f32(src.get('vision_model.encoder.layers.1.self_attn.q_proj.weight')); // [out, in]
    const v = f32(src.get('vision_model.encoder.layers.1.self_attn.v_proj.weight'));
    const fused = f32(w.tensors.get('vision.blocks.1.attn.qkv.weight')); // [in, 3·out]
    expect(fused[3 * (3 * W) + 2]).toBeCloseTo(q[2 * W + 3]! * scale, 6); // input 3 → q output 2
    expect(fused[3 * (3 * W) + 2 * W + 5]).toBe(v[5 * W + 3]); // input 3 → v output 5, unscaled
    const proj = f32(src.get('visual_projection.weight')); // [E, W]
    expect(f32(w.tensors.get('vision.proj'))[4 * c.embedDim + 1]).toBe(proj[1 * W + 4]);
  });

  it('loads one tower from just the tensors it names', async () => {
    const names = clipSourceNames(cfg, 'openai', ['vision']);
    const w = loadClipWeights(await loadSafetensors(await fs.openAsBlob(`${FIXTURE}/openai.safetensors`), names), cfg, {
      towers: ['vision'],
    });
    expect(w.tokenEmbedding).toBeNull();
    expect([...w.tensors.keys()].some((n) => n.startsWith('text.'))).toBe(false);
    expect(() => weightInput(new Graph(), w, 'text.proj')).toThrow(/'text\.proj' was not loaded \(load the text tower\)/);
  });

  it('says which tensors are wrong and why', async () => {
    const src = await load('model.safetensors');
    src.set('vision_model.encoder.layers.1.mlp.fc1.weight', hostTensor('float32', [192, 47]));
    expect(() => loadClipWeights(src, cfg)).toThrow(
      "tensor 'vision_model.encoder.layers.1.mlp.fc1.weight' has shape [192,47] but this config needs [192,48]: the weights and config.json are from different models",
    );
    src.set('vision_model.encoder.layers.1.mlp.fc1.weight', hostTensor('int32', [192, 48]));
    expect(() => loadClipWeights(src, cfg)).toThrow(/has dtype int32, expected a float type/);
    src.delete('vision_model.encoder.layers.1.mlp.fc1.weight');
    src.delete('text_projection.weight');
    expect(() => loadClipWeights(src, cfg)).toThrow(
      /2 tensor\(s\) this config needs are missing \('vision_model\.encoder\.layers\.1\.mlp\.fc1\.weight', 'text_projection\.weight'\)/,
    );
    const deeper = { ...cfg, vision: { ...cfg.vision, layers: 4 } };
    const fresh = await load('model.safetensors');
    expect(() => loadClipWeights(fresh, deeper)).toThrow(/'vision_model\.encoder\.layers\.3\./);
    expect(() => detectNaming(new Map([['foo.weight', 1]]))).toThrow(/not CLIP weights .*'foo\.weight'/);
  });

  it('declares each weight once per graph and feeds exactly those', () => {
    const c = tinyConfig();
    const w = loadClipWeights(randomHfClip(c, 1), c, { prefix: 'teacher' });
    const g = new Graph();
    const a = weightInput(g, w, 'vision.proj');
    expect(weightInput(g, w, 'vision.proj')).toBe(a);
    weightInput(g, w, 'logit_scale');
    expect(Object.keys(weightFeeds(g, w)).sort()).toEqual(['teacher.logit_scale', 'teacher.vision.proj']);
    expect(weightFeeds(g, w)['teacher.vision.proj']).toBe(w.tensors.get('vision.proj'));
  });
});
