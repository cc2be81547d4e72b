import { describe, expect, it } from 'vitest';
import { rng } from './random.ts';

describe('rng', () => {
  it('replays the same sequence from the same seed and differs across seeds', () => {
    const a = rng(42),
      b = rng(42),
      c = rng(43);
    const sa = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(sa);
  });

  it('next, uniform and int stay in range with the right mean', () => {
    const r = rng(1);
    let sum = 0,
      usum = 0,
      outOfRange = 0;
    const counts = new Array<number>(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      const u = r.uniform(-3, 5);
      if (!(x >= 0 && x < 1) || !(u >= -3 && u < 5)) outOfRange++;
      sum += x;
      usum += u;
      counts[r.int(7)]!++;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(usum / n - 1)).toBeLessThan(0.05);
    // each bucket expects 10 000 with sd ≈ 93
    for (const k of counts) expect(Math.abs(k - n / 7)).toBeLessThan(500);
    expect(() => r.int(0)).toThrow(/positive integer/);
  });

  it('normal has mean 0 and variance 1', () => {
    const r = rng(7);
    const n = 50_000;
    let s = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Number.isFinite(s2)).toBe(true);
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('shuffle permutes in place, deterministically', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const a = rng(5).shuffle([...xs]);
    expect(rng(5).shuffle([...xs])).toEqual(a);
    expect([...a].sort((p, q) => p - q)).toEqual(xs);
    expect(a).not.toEqual(xs);
    const arr = [1, 2, 3];
    expect(rng(0).shuffle(arr)).toBe(arr);
  });
});
