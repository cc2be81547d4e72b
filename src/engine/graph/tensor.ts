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

export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float16':
      return new Uint16Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

export const float32 = (shape: Shape, data?: ArrayLike<number>): HostTensor =>
  hostTensor('float32', shape, data ? Float32Array.from(data) : undefined);
