// The live chart's data, outside React: metrics are appended as the worker reports them, and the
// chart asks for a bounded view once per animation frame. Tens of thousands of steps stay cheap:
// columns grow by doubling, smoothing extends incrementally, and the view keeps at most `maxPoints`
// points per series (per bucket the lowest and highest raw loss, so spikes stay visible).
import type { EvalProtocol } from '../engine/surface.ts';
import type { MetricPoint } from '../worker/protocol.ts';

/** Growable float columns sharing one length (row = one x and its values). */
export class Columns {
  private data: Float64Array[];
  length = 0;

  constructor(
    readonly width: number,
    capacity = 256,
  ) {
    this.data = Array.from({ length: width }, () => new Float64Array(capacity));
  }

  push(...row: number[]): void {
    if (row.length !== this.width) throw new Error(`Columns.push: expected ${this.width} values, got ${row.length}`);
    if (this.length === this.data[0]!.length) {
      this.data = this.data.map((c) => {
        const bigger = new Float64Array(c.length * 2);
        bigger.set(c);
        return bigger;
      });
    }
    row.forEach((v, i) => {
      this.data[i]![this.length] = v;
    });
    this.length++;
  }

  /** column i, a view of the first `length` values (valid until the next push) */
  col(i: number): Float64Array {
    return this.data[i]!.subarray(0, this.length);
  }

  /** keep the first n rows */
  truncate(n: number): void {
    this.length = Math.max(0, Math.min(this.length, n));
  }
}

/**
 * TensorBoard's debiased exponential moving average: weight 0 is the raw series, 0.99 very smooth.
 * Continues `out` from index `from` (earlier values must be the smoothing of the same prefix).
 */
export function smoothInto(
  y: ArrayLike<number>,
  weight: number,
  out: Float64Array,
  from = 0,
  state = { last: 0, n: 0 },
): { last: number; n: number } {
  let { last, n } = state;
  for (let i = from; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = weight === 0 ? v : last / (1 - weight ** n);
  }
  return { last, n };
}

/** Indices to draw when `y` has more than maxPoints values: per bucket, its lowest and highest, in order. */
export function minMaxIndices(y: ArrayLike<number>, maxPoints: number): number[] {
  const n = y.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets),
      end = Math.floor(((b + 1) * n) / buckets);
    let lo = start,
      hi = start;
    for (let i = start + 1; i < end; i++) {
      if (y[i]! < y[lo]!) lo = i;
      if (y[i]! > y[hi]!) hi = i;
    }
    if (lo === hi) out.push(lo);
    else out.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  // the newest point is always shown, so the line ends where the numbers say
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/**
 * Positions (y, downwards) for labels wanted at `ys`, each at least `gap` below the one above it:
 * labels already far enough apart stay where they were, in their own order.
 */
export function spreadLabels(ys: readonly number[], gap: number): number[] {
  const out = [...ys];
  const order = ys.map((_, i) => i).sort((a, b) => ys[a]! - ys[b]!);
  for (let k = 1; k < order.length; k++) {
    const above = out[order[k - 1]!]!,
      i = order[k]!;
    if (out[i]! < above + gap) out[i] = above + gap;
  }
  return out;
}

export interface Reference {
  base: number | null;
  new: number | null;
  hm: number | null;
}

/** uPlot's aligned data: x first, then one array per series (null = no value). */
export type Aligned = [number[], ...(number | null)[][]];

export class RunChartData {
  /** step, loss */
  readonly loss = new Columns(2);
  /** step, base, new, hm (fractions; NaN where a subset had no test image) */
  readonly evals = new Columns(4);
  teacher: Reference | null = null;
  studentZeroShot: Reference | null = null;
  /** a cross-dataset run scores one accuracy over all classes (an evaluation's `base`): one line, no new or HM */
  allClasses = false;
  /** bumps on every change; the chart redraws when it differs from what it drew */
  version = 0;

