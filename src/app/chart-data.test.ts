import { describe, expect, it } from 'vitest';
import { Columns, minMaxIndices, RunChartData, smoothInto, spreadLabels } from './chart-data.ts';

describe('Columns', () => {
  it('grows past its capacity and keeps every row', () => {
    const c = new Columns(2, 4);
    for (let i = 0; i < 1000; i++) c.push(i, i * i);
    expect(c.length).toBe(1000);
    expect(c.col(1)[999]).toBe(999 * 999);
    expect(c.col(0)).toHaveLength(1000);
    expect(() => c.push(1)).toThrow(/expected 2 values, got 1/);
  });
});

describe('smoothInto', () => {
  it('is the debiased EMA: the first value is kept, a constant stays constant', () => {
    const out = new Float64Array(3);
    smoothInto([5, 5, 5], 0.9, out);
    expect(Array.from(out)).toEqual([5, 5, 5].map((v) => expect.closeTo(v, 12)));
    smoothInto([2, 4], 0.5, out);
    // last: 1, then 0.5+2=2.5; debias 1-0.5, 1-0.25
    expect(out[0]).toBeCloseTo(2, 12);
    expect(out[1]).toBeCloseTo(2.5 / 0.75, 12);
  });

  it('continues from a saved state exactly as a full pass would', () => {
    const y = Array.from({ length: 50 }, (_, i) => Math.sin(i) + i / 10);
    const full = new Float64Array(50),
      parts = new Float64Array(50);
    smoothInto(y, 0.8, full);
    const st = smoothInto(y.slice(0, 20), 0.8, parts);
    smoothInto(y, 0.8, parts, 20, st);
    expect(Array.from(parts)).toEqual(Array.from(full));
  });
});

describe('minMaxIndices', () => {
  it('keeps everything below the limit', () => {
    expect(minMaxIndices([3, 1, 2], 10)).toEqual([0, 1, 2]);
  });

  it('keeps a lone spike, the last point, and stays near the limit', () => {
    const y = Array.from({ length: 100_000 }, () => 1);
    y[54_321] = 50;
    const idx = minMaxIndices(y, 1000);
    expect(idx.length).toBeLessThanOrEqual(1001);
    expect(idx).toContain(54_321);
    expect(idx.at(-1)).toBe(99_999);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
  });
});

describe('RunChartData', () => {
  it('gives a bounded loss view with raw and smoothed values on the same steps', () => {
    const d = new RunChartData();
    for (let s = 0; s < 20_000; s++) d.addStep(s, 2 + Math.cos(s));
    const [x, raw, smooth] = d.lossView(0.9, 2000);
    expect(x.length).toBeLessThanOrEqual(2001);
    expect(raw).toHaveLength(x.length);
    expect(smooth).toHaveLength(x.length);
    expect(x.at(-1)).toBe(19_999);
    // past its start, the smoothed line is much flatter than the raw one
    const spread = (a: (number | null)[]) => {
      const late = (a as number[]).slice(a.length / 2);
      return Math.max(...late) - Math.min(...late);
    };
    expect(spread(smooth)).toBeLessThan(spread(raw) / 2);
  });

  it('smooths incrementally as points arrive, and recomputes when the weight changes', () => {
    const d = new RunChartData(),
      e = new RunChartData();
    for (let s = 0; s < 300; s++) {
      d.addStep(s, Math.sin(s));
      e.addStep(s, Math.sin(s));
      if (s % 37 === 0) d.lossView(0.6);
    }
    expect(d.lossView(0.6)).toEqual(e.lossView(0.6));
    d.lossView(0.2);
    expect(d.lossView(0.6)).toEqual(e.lossView(0.6));
  });

  it('gives accuracy in percent with reference lines; missing values are gaps', () => {
    const d = new RunChartData();
    d.setReferences({ base: 0.9, new: 0.8, hm: 0.85 }, { base: 0.6, new: 0.4, hm: 0.48 });
    d.addEval(10, 0.5, 0.25, 1 / 3);
    d.addEval(20, 0.7, null, null);
    expect(d.accuracyView()).toEqual([
      [10, 20],
      [50, 70],
      [25, null],
      [expect.closeTo(33.333, 2), null],
      [85, 85],
      [48, 48],
    ]);
  });

  it('loads a stored history', () => {
    const d = new RunChartData();
    d.load([
      { step: 1, loss: 3 },
      { step: 2, loss: 2, base: 0.5, new: null, hm: null },
      { step: 3, loss: 1 },
    ]);
    expect(Array.from(d.loss.col(1))).toEqual([3, 2, 1]);
    expect(d.accuracyView().slice(0, 4)).toEqual([[2], [50], [null], [null]]);
  });

  it('drops points after the checkpoint a run resumes from', () => {
    const d = new RunChartData();
    for (let s = 0; s < 50; s++) d.addStep(s, s);
    d.addEval(20, 0.1, 0.1, 0.1);
    d.addEval(40, 0.2, 0.2, 0.2);
    const v = d.version;
    d.truncateAfter(30);
    expect(d.version).toBeGreaterThan(v);
    expect(d.loss.length).toBe(31);
    expect(d.evals.col(0)).toEqual(new Float64Array([20]));
    d.addStep(31, 1);
    expect(d.lossView(0)[1].at(-1)).toBe(1);
  });
});

describe('spreadLabels', () => {
  it('leaves labels that are far enough apart where they are', () => {
    expect(spreadLabels([100, 40], 20)).toEqual([100, 40]);
    expect(spreadLabels([], 20)).toEqual([]);
  });

  it('moves the lower of two close labels down to the gap, whatever their order', () => {
    expect(spreadLabels([50, 45], 20)).toEqual([65, 45]);
    expect(spreadLabels([45, 50, 52], 20)).toEqual([45, 65, 85]);
  });
});
