import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rgbImage, type RgbImage } from './image.ts';
import { resizeBicubic } from './resize.ts';

interface PilCase {
  width: number;
  height: number;
  seed: number;
  outWidth: number;
  outHeight: number;
  sha256: string;
  first: number[];
}
const pil = JSON.parse(readFileSync('test-data/pil-resize/cases.json', 'utf8')) as { pillow: string; cases: PilCase[] };

/** The same image make_cases.py builds: LCG noise, with a gradient over the left half. */
function lcgImage(w: number, h: number, seed: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    data[i] = (s >>> 16) & 255;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < Math.floor(w / 2); x++) {
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (x * 7 + y * 3 + c * 60) % 256;
    }
  }
  return rgbImage(w, h, data);
}

describe('resizeBicubic', () => {
  it.each(pil.cases.map((c) => [`${c.width}×${c.height} → ${c.outWidth}×${c.outHeight}`, c] as const))(
    'matches Pillow byte for byte: %s',
    (_, c) => {
      const out = resizeBicubic(lcgImage(c.width, c.height, c.seed), c.outWidth, c.outHeight);
      expect([out.width, out.height]).toEqual([c.outWidth, c.outHeight]);
      expect(Array.from(out.data.subarray(0, 12))).toEqual(c.first);
      expect(createHash('sha256').update(out.data).digest('hex')).toBe(c.sha256);
    },
  );

  it('keeps a constant image constant at any scale', () => {
    const img = rgbImage(
      37,
      23,
      new Uint8Array(37 * 23 * 3).map((_, i) => [255, 0, 128][i % 3]!),
    );
    for (const [w, h] of [
      [5, 3],
      [100, 80],
      [37, 9],
    ] as const) {
      const out = resizeBicubic(img, w, h);
      for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBe([255, 0, 128][i % 3]);
    }
  });

  it('returns a copy when the size is unchanged, and rejects bad sizes', () => {
    const img = lcgImage(4, 3, 1);
    const same = resizeBicubic(img, 4, 3);
    expect(same.data).toEqual(img.data);
    expect(same.data).not.toBe(img.data);
    expect(() => resizeBicubic(img, 0, 3)).toThrow(/positive integer size/);
    expect(() => resizeBicubic(img, 2.5, 3)).toThrow(/positive integer size/);
  });
});
