import { describe, expect, it } from 'vitest';
import { PAPER_SCHEDULE, lrAtEpoch } from './schedule.ts';

describe('lrAtEpoch', () => {
  it('matches the Dassl values PromptKD trains with', () => {
    expect(lrAtEpoch(0, PAPER_SCHEDULE)).toBe(1e-5);
    expect(lrAtEpoch(1, PAPER_SCHEDULE)).toBeCloseTo(0.005, 15);
    expect(lrAtEpoch(11, PAPER_SCHEDULE)).toBeCloseTo(0.0025, 15);
    // cos(18π/20) ≈ −0.951: the last epoch is small but not zero
    expect(lrAtEpoch(19, PAPER_SCHEDULE)).toBeCloseTo(0.0025 * (1 + Math.cos((18 * Math.PI) / 20)), 15);
    expect(lrAtEpoch(19, PAPER_SCHEDULE)).toBeGreaterThan(1e-4);
  });

  it('decreases monotonically after the warm-up and follows max_epoch', () => {
    const s = { ...PAPER_SCHEDULE, lr: 0.01, maxEpoch: 5 };
    const lrs = [1, 2, 3, 4, 5].map((e) => lrAtEpoch(e, s));
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]!).toBeLessThan(lrs[i - 1]!);
    expect(lrAtEpoch(3, s)).toBeCloseTo(0.005 * (1 + Math.cos((2 * Math.PI) / 5)), 15);
  });

  it('rejects a fractional or negative epoch', () => {
    expect(() => lrAtEpoch(-1, PAPER_SCHEDULE)).toThrow(/non-negative integer/);
    expect(() => lrAtEpoch(1.5, PAPER_SCHEDULE)).toThrow(/non-negative integer/);
  });
});
