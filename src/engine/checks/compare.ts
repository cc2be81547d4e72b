// The fixtures' error metric (docs/correctness.md): max|ours − ref| / max(max|ref| over all tensors of
// that kind, 1e-12). Relative to the largest reference value, so tiny entries near zero do not
// dominate, and one scale for every tensor of a kind (every step, every parameter).
import { fmtShape } from '../graph/graph.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { FixtureError, type FixtureSource } from './fixture-files.ts';

/** One line of the report: `PASS|FAIL name error`. */
export interface Check {
  readonly name: string;
  readonly maxRelError: number;
  readonly tolerance: number;
}

/** NaN errors fail: a NaN is never ≤ the tolerance. */
export const passed = (c: Check): boolean => c.maxRelError <= c.tolerance;

/** A group of checks over one fixture; returns [] when the fixture has no data for it. */
export type CheckSuite = (src: FixtureSource, rt: Runtime) => Promise<Check[]>;

const numbers = (t: HostTensor): ArrayLike<number> => {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new FixtureError(`cannot compare a ${t.dtype} tensor`);
  return t.data as Float32Array | Float64Array;
};

/** pairs [ours, ref] of one kind → the metric above; shapes must agree element for element */
export function maxRelError(pairs: readonly (readonly [HostTensor, HostTensor])[], what = 'tensor'): number {
  let scale = 0,
    worst = 0;
  for (const [ours, ref] of pairs) {
    if (fmtShape(ours.shape) !== fmtShape(ref.shape)) {
      throw new FixtureError(`${what}: ours has shape ${fmtShape(ours.shape)}, the reference ${fmtShape(ref.shape)}`);
    }
    const a = numbers(ours),
      b = numbers(ref);
    for (let i = 0; i < b.length; i++) {
      scale = Math.max(scale, Math.abs(b[i]!));
      const d = Math.abs(a[i]! - b[i]!);
      if (Number.isNaN(d)) return NaN;
      worst = Math.max(worst, d);
    }
  }
  return worst / Math.max(scale, 1e-12);
}
