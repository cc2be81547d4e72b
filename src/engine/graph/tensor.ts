// Host-side tensors: what crosses the boundary between the engine's builders, the runtime and storage.
import { sizeOf, type DType, type Shape, type TypedArray } from './graph.ts';

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: TypedArray;
}

export function hostTensor(dtype: DType, shape: Shape, data?: TypedArray): HostTensor {
  const n = sizeOf(shape);
  const d = data ?? allocate(dtype, n);
  if (d.length !== n) throw new Error(`tensor data has ${d.length} elements, shape [${shape.join(',')}] needs ${n}`);
  return { dtype, shape: [...shape], data: d };
}

/** the array each dtype is held in (float16 as its raw 16-bit words) */
const ARRAY_OF: Record<DType, new (n: number) => TypedArray> = {
  float32: Float32Array,
  float16: Uint16Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

export const allocate = (dtype: DType, n: number): TypedArray => new ARRAY_OF[dtype](n);

export const float32 = (shape: Shape, data?: ArrayLike<number>): HostTensor =>
  hostTensor('float32', shape, data ? Float32Array.from(data) : undefined);
