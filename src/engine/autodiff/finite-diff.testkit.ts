// Test support for the autodiff and reference tests: seeded random tensors, central finite
// differences through the reference interpreter, onnxruntime-node runs and error measures.
import { type Graph, sizeOf, type Shape } from '../graph/graph.ts';
import { evaluate } from '../graph/reference.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';

/** mulberry32: a tiny seeded generator, so failures reproduce */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** uniform in [lo, hi) */
export function randomTensor(rand: () => number, shape: Shape, lo = -1, hi = 1, dtype: 'float32' | 'float64' = 'float64'): HostTensor {
  const n = sizeOf(shape);
  const data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rand();
  return hostTensor(dtype, shape, data);
}

export const toFloat32 = (t: HostTensor): HostTensor => hostTensor('float32', t.shape, Float32Array.from(t.data as Float64Array));
export const toFloat64 = (t: HostTensor): HostTensor => hostTensor('float64', t.shape, Float64Array.from(t.data as Float32Array));

/** dLoss/dInput by central differences of the reference evaluation of output `loss` */
export function finiteDifference(g: Graph, feeds: Record<string, HostTensor>, loss: string, input: string, h = 1e-5): Float64Array {
  const base = feeds[input]!;
  const out = new Float64Array(sizeOf(base.shape));
  const lossAt = (delta: number, i: number): number => {
    const data = Float64Array.from(base.data as Float64Array);
    data[i]! += delta;
    const r = evaluate(g, { ...feeds, [input]: hostTensor('float64', base.shape, data) }, [loss]);
    return (r[loss]!.data as Float64Array)[0]!;
  };
  for (let i = 0; i < out.length; i++) out[i] = (lossAt(h, i) - lossAt(-h, i)) / (2 * h);
  return out;
}

/** max|a − b| / max(max|b|, 1e-12): the team's error measure, b is the reference */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-12);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); // a NaN stays NaN
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

let runtime: Runtime | undefined;

/** run `g` once on onnxruntime-node and read every output back */
export async function runOnOrt(g: Graph, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  runtime ??= createNodeRuntime();
  const session = await runtime.load(g);
  try {
    const out = await session.run(feeds);
    const host: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(out)) host[k] = await t.read();
    return host;
  } finally {
    await session.release();
  }
}
