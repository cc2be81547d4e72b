import { describe, expect, it } from 'vitest';
import { retainedCheckpoints } from './retention.ts';

const e = (step: number, base: number | null = null) => ({ step, base });

describe('retainedCheckpoints', () => {
  it('keeps the last K by step', () => {
    expect(retainedCheckpoints([e(50), e(0), e(25), e(75), e(100)], 3).map((c) => c.step)).toEqual([50, 75, 100]);
  });

  it('keeps the best on base as well when it is older than the last K', () => {
    const list = [e(0, 0.1), e(25, 0.9), e(50, 0.5), e(75, 0.6), e(100, null)];
    expect(retainedCheckpoints(list, 2).map((c) => c.step)).toEqual([25, 75, 100]);
    // the best among the last K adds nothing
    expect(retainedCheckpoints(list, 4).map((c) => c.step)).toEqual([25, 50, 75, 100]);
  });

  it('keeps only the last when none was evaluated, and never the untrained student as the best', () => {
    expect(retainedCheckpoints([e(1), e(2), e(3)], 1).map((c) => c.step)).toEqual([3]);
    expect(retainedCheckpoints([e(0, 0.9), e(25, 0.5), e(50, 0.6)], 1).map((c) => c.step)).toEqual([50]);
  });
});
