import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClipConfig } from '../clip/config.ts';
import { loadSafetensors } from '../clip/safetensors.ts';
import { loadClipWeights } from '../clip/weights.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { createZeroShotTeacher, zeroShotPrompt } from './zero-shot-teacher.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';

describe('zero-shot teacher', () => {
  it("gives transformers' logits_per_image in padded batches, with unit text features", async () => {
    const cfg = parseClipConfig(JSON.parse(fs.readFileSync(`${FIXTURE}/config.json`, 'utf8')));
    const w = loadClipWeights(await loadSafetensors(await fs.openAsBlob(`${FIXTURE}/model.safetensors`)), cfg);
    const io = await loadSafetensors(await fs.openAsBlob(`${FIXTURE}/io.safetensors`));
    const teacher = await createZeroShotTeacher(createNodeRuntime(), w, io.get('input_ids')!, 2); // 5 images → 3 chunks
    const ours = await teacher.imageLogits(io.get('pixel_values')!);
    const ref = io.get('logits_per_image')!.data as Float32Array;
    expect(ours.shape).toEqual([5, 6]);
    const scale = Math.max(...Array.from(ref, Math.abs));
    const err = Math.max(...Array.from(ours.data as Float32Array, (v, i) => Math.abs(v - ref[i]!))) / scale;
    expect(err).toBeLessThan(1e-4);
    const t = teacher.textFeatures.data as Float32Array, E = cfg.embedDim;
    for (let c = 0; c < 6; c++) expect(Math.hypot(...t.subarray(c * E, (c + 1) * E))).toBeCloseTo(1, 5);
    await teacher.release();
  });

  it('writes the class prompt the paper uses', () => {
    expect(zeroShotPrompt('sea_turtle')).toBe('a photo of a sea turtle.');
  });
});
