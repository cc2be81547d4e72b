import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clipChecks, CLIP_TOLERANCE } from './clip.ts';
import { maxRelError, passed } from './compare.ts';
import { preprocessChecks } from './preprocess.ts';
import { hostTensor } from '../graph/tensor.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { dirFixtureSource } from './fixture-source-node.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const rt = createNodeRuntime();
const at = (dir: string) => dirFixtureSource(dir);

describe('clip fixture checks', () => {
  it('match transformers on the repo fixture within 1e-4, under both namings', async () => {
    const checks = await clipChecks(at(FIXTURE), rt);
    expect(checks.map((c) => c.name).sort()).toEqual([
      'clip.image_embeds.hf',
      'clip.image_embeds.openai',
      'clip.logits_per_image.hf',
      'clip.logits_per_image.openai',
      'clip.text_embeds.hf',
      'clip.text_embeds.openai',
    ]);
    for (const c of checks) {
      expect(c.tolerance).toBe(CLIP_TOLERANCE);
      expect(c.maxRelError, c.name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('run on what a directory has: no openai file, or no fixture data at all', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clip-fixture-'));
    try {
      expect(await clipChecks(at(dir), rt)).toEqual([]);
      expect(await preprocessChecks(at(dir))).toEqual([]);
      for (const f of ['config.json', 'io.safetensors', 'model.safetensors']) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
      const checks = await clipChecks(at(dir), rt);
      expect(checks.map((c) => c.name)).toEqual(['clip.image_embeds.hf', 'clip.text_embeds.hf', 'clip.logits_per_image.hf']);
      expect(checks.every(passed)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('preprocessing matches CLIPImageProcessor on the fixture image', async () => {
    const [check] = await preprocessChecks(at(FIXTURE));
    expect(check!.name).toBe('preprocess.pixel_values');
    expect(check!.maxRelError).toBeLessThanOrEqual(check!.tolerance);
  });
});

describe('maxRelError', () => {
  it('scales by the largest reference value over all tensors of the kind, and fails on NaN', () => {
    const t = (...v: number[]) => hostTensor('float32', [v.length], Float32Array.from(v));
    expect(
      maxRelError([
        [t(1, 2), t(1, 2.5)],
        [t(0), t(-10)],
      ]),
    ).toBeCloseTo(10 / 10, 6);
    expect(maxRelError([[t(1.5, 2), t(1, 2)]])).toBeCloseTo(0.25, 6);
    expect(passed({ name: 'x', maxRelError: maxRelError([[t(NaN), t(1)]]), tolerance: 1 })).toBe(false);
    expect(() => maxRelError([[t(1, 2), t(1)]], 'logits')).toThrow(/logits: ours has shape \[2\], the reference \[1\]/);
  });
});
