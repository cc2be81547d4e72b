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

/** onnxruntime's contrib ops that the CPU EP and both WebGPU EPs have (QuickGelu, MultiHeadAttention) */
export const MS_DOMAIN = 'com.microsoft';

export interface OpNode {
  readonly op: string;
  /** the op's domain when it is not ONNX's own (MS_DOMAIN) */
  readonly domain?: string;
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
    domain?: string,
  ): Value[] {
    const outputs: Value[] = [];
    const node: OpNode = { op, inputs: [...inputs], outputs, attrs, ...(domain ? { domain } : {}) };
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

  readonly neg = (x: Value): Value => this.unary('Neg', x);
  readonly exp = (x: Value): Value => this.unary('Exp', x);
  readonly log = (x: Value): Value => this.unary('Log', x);
  readonly sqrt = (x: Value): Value => this.unary('Sqrt', x);
  // activations
  readonly sigmoid = (x: Value): Value => this.unary('Sigmoid', x);
  readonly relu = (x: Value): Value => this.unary('Relu', x);
  readonly tanh = (x: Value): Value => this.unary('Tanh', x);

  identity(x: Value): Value {
    return this.one('Identity', [x], x.dtype, x.shape);
  }

  /** x · σ(1.702 x), CLIP's activation, as one kernel (QuickGelu, MS_DOMAIN) where plain ops take three */
  quickGelu(x: Value, alpha = 1.702): Value {
    this.float('QuickGelu', x);
    return this.node('QuickGelu', [x], [{ dtype: x.dtype, shape: x.shape }], { alpha: attr.float(alpha) }, undefined, MS_DOMAIN)[0]!;
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

  /**
   * op(a) @ op(b) (+ c) for 2-D operands, op transposing the operands marked, c broadcast to the
   * result (Gemm): one kernel where MatMul takes a Transpose before it or an Add after it.
   */
  gemm(a: Value, b: Value, opts: { transA?: boolean; transB?: boolean; c?: Value } = {}): Value {
    const { transA = false, transB = false, c } = opts;
    const dtype = c ? this.sameDType('Gemm', a, b, c) : this.sameDType('Gemm', a, b);
    if (a.shape.length !== 2 || b.shape.length !== 2)
      throw new GraphError(`Gemm: both operands must be 2-D (${describe(a)}, ${describe(b)})`);
    const [n, k] = (transA ? [...a.shape].reverse() : a.shape) as [number, number];
    const [k2, m] = (transB ? [...b.shape].reverse() : b.shape) as [number, number];
    if (k !== k2)
      throw new GraphError(`Gemm: inner dimensions differ: ${describe(a)}${transA ? 'ᵀ' : ''} @ ${describe(b)}${transB ? 'ᵀ' : ''}`);
    if (c && fmtShape(broadcastShapes(c.shape, [n, m], 'Gemm')) !== fmtShape([n, m]))
      throw new GraphError(`Gemm: ${describe(c)} does not broadcast to the product [${n},${m}]`);
    return this.one('Gemm', c ? [a, b, c] : [a, b], dtype, [n, m], { transA: attr.int(transA ? 1 : 0), transB: attr.int(transB ? 1 : 0) });
  }

  /**
   * x [..., in] @ weight [in, out] + bias [out]: with a bias, one Gemm over the rows folded together
   * (the reshapes around it cost no kernel), where MatMul and Add would take two.
   */
  linear(x: Value, weight: Value, bias?: Value): Value {
    if (!bias || weight.shape.length !== 2) return bias ? this.add(this.matmul(x, weight), bias) : this.matmul(x, weight);
    const [k, m] = weight.shape as [number, number];
    const y = this.gemm(this.reshape(x, [-1, k]), weight, { c: bias }); // [rows, out]
    return this.reshape(y, [...x.shape.slice(0, -1), m]);
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
    // the row statistics are outputs too (Mean, InvStdDev: float32 for a float16 x, as onnxruntime
    // computes them): the backward reads them instead of computing them again; unread, they are not emitted
    const stats = { dtype: x.dtype === 'float16' ? ('float32' as const) : x.dtype, shape: [...x.shape.slice(0, -1), 1] };
    const attrs = { axis: attr.int(-1), epsilon: attr.float(epsilon) };
    return this.node('LayerNormalization', [x, scale, bias], [{ dtype: x.dtype, shape: x.shape }, stats, stats], attrs)[0]!;
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
    // chains the forward's layouts force (and their gradients) fold away: to its own shape is x, a
    // reshape of a reshape reshapes the first one's input
    if (fmtShape(out) === fmtShape(x.shape)) return x;
    const source = x.producer?.op === 'Reshape' ? x.producer.inputs[0]! : x;
    if (fmtShape(out) === fmtShape(source.shape)) return source;
    return this.one('Reshape', [source, this.int64s(out)], x.dtype, out);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    const rank = x.shape.length;
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      throw new GraphError(`Transpose: perm ${fmtShape(perm)} is not a permutation for ${describe(x)}`);
    }
    // a transpose of a transpose is one transpose of the first one's input, none when they cancel
    const inner = x.producer?.op === 'Transpose' ? x.producer : null;
    const innerPerm = (inner?.attrs.perm as { value: readonly number[] } | undefined)?.value;
    const source = inner ? inner.inputs[0]! : x;
    const composed = innerPerm ? perm.map((p) => innerPerm[p]!) : perm;
    if (composed.every((p, i) => p === i)) return source;
    return this.one(
      'Transpose',
      [source],
      x.dtype,
      composed.map((p) => source.shape[p]!),
      { perm: attr.ints(composed) },
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

  /** x cut along `axis` into consecutive pieces of `sizes` (one kernel for all of them) */
  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    const a = normAxis(axis, x.shape.length, 'Split');
    if (sizes.some((n) => !Number.isInteger(n) || n < 1) || sizes.reduce((s, n) => s + n, 0) !== x.shape[a])
      throw new GraphError(`Split: sizes ${fmtShape(sizes)} do not add up to axis ${a} of ${describe(x)}`);
    const outs = sizes.map((n) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? n : d)) }));
    return this.node('Split', [x, this.int64s(sizes)], outs, { axis: attr.int(a) });
  }

  // ---- onnxruntime contrib ops (MS_DOMAIN) ------------------------------------------------------

  /**
   * softmax(q·kᵀ·scale)·v per head, q [B,S,H·D], k [B,L,H·D], v [B,L,H·Dv] → [B,S,H·Dv]
   * (MultiHeadAttention: one fused kernel family instead of transposes, two matmuls and a softmax)
   */
  multiHeadAttention(q: Value, k: Value, v: Value, heads: number, scale: number): Value {
    const dtype = this.sameDType('MultiHeadAttention', q, k, v);
    const [B, S, hidden] = q.shape as [number, number, number];
    const [Bk, L, hk] = k.shape as [number, number, number];
    const [Bv, Lv, hv] = v.shape as [number, number, number];
    if (q.shape.length !== 3 || k.shape.length !== 3 || v.shape.length !== 3 || Bk !== B || Bv !== B || hk !== hidden || Lv !== L)
      throw new GraphError(
        `MultiHeadAttention: q [B,S,H·D], k [B,L,H·D], v [B,L,H·Dv] expected, got ${[q, k, v].map(describe).join(', ')}`,
      );
    if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0 || hv % heads !== 0)
      throw new GraphError(`MultiHeadAttention: ${heads} heads do not divide ${describe(q)} and ${describe(v)}`);
    const attrs = { num_heads: attr.int(heads), scale: attr.float(scale) };
    return this.node('MultiHeadAttention', [q, k, v], [{ dtype, shape: [B, S, hv] }], attrs, undefined, MS_DOMAIN)[0]!;
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
