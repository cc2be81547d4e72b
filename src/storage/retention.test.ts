import { describe, expect, it } from 'vitest';
import { bestCheckpoint, retainedCheckpoints } from './retention.ts';

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

  it('takes the earliest of equal bests and ignores unevaluated ones', () => {
    expect(bestCheckpoint([e(50, 0.7), e(25, 0.7), e(75, null)])!.step).toBe(25);
    expect(bestCheckpoint([e(1), e(2)])).toBeNull();
    expect(retainedCheckpoints([e(1), e(2), e(3)], 1).map((c) => c.step)).toEqual([3]);
  });
});
