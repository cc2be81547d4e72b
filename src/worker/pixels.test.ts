import { describe, expect, it } from 'vitest';
import { rgbImage } from '../engine/clip/image.ts';
import { MAX_STORED_PIXELS } from '../engine/data/import-settings.ts';
import { storedCopy, storedEdge } from './pixels.ts';

const image = (w: number, h: number) =>
  rgbImage(
    w,
    h,
    new Uint8Array(w * h * 3).map((_, i) => i % 251),
  );

describe('the copy kept of an imported image', () => {
  it('by default has its shorter side at most 256 px; full resolution keeps the image as decoded', () => {
    const img = image(600, 400);
    expect(storedCopy(img)).toMatchObject({ width: 384, height: 256 });
    const full = storedCopy(img, null);
    expect(full).toMatchObject({ width: 600, height: 400 });
    expect(full.rgb).toBe(img.data);
    expect(storedCopy(image(200, 120))).toMatchObject({ width: 200, height: 120 }); // smaller than 256: as it is
  });

  it('keeps a full-resolution copy within what IndexedDB stores in one value', () => {
    expect(storedEdge(4000, 3000, null)).toBe(3000); // 12 MP: as it is (36 MB)
    const edge = storedEdge(9000, 6000, null); // 54 MP: over the limit
    expect(edge).toBeLessThan(6000);
    expect(Math.trunc((edge * 9000) / 6000) * edge).toBeLessThanOrEqual(MAX_STORED_PIXELS);
    expect(Math.trunc(((edge + 2) * 9000) / 6000) * (edge + 2)).toBeGreaterThan(MAX_STORED_PIXELS);
    expect(storedEdge(9000, 6000, 256)).toBe(256);
    expect(MAX_STORED_PIXELS * 3).toBeLessThan(133169152); // Chromium's largest IndexedDB value
  });
});
