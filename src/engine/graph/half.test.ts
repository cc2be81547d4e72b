import { describe, expect, it } from 'vitest';
import { float32ToHalf, halfToFloat32, toHalfBits } from './half.ts';

describe('binary16', () => {
  it('round-trips every half value (NaNs stay NaN)', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = float32ToHalf(halfToFloat32(all));
    for (let i = 0; i < 65536; i++) {
      const isNaNBits = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (isNaNBits) expect(Number.isNaN(halfToFloat32(Uint16Array.of(back[i]!))[0])).toBe(true);
      else expect(back[i], `0x${i.toString(16)}`).toBe(i);
    }
  });

  it('rounds to nearest, ties to even, as IEEE 754 does', () => {
    const h = (x: number) => halfToFloat32(Uint16Array.of(toHalfBits(x)))[0];
    // halves near 1 are 2^-10 apart: 1 + 2^-11 is a tie between 1 (even) and 1 + 2^-10 (odd)
    expect(h(1 + 2 ** -11)).toBe(1);
    expect(h(1 + 3 * 2 ** -11)).toBe(1 + 2 * 2 ** -10); // tie between odd 1+2^-10 and even 1+2·2^-10
    expect(h(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10); // above the tie
    expect(h(0.1)).toBeCloseTo(0.0999755859375, 12);
    expect(h(65504)).toBe(65504);
    expect(h(65520)).toBe(Infinity); // rounds up past the largest half
    expect(h(-1e9)).toBe(-Infinity);
    expect(h(2 ** -24)).toBe(2 ** -24); // smallest subnormal
    expect(h(2 ** -25)).toBe(0); // a tie with zero: even
    expect(h(3 * 2 ** -26)).toBe(2 ** -24);
    expect(h(2 ** -14 - 2 ** -25)).toBe(2 ** -14); // the largest subnormal rounds up into the normals
    expect(Object.is(h(-0), -0)).toBe(true);
  });
});
