import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadPixels } from './promptkd-images.ts';

describe('loadPixels', () => {
  it('replays an augmented view from its seed and shows the same crop at every size', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-img-'));
    const png = new PNG({ width: 64, height: 48 });
    // a horizontal ramp: a view's mean brightness says where its crop lies
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 64; x++) {
        const i = (y * 64 + x) * 4;
        png.data[i] = png.data[i + 1] = png.data[i + 2] = x * 4;
        png.data[i + 3] = 255;
      }
    fs.writeFileSync(path.join(dir, 'ramp.png'), PNG.sync.write(png));
    const views = [
      { file: 'ramp.png', augmentSeed: 7 },
      { file: 'ramp.png', augmentSeed: 7 },
      { file: 'ramp.png', augmentSeed: 8 },
      { file: 'ramp.png', augmentSeed: null },
    ];
    const small = await loadPixels(dir, views, 16),
      large = await loadPixels(dir, views, 32);
    expect(small.shape).toEqual([4, 3, 16, 16]);
    const row = (t: typeof small, i: number) => (t.data as Float32Array).subarray((i * t.data.length) / 4, ((i + 1) * t.data.length) / 4);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(row(small, 0)).toEqual(row(small, 1));
    expect(row(small, 0)).not.toEqual(row(small, 2));
    // the same crop box at both sizes (the centre view's box is rounded per size, as CLIP's test transform does)
    for (const i of [0, 2]) expect(mean(row(small, i))).toBeCloseTo(mean(row(large, i)), 5);
    expect(mean(row(small, 0))).not.toBeCloseTo(mean(row(small, 2)), 2);
    fs.rmSync(dir, { recursive: true });
  });
});
