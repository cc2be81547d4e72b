import { describe, expect, it } from 'vitest';
import { formatSeedsTable, seedStatistics, type SeedRow } from './promptkd-seeds.ts';

const row = (seed: number, scores: SeedRow['scores']): SeedRow => ({ seed, out: `/runs/seed${seed}`, scores });

describe('seeds', () => {
  it('averages each column over the seeds, with the sample standard deviation', () => {
    const rows = [
      row(1, { base: 0.8, new: 0.6, hm: 0.6857 }),
      row(2, { base: 0.9, new: 0.7, hm: 0.7875 }),
      row(3, { base: 0.7, new: 0.8, hm: 0.7467 }),
    ];
    const s = seedStatistics('base2new', rows);
    expect(s.metrics).toEqual(['base', 'new', 'hm']);
    expect(s.mean.base).toBeCloseTo(0.8, 12);
    expect(s.std.base).toBeCloseTo(0.1, 12); // deviations ±0.1, 0 over n − 1 = 2
    expect(s.std.new).toBeCloseTo(0.1, 12);
    expect(s.hmOfMeans).toBeCloseTo((2 * 0.8 * 0.7) / 1.5, 12);
    const table = formatSeedsTable({ ...s, runs: rows }).split('\n');
    expect(table[0]).toMatch(/^seed\s+base\s+new\s+HM$/);
    expect(table[2]).toMatch(/^2\s+90\.00%\s+70\.00%\s+78\.75%$/);
    expect(table[4]).toMatch(/^mean ± std\s+80\.00 ± 10\.00%\s+70\.00 ± 10\.00%\s+74\.00 ± 5\.12%$/);
    expect(table[5]).toBe('HM of the mean base and mean new: 74.67%');
  });

  it('cross-dataset has one accuracy column; one seed has no spread; a missing score leaves its column n/a', () => {
    const one = seedStatistics('cross-dataset', [row(5, { accuracy: 0.5 })]);
    expect(one).toEqual({ metrics: ['accuracy'], mean: { accuracy: 0.5 }, std: { accuracy: null } });
    expect(formatSeedsTable({ ...one, runs: [row(5, { accuracy: 0.5 })] }).split('\n')[2]).toMatch(/^mean ± std\s+50\.00%$/);
    const gap = seedStatistics('base2new', [row(1, { base: 0.5, new: null, hm: null }), row(2, { base: 0.7, new: 0.4, hm: 0.5 })]);
    expect(gap.mean).toEqual({ base: 0.6, new: null, hm: null });
    expect(gap.hmOfMeans).toBeNull();
  });
});
