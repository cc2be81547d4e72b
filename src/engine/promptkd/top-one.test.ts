import { describe, expect, it } from 'vitest';
import { argmax, topOneAgreement } from './top-one.ts';

describe('top-1 classes', () => {
  it('argmax takes the first of equal values, and a NaN never wins', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([Number.NaN, 2, 5])).toBe(2);
    expect(argmax([4, Number.NaN, 1])).toBe(0);
  });

  it('topOneAgreement counts the rows whose top class is the same, and refuses rows that differ', () => {
    // rows' top classes: a = [1, 0, 2], b = [1, 2, 2]
    const a = Float32Array.of(0, 5, 1, 9, 0, 0, 0, 1, 2);
    const b = Float32Array.of(-1, 3, 2, 0, 1, 4, 1, 1, 8);
    expect(topOneAgreement(a, b, 3)).toBeCloseTo(2 / 3, 12);
    expect(topOneAgreement(a, a, 3)).toBe(1);
    expect(() => topOneAgreement(a.subarray(0, 6), a, 3)).toThrow('topOneAgreement: 6 and 9 logits are not the same rows of 3 classes');
  });
});
