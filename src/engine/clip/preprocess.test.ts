import { describe, expect, it } from 'vitest';
import { existsSync, openAsBlob, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from './decode-node.ts';
import { rgbImage } from './image.ts';
import { CLIP_MEAN, CLIP_STD, centerCrop, clipPreprocess, normalizeToChw, resizeShortestEdge, stackImages } from './preprocess.ts';
import { loadSafetensors } from './safetensors.ts';

const FIXTURES = 'test-data/fixtures';
const preprocessDirs = readdirSync(FIXTURES)
  .map((f) => join(FIXTURES, f, 'preprocess'))
  .filter((d) => existsSync(d));

describe('clipPreprocess against CLIPImageProcessor fixtures', () => {
  it('has at least one fixture to check', () => expect(preprocessDirs.length).toBeGreaterThan(0));

  it.each(preprocessDirs)('%s: pixel_values reproduced exactly', async (dir) => {
    const expected = (await loadSafetensors(await openAsBlob(join(dir, 'expected.safetensors')), ['pixel_values'])).get('pixel_values')!;
    const [, channels, cropH, cropW] = expected.shape; // [1, 3, crop, crop]
    expect(channels).toBe(3);
    expect(cropH).toBe(cropW);
    // the fixtures use shortest_edge = crop size
    const ours = clipPreprocess(decodeImage(readFileSync(join(dir, 'image.png')), 'image.png'), { size: cropH!, crop: cropH! });
    expect(ours.shape).toEqual([3, cropH, cropW]);
    const plane = cropH! * cropW!;
    let maxNormalized = 0,
      max255 = 0;
    for (let i = 0; i < ours.data.length; i++) {
      const d = Math.abs((ours.data[i] as number) - (expected.data[i] as number));
      maxNormalized = Math.max(maxNormalized, d);
      max255 = Math.max(max255, d * CLIP_STD[Math.floor(i / plane)]! * 255);
    }
    console.info(`${dir}: max |ours − HF| = ${maxNormalized} normalized, ${max255} in /255 units`);
    expect(maxNormalized).toBe(0);
  });
});

describe('preprocessing steps', () => {
  it('resizeShortestEdge keeps the aspect ratio with int(size·long/short)', () => {
    const wide = resizeShortestEdge(rgbImage(57, 41), 224);
    expect([wide.width, wide.height]).toEqual([311, 224]);
    const tall = resizeShortestEdge(rgbImage(41, 57), 32);
    expect([tall.width, tall.height]).toEqual([32, 44]);
  });

  it('centerCrop uses floor((in − out) / 2) offsets', () => {
    // pixel x holds value x in every channel
    const img = rgbImage(
      311,
      2,
      Uint8Array.from({ length: 311 * 2 * 3 }, (_, i) => (Math.floor(i / 3) % 311) % 256),
    );
    const c = centerCrop(img, 224, 2);
    expect(c.data[0]).toBe(43); // (311 − 224) / 2 = 43.5 → 43
    expect(() => centerCrop(img, 400, 2)).toThrow(/larger than the 311×2 image/);
  });

  it('normalizeToChw writes channel planes with CLIP mean and std', () => {
    const t = normalizeToChw(rgbImage(2, 1, Uint8Array.from([0, 128, 255, 255, 0, 10])));
    expect(t.shape).toEqual([3, 1, 2]);
    const want = [0, 255, 128, 0, 255, 10].map((v, i) => (v / 255 - CLIP_MEAN[Math.floor(i / 2)]!) / CLIP_STD[Math.floor(i / 2)]!);
    for (let i = 0; i < 6; i++) expect(t.data[i]).toBeCloseTo(want[i]!, 5);
  });

  it('stackImages batches [3, h, w] into [n, 3, h, w]', () => {
    const a = normalizeToChw(rgbImage(2, 2)),
      b = normalizeToChw(rgbImage(2, 2, new Uint8Array(12).fill(255)));
    const s = stackImages([a, b]);
    expect(s.shape).toEqual([2, 3, 2, 2]);
    expect(s.data.subarray(12)).toEqual(b.data);
    expect(() => stackImages([a, normalizeToChw(rgbImage(3, 2))])).toThrow(/image 1 is float32 \[3,2,3\]/);
  });
});
