import { describe, expect, it } from 'vitest';
import { maxRelError } from '../checks/compare.ts';
import { Graph, GraphError } from '../graph/graph.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import type { ClipConfig } from './config.ts';
import { randomData, randomHfClip, referenceImageEmbeds, tinyConfig, type RefPrompts } from './random-clip.testkit.ts';
import { buildVisionTower } from './vision.ts';
import { loadClipWeights, weightFeeds, type ClipWeights } from './weights.ts';

const rt = createNodeRuntime();

/** the vision tower on ORT-node: embeds [B, E] */
async function runVision(cfg: ClipConfig, w: ClipWeights, pixels: HostTensor, prompts?: RefPrompts): Promise<HostTensor> {
  const g = new Graph('vision-test');
  const { imageSize: S, width: W } = cfg.vision;
  const px = g.input('pixels', 'float32', [pixels.shape[0]!, 3, S, S]);
  const feeds: Record<string, HostTensor> = { pixels };
  let hooks: Parameters<typeof buildVisionTower>[4];
  if (prompts) {
    const n = prompts.nCtx;
    hooks = {
      shallow: g.input('vpt', 'float32', [n, W]),
      deep: prompts.deep.map((_, i) => g.input(`vpt_${i + 1}`, 'float32', [n, W])),
    };
    feeds.vpt = hostTensor('float32', [n, W], prompts.shallow);
    prompts.deep.forEach((d, i) => {
      feeds[`vpt_${i + 1}`] = hostTensor('float32', [n, W], d);
    });
  }
  const tower = buildVisionTower(g, cfg, w, px, hooks);
  g.output('embeds', tower.embeds);
  g.output('pooled', tower.pooled);
  const session = await rt.load(g);
  const out = await session.run({ ...feeds, ...weightFeeds(g, w) });
  expect(out.pooled!.shape).toEqual([pixels.shape[0], W]);
  return out.embeds!.read();
}

function setup(cfg: ClipConfig, B: number, seed: number) {
  const src = randomHfClip(cfg, seed);
  const S = cfg.vision.imageSize;
  const pixels = hostTensor('float32', [B, 3, S, S], randomData(B * 3 * S * S, seed + 1));
  return { src, w: loadClipWeights(src, cfg, { towers: ['vision'] }), pixels };
}

const prompts = (cfg: ClipConfig, nCtx: number, depth: number, seed: number): RefPrompts => ({
  nCtx,
  shallow: randomData(nCtx * cfg.vision.width, seed, 0.5),
  deep: Array.from({ length: depth }, (_, i) => randomData(nCtx * cfg.vision.width, seed + 1 + i, 0.5)),
});

const vsReference = (ours: HostTensor, ref: Float64Array) => maxRelError([[ours, hostTensor('float64', ours.shape, ref)]]);

describe('vision tower', () => {
  const cfg = tinyConfig({ image: 16, patch: 4, vw: 16, vl: 3, vh: 2, embed: 8 });
  const B = 3;

  it('matches the plain reference without prompts', async () => {
    const { src, w, pixels } = setup(cfg, B, 5);
    const err = vsReference(await runVision(cfg, w, pixels), referenceImageEmbeds(src, cfg, pixels.data as Float32Array, B));
    expect(err).toBeLessThan(1e-5);
  });

  it('matches the prompt insertion rule (shallow appended, deep replacing the last n_ctx tokens)', async () => {
    const { src, w, pixels } = setup(cfg, B, 7);
    for (const depth of [0, 1, 2]) {
      const p = prompts(cfg, 2, depth, 40 + depth);
      const ours = await runVision(cfg, w, pixels, p);
      expect(vsReference(ours, referenceImageEmbeds(src, cfg, pixels.data as Float32Array, B, p))).toBeLessThan(1e-5);
      // the prompts must change the result, or the comparison above proves nothing about them
      expect(vsReference(ours, referenceImageEmbeds(src, cfg, pixels.data as Float32Array, B))).toBeGreaterThan(1e-3);
      if (depth > 0) {
        const shallowOnly = { ...p, deep: [] };
        expect(vsReference(ours, referenceImageEmbeds(src, cfg, pixels.data as Float32Array, B, shallowOnly))).toBeGreaterThan(1e-3);
      }
    }
  });

  it('assumes nothing about 32-px geometry: 224 px, patch 16, 2 layers, with prompts', async () => {
    const geom = tinyConfig({ image: 224, patch: 16, vw: 32, vl: 2, vh: 2, embed: 8 });
    const { src, w, pixels } = setup(geom, 2, 11);
    const p = prompts(geom, 4, 1, 60);
    const ref = referenceImageEmbeds(src, geom, pixels.data as Float32Array, 2, p);
    expect(vsReference(await runVision(geom, w, pixels, p), ref)).toBeLessThan(1e-5);
  });

  it('rejects prompts of the wrong shape or too many deep prompts', () => {
    const { w } = setup(cfg, 1, 3);
    const g = new Graph();
    const px = g.input('px', 'float32', [1, 3, 16, 16]);
    const ok = g.input('p', 'float32', [2, 16]);
    expect(() => buildVisionTower(g, cfg, w, px, { shallow: g.input('bad', 'float32', [2, 15]) })).toThrow(/expected float32\[n_ctx,16\]/);
    expect(() => buildVisionTower(g, cfg, w, px, { shallow: ok, deep: [g.input('d', 'float32', [3, 16])] })).toThrow(
      /block 1 .*\[3,16\].*\[2,16\]/,
    );
    expect(() => buildVisionTower(g, cfg, w, px, { shallow: ok, deep: [ok, ok, ok] })).toThrow(/only blocks 1\.\.2/);
    expect(() => buildVisionTower(g, cfg, w, g.input('px2', 'float32', [1, 3, 32, 32]))).toThrow(GraphError);
  });
});
