import { describe, expect, it } from 'vitest';
import { cropImage, flipHorizontal, rgbImage, toRgb } from './image.ts';

// pixel (x, y) = [x, y, 10x + y]
const grid = (w: number, h: number) =>
  rgbImage(
    w,
    h,
    Uint8Array.from({ length: w * h * 3 }, (_, i) => {
      const p = Math.floor(i / 3),
        x = p % w,
        y = Math.floor(p / w);
      return [x, y, 10 * x + y][i % 3]!;
    }),
  );

describe('RgbImage helpers', () => {
  it('rgbImage checks the size and the byte count', () => {
    expect(() => rgbImage(0, 3)).toThrow(/positive integer size/);
    expect(() => rgbImage(2, 2, new Uint8Array(11))).toThrow(/needs 12 bytes, got 11/);
    expect(rgbImage(2, 2).data.length).toBe(12);
  });

  it('cropImage takes the given window', () => {
    const c = cropImage(grid(5, 4), 1, 2, 3, 2);
    expect([c.width, c.height]).toEqual([3, 2]);
    expect(Array.from(c.data.subarray(0, 3))).toEqual([1, 2, 12]);
    expect(Array.from(c.data.subarray(15, 18))).toEqual([3, 3, 33]);
    expect(() => cropImage(grid(5, 4), 3, 0, 3, 1)).toThrow(/does not fit in a 5×4 image/);
  });

  it('flipHorizontal mirrors each row and is its own inverse', () => {
    const g = grid(5, 3);
    const f = flipHorizontal(g);
    expect(Array.from(f.data.subarray(0, 3))).toEqual([4, 0, 40]);
    expect(Array.from(f.data.subarray(3 * 5, 3 * 6))).toEqual([4, 1, 41]);
    expect(flipHorizontal(f).data).toEqual(g.data);
  });

  it('toRgb makes RGB of grey, grey + alpha, RGB and RGBA pixels as PIL convert("RGB") does', () => {
    // 2×1 images: the same two pixels in each layout
    expect(Array.from(toRgb(2, 1, [7, 200], 1).data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(Array.from(toRgb(2, 1, [7, 0, 200, 255], 2).data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(Array.from(toRgb(2, 1, [1, 2, 3, 4, 5, 6], 3).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(toRgb(2, 1, [1, 2, 3, 0, 4, 5, 6, 128], 4).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => toRgb(2, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)).toThrow(
      'an image with 5 channels is not grey, RGB or RGBA; convert it to RGB first',
    );
    expect(() => toRgb(2, 2, [1, 2, 3], 3)).toThrow('a 2×2 image of 3 channels needs 12 bytes, got 3');
  });
});