  private smoothed = new Float64Array(0);
  private smoothState = { last: 0, n: 0 };
  private smoothedUpTo = 0;
  private smoothWeight = -1;

  addStep(step: number, loss: number): void {
    this.loss.push(step, loss);
    this.version++;
  }

  addEval(step: number, base: number | null, nw: number | null, hm: number | null): void {
    this.evals.push(step, base ?? NaN, nw ?? NaN, hm ?? NaN);
    this.version++;
  }

  /** a run's stored history: loss of every step, base/new/HM where it was evaluated */
  load(history: readonly MetricPoint[]): void {
    for (const p of history) {
      if (p.loss !== undefined) this.loss.push(p.step, p.loss);
      if (p.base !== undefined || p.new !== undefined || p.hm !== undefined)
        this.evals.push(p.step, p.base ?? NaN, p.new ?? NaN, p.hm ?? NaN);
    }
    this.version++;
  }

  setProtocol(protocol: EvalProtocol): void {
    this.allClasses = protocol === 'cross-dataset';
    this.version++;
  }

  setReferences(teacher: Reference | null, studentZeroShot: Reference | null): void {
    this.teacher = teacher;
    this.studentZeroShot = studentZeroShot;
    this.version++;
  }

  /** A resumed run continues from a checkpoint: points after its step belong to a trajectory that is gone. */
  truncateAfter(step: number): void {
    const keep = (c: Columns) => {
      const xs = c.col(0);
      let n = xs.length;
      while (n > 0 && xs[n - 1]! > step) n--;
      c.truncate(n);
    };
    keep(this.loss);
    keep(this.evals);
    this.resetSmoothing();
    this.version++;
  }

  clear(): void {
    this.loss.truncate(0);
    this.evals.truncate(0);
    this.teacher = this.studentZeroShot = null;
    this.resetSmoothing();
    this.version++;
  }

  /** [step, raw loss, smoothed loss], at most maxPoints rows */
  lossView(smoothing: number, maxPoints = 3000): Aligned {
    const x = this.loss.col(0),
      y = this.loss.col(1);
    const s = this.smoothedLoss(smoothing);
    const idx = minMaxIndices(y, maxPoints);
    return [idx.map((i) => x[i]!), idx.map((i) => y[i]!), idx.map((i) => s[i]!)];
  }

  /**
   * [step, base, new, hm, teacher hm, zero-shot student hm] in percent; for a cross-dataset run
   * [step, accuracy, teacher accuracy, zero-shot student accuracy]
   */
  accuracyView(): Aligned {
    const [x, b, n, h] = [0, 1, 2, 3].map((i) => Array.from(this.evals.col(i)));
    // a step without an evaluation is a gap in the line
    const plotted = (v: number) => (Number.isNaN(v) ? null : 100 * v);
    const key = this.allClasses ? 'base' : 'hm';
    const ref = (r: Reference | null) => x!.map(() => (r?.[key] == null ? null : 100 * r[key]));
    if (this.allClasses) return [x!, b!.map(plotted), ref(this.teacher), ref(this.studentZeroShot)];
    return [x!, b!.map(plotted), n!.map(plotted), h!.map(plotted), ref(this.teacher), ref(this.studentZeroShot)];
  }

  private smoothedLoss(weight: number): Float64Array {
    const y = this.loss.col(1);
    if (weight !== this.smoothWeight || this.smoothedUpTo > y.length) this.resetSmoothing(weight);
    if (this.smoothed.length < y.length) {
      const bigger = new Float64Array(Math.max(256, y.length * 2));
      bigger.set(this.smoothed.subarray(0, this.smoothedUpTo));
      this.smoothed = bigger;
    }
    this.smoothState = smoothInto(y, weight, this.smoothed, this.smoothedUpTo, this.smoothState);
    this.smoothedUpTo = y.length;
    return this.smoothed;
  }

  private resetSmoothing(weight = this.smoothWeight): void {
    this.smoothWeight = weight;
    this.smoothState = { last: 0, n: 0 };
    this.smoothedUpTo = 0;
  }
}
