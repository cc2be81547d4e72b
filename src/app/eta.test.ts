import { describe, expect, it } from 'vitest';
import { secondsLeft } from './eta.ts';

describe('secondsLeft', () => {
  it('extrapolates the pace since the start mark', () => {
    expect(secondsLeft({ t0: 0, step0: 10 }, 30, 110, 4000)).toBeCloseTo(16, 9); // 20 steps in 4 s, 80 to go
  });
  it('says nothing before the pace is known', () => {
    expect(secondsLeft(null, 5, 10, 1000)).toBeNull();
    expect(secondsLeft({ t0: 0, step0: 0 }, 2, 10, 5000)).toBeNull();
    expect(secondsLeft({ t0: 0, step0: 0 }, 50, 100, 500)).toBeNull();
  });
});
