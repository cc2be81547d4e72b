// A typed, statically shaped graph of ONNX ops (opset 17).
//
// Every op method checks dtypes and shapes when it is called, so a bad graph fails while it is
// being built, with a message that names the op and the values, never later inside onnxruntime.
// Shapes are static: a session is built per batch size, which keeps shape inference exact and
// lets autodiff decide broadcasting reductions at build time.
import { toHalfBits } from './half.ts';

/** float16 data is IEEE binary16 bits in a Uint16Array (half.ts), as onnxruntime takes it */
export type DType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'bool';
export type Shape = readonly number[];
export type TypedArray = Float32Array | Uint16Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
};

export interface Value {
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** the node that computes it; null for graph inputs and constants */
  readonly producer: OpNode | null;
}

export interface OpNode {
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export class GraphError extends Error {
  override name = 'GraphError';
}

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
export const fmtShape = (shape: Shape): string => `[${shape.join(',')}]`;
const describe = (v: Value): string => `'${v.name}' ${v.dtype}${fmtShape(v.shape)}`;

const normAxis = (axis: number, rank: number, op: string): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
};

/** numpy broadcasting of two static shapes */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new GraphError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export class Graph {
  readonly inputs: Value[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  readonly nodes: OpNode[] = [];
  readonly constants = new Map<number, TypedArray>();
  private nextId = 0;
  private readonly names = new Set<string>();

  constructor(readonly name = 'graph') {}

  // ---- values -------------------------------------------------------------------------------

  private newValue(name: string, dtype: DType, shape: Shape, producer: OpNode | null): Value {
    if (this.names.has(name)) throw new GraphError(`duplicate value name '${name}'`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new GraphError(`value '${name}': bad dimension ${d} in ${fmtShape(shape)}`);
    }
    this.names.add(name);
    return { id: this.nextId++, name, dtype, shape: [...shape], producer };
  }

  private freshName(prefix: string): string {
    let n = `${prefix}_${this.nextId}`;
    while (this.names.has(n)) n += '_';
    return n;
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = this.newValue(name, dtype, shape, null);
    this.inputs.push(v);
    return v;
  }

  constant(data: TypedArray, shape: Shape, name?: string): Value {
    const dtype: DType =
      data instanceof Float32Array
        ? 'float32'
        : data instanceof Uint16Array
          ? 'float16'
          : data instanceof Float64Array
            ? 'float64'
            : data instanceof BigInt64Array
              ? 'int64'
              : data instanceof Int32Array
                ? 'int32'
                : 'bool';
    if (data.length !== sizeOf(shape)) {
      throw new GraphError(`constant ${name ?? ''}: ${data.length} elements do not fill ${fmtShape(shape)}`);
    }
    const v = this.newValue(name ?? this.freshName('const'), dtype, shape, null);
    this.constants.set(v.id, data);
    return v;
  }

  /** a rank-0 constant of the given float dtype */
  scalar(x: number, dtype: DType = 'float32'): Value {
    const data = dtype === 'float64' ? Float64Array.of(x) : dtype === 'float16' ? Uint16Array.of(toHalfBits(x)) : Float32Array.of(x);
    return this.constant(data, []);
  }

  /** a 1-D int64 constant (shapes, axes, slice bounds) */
  int64s(xs: readonly number[]): Value {
    return this.constant(BigInt64Array.from(xs.map((x) => BigInt(x))), [xs.length]);
  }

  constantData(v: Value): TypedArray | undefined {
    return this.constants.get(v.id);
  }

  isInput(v: Value): boolean {
    return v.producer === null && !this.constants.has(v.id);
  }

  /** Expose `value` as output `name`; the encoder renames the value (no Identity node, which WebGPU lacks). */
  output(name: string, value: Value): void {
    if (this.outputs.some((o) => o.name === name)) throw new GraphError(`duplicate output name '${name}'`);
    if (name !== value.name && this.names.has(name)) throw new GraphError(`output name '${name}' is already the name of another value`);
    this.names.add(name);
    this.outputs.push({ name, value });
  }

  // ---- nodes ----------------------------------------------------------------------------------

  /** add a node whose output types the caller has already inferred */
  node(
    op: string,
    inputs: readonly Value[],
    outs: { dtype: DType; shape: Shape }[],
    attrs: Record<string, Attr> = {},
    name?: string,
  ): Value[] {
    const outputs: Value[] = [];
    const node: OpNode = { op, inputs: [...inputs], outputs, attrs };
    outs.forEach((o, i) => {
      outputs.push(this.newValue(i === 0 && name ? name : this.freshName(op), o.dtype, o.shape, node));
    });
    this.nodes.push(node);
    return outputs;
  }

  private one(op: string, inputs: readonly Value[], dtype: DType, shape: Shape, attrs: Record<string, Attr> = {}): Value {
    return this.node(op, inputs, [{ dtype, shape }], attrs)[0]!;
  }

  private sameDType(op: string, ...vs: Value[]): DType {
    const d = vs[0]!.dtype;
    for (const v of vs) if (v.dtype !== d) throw new GraphError(`${op}: dtypes differ: ${vs.map(describe).join(', ')}`);
    return d;
  }

  private float(op: string, v: Value): void {
    if (!isFloat(v)) throw new GraphError(`${op}: ${describe(v)} must be float`);
  }

  // ---- elementwise ----------------------------------------------------------------------------

  /** comparisons pass outDType 'bool'; arithmetic keeps the operands' dtype */
  private binary(op: string, a: Value, b: Value, outDType?: DType): Value {
    const dtype = this.sameDType(op, a, b);
    let shape: number[];
    try {
      shape = broadcastShapes(a.shape, b.shape, op);
    } catch (e) {
      throw new GraphError(`${(e as Error).message} (${describe(a)}, ${describe(b)})`);
    }
    return this.one(op, [a, b], outDType ?? dtype, shape);
  }

  add(a: Value, b: Value): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Value, b: Value): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Value, b: Value): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Value, b: Value): Value {
    return this.binary('Div', a, b);
  }
  pow(a: Value, b: Value): Value {
    return this.binary('Pow', a, b);
  }

  /** elementwise a > b as bool (masks for Relu's gradient) */
  greater(a: Value, b: Value): Value {
    return this.binary('Greater', a, b, 'bool');
  }
  /** elementwise a == b as bool (one-hot masks for Gather's gradient) */
  equal(a: Value, b: Value): Value {
    return this.binary('Equal', a, b, 'bool');
  }

  private unary(op: string, x: Value): Value {
    this.float(op, x);
    return this.one(op, [x], x.dtype, x.shape);
  }

  neg(x: Value): Value {
    return this.unary('Neg', x);
  }
  exp(x: Value): Value {
    return this.unary('Exp', x);
  }
  log(x: Value): Value {
    return this.unary('Log', x);
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x);
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x);
  }
  relu(x: Value): Value {
    return this.unary('Relu', x);
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x);
  }
  identity(x: Value): Value {
    return this.one('Identity', [x], x.dtype, x.shape);
  }

  /** x · σ(1.702 x), CLIP's activation */
  quickGelu(x: Value): Value {
    return this.mul(x, this.sigmoid(this.mul(x, this.scalar(1.702, x.dtype))));
  }

  // ---- linear algebra -------------------------------------------------------------------------

  /** numpy matmul: [..., n, k] @ [..., k, m] → [..., n, m]; batch dims broadcast */
  matmul(a: Value, b: Value): Value {
    const dtype = this.sameDType('MatMul', a, b);
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new GraphError(`MatMul: both operands need rank ≥ 2 (${describe(a)}, ${describe(b)})`);
    }
    const [n, k] = a.shape.slice(-2) as [number, number];
    const [k2, m] = b.shape.slice(-2) as [number, number];
    if (k !== k2) throw new GraphError(`MatMul: inner dimensions differ: ${describe(a)} @ ${describe(b)}`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    return this.one('MatMul', [a, b], dtype, [...batch, n, m]);
  }

  /** x @ weightᵀ + bias, with a PyTorch/HF Linear weight [out, in] */
  linear(x: Value, weightT: Value, bias?: Value): Value {
    const y = this.matmul(x, weightT);
    return bias ? this.add(y, bias) : y;
  }

  // ---- normalisation and softmax --------------------------------------------------------------

  softmax(x: Value, axis = -1): Value {
    this.float('Softmax', x);
    return this.one('Softmax', [x], x.dtype, x.shape, { axis: attr.int(normAxis(axis, x.shape.length, 'Softmax')) });
  }

  logSoftmax(x: Value, axis = -1): Value {
    this.float('LogSoftmax', x);
    return this.one('LogSoftmax', [x], x.dtype, x.shape, { axis: attr.int(normAxis(axis, x.shape.length, 'LogSoftmax')) });
  }

  /** LayerNormalization over the last axis, scale and bias of that axis' size */
  layerNorm(x: Value, scale: Value, bias: Value, epsilon = 1e-5): Value {
    this.float('LayerNormalization', x);
    const d = x.shape[x.shape.length - 1]!;
    for (const p of [scale, bias]) {
      if (p.shape.length !== 1 || p.shape[0] !== d) {
        throw new GraphError(`LayerNormalization: ${describe(p)} must have shape [${d}] to normalise ${describe(x)}`);
      }
    }
    this.sameDType('LayerNormalization', x, scale, bias);
    return this.one('LayerNormalization', [x, scale, bias], x.dtype, x.shape, { axis: attr.int(-1), epsilon: attr.float(epsilon) });
  }

  // ---- reductions -----------------------------------------------------------------------------

  private reduceShape(op: string, x: Value, axes: readonly number[], keepdims: boolean): { axes: number[]; shape: number[] } {
    const rank = x.shape.length;
    const norm = [...new Set(axes.map((a) => normAxis(a, rank, op)))].sort((a, b) => a - b);
    const shape = x.shape.flatMap((d, i) => (norm.includes(i) ? (keepdims ? [1] : []) : [d]));
    return { axes: norm, shape };
  }

  reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
    const r = this.reduceShape('ReduceSum', x, axes, keepdims);
    return this.one('ReduceSum', [x, this.int64s(r.axes)], x.dtype, r.shape, { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    const r = this.reduceShape('ReduceMean', x, axes, keepdims);
    return this.one('ReduceMean', [x], x.dtype, r.shape, { axes: attr.ints(r.axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }

  // ---- shape ops ------------------------------------------------------------------------------

  /** reshape to a static shape; one -1 is resolved from the element count */
  reshape(x: Value, shape: readonly number[]): Value {
    const known = shape.filter((d) => d !== -1);
    const fill = sizeOf(x.shape) / sizeOf(known);
    const out = shape.map((d) => (d === -1 ? fill : d));
    if (shape.filter((d) => d === -1).length > 1 || !Number.isInteger(fill) || sizeOf(out) !== sizeOf(x.shape)) {
      throw new GraphError(`Reshape: cannot reshape ${describe(x)} to ${fmtShape(shape)}`);
    }
    return this.one('Reshape', [x, this.int64s(out)], x.dtype, out);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    const rank = x.shape.length;
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      throw new GraphError(`Transpose: perm ${fmtShape(perm)} is not a permutation for ${describe(x)}`);
    }
    return this.one(
      'Transpose',
      [x],
      x.dtype,
      perm.map((p) => x.shape[p]!),
      { perm: attr.ints(perm) },
    );
  }

  concat(xs: readonly Value[], axis: number): Value {
    if (xs.length === 0) throw new GraphError('Concat: no inputs');
    const dtype = this.sameDType('Concat', ...xs);
    const rank = xs[0]!.shape.length;
    const a = normAxis(axis, rank, 'Concat');
    for (const x of xs) {
      if (x.shape.length !== rank || x.shape.some((d, i) => i !== a && d !== xs[0]!.shape[i])) {
        throw new GraphError(`Concat on axis ${a}: shapes differ off that axis: ${xs.map(describe).join(', ')}`);
      }
    }
    const shape = [...xs[0]!.shape];
    shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
    return this.one('Concat', xs, dtype, shape, { axis: attr.int(a) });
  }

  /** x[start:end] along each given axis (step 1; bounds clamped like numpy) */
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[]): Value {
    const rank = x.shape.length;
    const shape = [...x.shape];
    const s: number[] = [],
      e: number[] = [],
      ax: number[] = [];
    axes.forEach((axis, i) => {
      const a = normAxis(axis, rank, 'Slice');
      const d = x.shape[a]!;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      const st = clamp(starts[i]!),
        en = clamp(ends[i]!);
      if (en <= st) throw new GraphError(`Slice: empty range ${starts[i]}:${ends[i]} on axis ${a} of ${describe(x)}`);
      shape[a] = en - st;
      s.push(st);
      e.push(en);
      ax.push(a);
    });
    return this.one('Slice', [x, this.int64s(s), this.int64s(e), this.int64s(ax)], x.dtype, shape);
  }

  /** rows of `data` along `axis` picked by int64 `indices` (embedding lookup) */
  gather(data: Value, indices: Value, axis = 0): Value {
    if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new GraphError(`Gather: ${describe(indices)} must be int64 or int32`);
    const a = normAxis(axis, data.shape.length, 'Gather');
    const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
    return this.one('Gather', [data, indices], data.dtype, shape, { axis: attr.int(a) });
  }

  expand(x: Value, shape: readonly number[]): Value {
    const out = broadcastShapes(x.shape, shape, 'Expand');
    return this.one('Expand', [x, this.int64s(out)], x.dtype, out);
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis(a, rank, 'Unsqueeze')).sort((a, b) => a - b);
    const shape = [...x.shape];
    for (const a of norm) shape.splice(a, 0, 1);
    return this.one('Unsqueeze', [x, this.int64s(norm)], x.dtype, shape);
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    const norm = axes.map((a) => normAxis(a, x.shape.length, 'Squeeze'));
    for (const a of norm) if (x.shape[a] !== 1) throw new GraphError(`Squeeze: axis ${a} of ${describe(x)} is not 1`);
    return this.one(
      'Squeeze',
      [x, this.int64s(norm)],
      x.dtype,
      x.shape.filter((_, i) => !norm.includes(i)),
    );
  }

  cast(x: Value, to: DType): Value {
    return this.one('Cast', [x], to, x.shape, { to: attr.int(ONNX_DTYPE[to]) });
  }
}

/** The nodes that `roots` depend on, in build (= topological) order. */
export function nodesComputing(g: Graph, roots: readonly Value[]): OpNode[] {
  const needed = new Set(roots.map((v) => v.id));
  const keep: OpNode[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (n.outputs.some((o) => needed.has(o.id))) {
      keep.push(n);
      for (const x of n.inputs) needed.add(x.id);
    }
  }
  return keep.reverse();
}

export const isFloat = (v: { dtype: DType }): boolean => v.dtype === 'float32' || v.dtype === 'float16' || v.dtype === 'float64';

/** TensorProto.DataType codes */
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };
