import { describe, expect, it } from 'vitest';
import { rng } from '../random.ts';
import { augmentView, randomResizedCropBox, renderView } from './augment.ts';
import { cropImage, flipHorizontal, rgbImage } from './image.ts';
import { resizeBicubic } from './resize.ts';

const noise = (w: number, h: number, seed: number) => {
  const r = rng(seed);
  return rgbImage(
    w,
    h,
    Uint8Array.from({ length: w * h * 3 }, () => r.int(256)),
  );
};

describe('randomResizedCropBox', () => {
  it('is deterministic for a seed', () => {
    const a = Array.from(
      { length: 50 },
      (
        (r) => () =>
          randomResizedCropBox(300, 200, r)
      )(rng(3)),
    );
    const b = Array.from(
      { length: 50 },
      (
        (r) => () =>
          randomResizedCropBox(300, 200, r)
      )(rng(3)),
    );
    expect(a).toEqual(b);
  });

  it('keeps boxes inside the image with area and aspect in range', () => {
    const r = rng(11);
    const bad: unknown[] = [];
    for (let i = 0; i < 5000; i++) {
      const b = randomResizedCropBox(640, 480, r);
      const inside = b.top >= 0 && b.left >= 0 && b.top + b.height <= 480 && b.left + b.width <= 640;
      const frac = (b.width * b.height) / (640 * 480);
      // rounding w and h to integers moves the ratio by at most ~1 px over the smaller side
      const slack = 1 / Math.min(b.width, b.height);
      const ratioOk = b.width / b.height > 3 / 4 - slack && b.width / b.height < 4 / 3 + slack;
      if (!inside || frac <= 0.079 || frac > 1 || !ratioOk) bad.push(b);
    }
    expect(bad).toEqual([]);
  });

  it('has the analytic mean area fraction on a large square image', () => {
    // s ~ U(0.08, 1) accepted with probability min(1, −ln s / ln(4/3)) per try, so
    // E[s] = (∫₀.₀₈^.₇₅ s ds + ∫.₇₅^1 −s ln s / ln(4/3) ds) / (0.67 + ∫.₇₅^1 −ln s / ln(4/3) ds) ≈ 0.4778
    const r = rng(5);
    const n = 20000;
    let sum = 0,
      logRatio = 0,
      fallbacks = 0;
    for (let i = 0; i < n; i++) {
      const b = randomResizedCropBox(1000, 1000, r);
      sum += (b.width * b.height) / 1e6;
      logRatio += Math.log(b.width / b.height);
      if (b.width === 1000 && b.height === 1000) fallbacks++;
    }
    expect(Math.abs(sum / n - 0.4778)).toBeLessThan(0.008); // ≈ 4 standard errors
    expect(Math.abs(logRatio / n)).toBeLessThan(0.005);
    expect(fallbacks).toBeLessThan(5);
  });

  it('falls back to the central crop when no try fits', () => {
    // any target area ≥ 8% of 1000×10 needs h ≥ 24 > 10
    expect(randomResizedCropBox(1000, 10, rng(1))).toEqual({ top: 0, left: 493, height: 10, width: 13 });
    expect(randomResizedCropBox(10, 1000, rng(1))).toEqual({ top: 493, left: 0, height: 13, width: 10 });
  });
});

describe('augmentView', () => {
  it('replays a view exactly from its description and from the seed', () => {
    const img = noise(120, 90, 1);
    const a = augmentView(img, rng(42), { size: 32 });
    const b = augmentView(img, rng(42), { size: 32 });
    expect(b).toEqual(a);
    expect([a.image.width, a.image.height]).toEqual([32, 32]);
    expect(renderView(img, a.view, 32).data).toEqual(a.image.data);
    const plain = resizeBicubic(cropImage(img, a.view.left, a.view.top, a.view.width, a.view.height), 32, 32);
    expect(a.image.data).toEqual(a.view.flipped ? flipHorizontal(plain).data : plain.data);
  });

  it('flips about half the time, and never or always at p = 0 or 1', () => {
    const img = noise(40, 30, 2);
    const r = rng(9);
    let flips = 0;
    for (let i = 0; i < 2000; i++) if (augmentView(img, r, { size: 8 }).view.flipped) flips++;
    expect(Math.abs(flips - 1000)).toBeLessThan(100); // sd ≈ 22
    expect(augmentView(img, r, { size: 8, flipProbability: 0 }).view.flipped).toBe(false);
    expect(augmentView(img, r, { size: 8, flipProbability: 1 }).view.flipped).toBe(true);
  });
});
