// The reference path: a plain float64 interpreter of every op the Graph builder emits.
//
// It is slow on purpose: one loop per op, no fusion, no tricks, so that a reader can check each op
// against the ONNX spec and so that tests can compare fast paths (onnxruntime, gradients) to it.
// Float tensors of any declared width are computed in float64; the results come back as
// HostTensors of dtype 'float64'. Integer and bool tensors keep their own dtype.
import {
  fmtShape,
  type Graph,
  GraphError,
  isFloat,
  nodesComputing,
  sizeOf,
  type DType,
  type OpNode,
  type Shape,
  type Value,
} from './graph.ts';
import { halfToFloat32 } from './half.ts';
import type { HostTensor } from './tensor.ts';

type Data = Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
interface Tensor {
  dtype: DType;
  shape: number[];
  data: Data;
}

const stridesOf = (shape: Shape): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

/** For each element of `outShape`, the flat index of the element of `inShape` that numpy broadcasting reads. */
function broadcastIndex(outShape: Shape, inShape: Shape): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // a missing or size-1 input dim repeats: stride 0
  const strides = outShape.map((_, i) => {
    const j = i - (rank - inShape.length);
    return j < 0 || inShape[j] === 1 ? 0 : inStrides[j]!;
  });
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const pos = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let d = rank - 1; d >= 0; d--) {
      pos[d]!++;
      off += strides[d]!;
      if (pos[d]! < outShape[d]!) break;
      off -= strides[d]! * pos[d]!;
      pos[d] = 0;
    }
  }
  return idx;
}

function broadcast(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1,
      db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new GraphError(`reference: ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    return da === 1 ? db : da;
  });
}

const num = (data: Data, i: number): number => Number(data[i]!);
const ints = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

function fromNumbers(dtype: DType, values: ArrayLike<number>): Data {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/** an empty array of the same element type (elements are copied, never converted) */
const like = (data: Data, n: number): Data => new (data.constructor as new (n: number) => Data)(n);

/** out[i] = t[index[i]]: the one data-movement primitive behind Transpose, Slice, Gather and Expand */
function gatherBy(t: Tensor, shape: number[], index: ArrayLike<number>): Tensor {
  const out = like(t.data, index.length);
  for (let i = 0; i < index.length; i++) out[i] = t.data[index[i]!]!;
  return { dtype: t.dtype, shape, data: out };
}

const elementwise: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Pow: (a, b) => a ** b,
  Greater: (a, b) => (a > b ? 1 : 0),
  Equal: (a, b) => (a === b ? 1 : 0),
};

const unaryOps: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Relu: (x) => Math.max(x, 0),
  Tanh: Math.tanh,
};

function binary(op: string, a: Tensor, b: Tensor, outDType: DType): Tensor {
  const shape = broadcast(a.shape, b.shape);
  const ia = broadcastIndex(shape, a.shape),
    ib = broadcastIndex(shape, b.shape);
  const integer = !isFloat(a);
  const f = op === 'Div' ? (x: number, y: number) => (integer ? Math.trunc(x / y) : x / y) : elementwise[op]!;
  const out = new Float64Array(ia.length);
  for (let i = 0; i < out.length; i++) out[i] = f(num(a.data, ia[i]!), num(b.data, ib[i]!));
  return { dtype: outDType, shape, data: fromNumbers(outDType, out) };
}

/** Split `shape` around `axis` into [outer, d, inner] for per-row ops. */
const around = (shape: Shape, axis: number) => [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))] as const;

function softmax(x: Tensor, axis: number, log: boolean): Tensor {
  const [outer, d, inner] = around(x.shape, axis);
  const src = x.data as Float64Array,
    out = new Float64Array(src.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * d + j) * inner + i;
      let max = -Infinity;
      for (let j = 0; j < d; j++) max = Math.max(max, src[at(j)]!);
      let sum = 0;
      for (let j = 0; j < d; j++) sum += Math.exp(src[at(j)]! - max);
      for (let j = 0; j < d; j++) {
        out[at(j)] = log ? src[at(j)]! - max - Math.log(sum) : Math.exp(src[at(j)]! - max) / sum;
      }
    }
  }
  return { ...x, data: out };
}

/** ONNX LayerNormalization: normalise over dims axis… (all trailing dims), then scale and shift; also the rows' mean and 1/σ */
function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, axis: number, epsilon: number): Tensor[] {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const inner = sizeOf(x.shape.slice(a)),
    outer = sizeOf(x.shape) / inner;
  const src = x.data as Float64Array,
    out = new Float64Array(src.length);
  const means = new Float64Array(outer),
    invStds = new Float64Array(outer);
  const normShape = x.shape.slice(a);
  const si = broadcastIndex(normShape, scale.shape),
    bi = broadcastIndex(normShape, bias.shape);
  for (let o = 0; o < outer; o++) {
    const row = src.subarray(o * inner, (o + 1) * inner);
    const mean = row.reduce((s, v) => s + v, 0) / inner;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / inner;
    const inv = 1 / Math.sqrt(variance + epsilon);
    means[o] = mean;
    invStds[o] = inv;
    for (let j = 0; j < inner; j++) {
      out[o * inner + j] = (row[j]! - mean) * inv * num(scale.data, si[j]!) + num(bias.data, bi[j]!);
    }
  }
  const statShape = x.shape.map((d, i) => (i < a ? d : 1));
  return [
    { ...x, data: out },
    { dtype: x.dtype, shape: statShape, data: means },
    { dtype: x.dtype, shape: statShape, data: invStds },
  ];
}

/** numpy matmul of a and b, each transposed in its last two axes first where asked */
const transposedLast = (t: Tensor, yes: boolean): Tensor =>
  yes ? transpose(t, [...t.shape.slice(0, -2).map((_, i) => i), t.shape.length - 1, t.shape.length - 2]) : t;

/** com.microsoft MultiHeadAttention without masks: per head h, softmax(q_h k_hᵀ · scale) v_h */
function multiHeadAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number): Tensor {
  const [B, S, hidden] = q.shape as [number, number, number];
  const L = k.shape[1]!,
    hv = v.shape[2]!;
  const D = hidden / heads,
    Dv = hv / heads;
  const Q = q.data as Float64Array,
    K = k.data as Float64Array,
    V = v.data as Float64Array;
  const out = new Float64Array(B * S * hv);
  const scores = new Float64Array(L);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < S; i++) {
        let max = -Infinity;
        for (let j = 0; j < L; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += Q[(b * S + i) * hidden + h * D + d]! * K[(b * L + j) * hidden + h * D + d]!;
          scores[j] = dot * scale;
          max = Math.max(max, scores[j]!);
        }
        let sum = 0;
        for (let j = 0; j < L; j++) sum += scores[j] = Math.exp(scores[j]! - max);
        for (let d = 0; d < Dv; d++) {
          let acc = 0;
          for (let j = 0; j < L; j++) acc += scores[j]! * V[(b * L + j) * hv + h * Dv + d]!;
          out[(b * S + i) * hv + h * Dv + d] = acc / sum;
        }
      }
    }
  }
  return { dtype: q.dtype, shape: [B, S, hv], data: out };
}

function reduce(x: Tensor, axesIn: number[] | undefined, keepdims: boolean, mean: boolean): Tensor {
  const rank = x.shape.length;
  const axes = axesIn && axesIn.length > 0 ? axesIn.map((a) => (a < 0 ? a + rank : a)) : x.shape.map((_, i) => i);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(sizeOf(keptShape));
  // every input element adds into the output element it broadcasts from
  const target = broadcastIndex(x.shape, keptShape);
  for (let i = 0; i < target.length; i++) out[target[i]!]! += num(x.data, i);
  const count = sizeOf(x.shape) / out.length;
  if (mean) for (let i = 0; i < out.length; i++) out[i]! /= count;
  const shape = keepdims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  return { dtype: x.dtype, shape, data: fromNumbers(x.dtype, out) };
}

function matmul(a: Tensor, b: Tensor): Tensor {
  const [n, k] = a.shape.slice(-2) as [number, number];
  const m = b.shape[b.shape.length - 1]!;
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aBatch = broadcastIndex(batch, a.shape.slice(0, -2)),
    bBatch = broadcastIndex(batch, b.shape.slice(0, -2));
  const out = new Float64Array(sizeOf(batch) * n * m);
  const A = a.data as Float64Array,
    B = b.data as Float64Array;
  for (let p = 0; p < aBatch.length; p++) {
    const ao = aBatch[p]! * n * k,
      bo = bBatch[p]! * k * m,
      oo = p * n * m;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += A[ao + i * k + t]! * B[bo + t * m + j]!;
        out[oo + i * m + j] = s;
      }
    }
  }
  return { dtype: a.dtype, shape: [...batch, n, m], data: out };
}

function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  // read x through permuted strides, walking the output in order
  const index = new Int32Array(sizeOf(shape));
  const outStrides = stridesOf(shape);
  for (let k = 0; k < index.length; k++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += (Math.floor(k / outStrides[d]!) % shape[d]!) * inStrides[perm[d]!]!;
    index[k] = off;
  }
  return gatherBy(x, shape, index);
}

function concat(xs: Tensor[], axis: number): Tensor {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const [outer, , inner] = around(shape, axis);
  const out = like(xs[0]!.data, sizeOf(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const rowLen = x.shape[axis]! * inner;
      for (let j = 0; j < rowLen; j++) out[at++] = x.data[o * rowLen + j]!;
    }
  }
  return { dtype: xs[0]!.dtype, shape, data: out };
}

function slice(x: Tensor, starts: number[], ends: number[], axes: number[], steps: number[]): Tensor {
  const rank = x.shape.length;
  const start = x.shape.map(() => 0),
    stop = [...x.shape];
  axes.forEach((axis, i) => {
    const a = axis < 0 ? axis + rank : axis,
      d = x.shape[a]!;
    if (steps[i] !== 1) throw new GraphError(`reference: Slice step ${steps[i]} is not supported`);
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    start[a] = clamp(starts[i]!);
    stop[a] = Math.max(clamp(ends[i]!), start[a]!);
  });
  const shape = start.map((s, i) => stop[i]! - s);
  const inStrides = stridesOf(x.shape),
    outStrides = stridesOf(shape);
  const index = new Int32Array(sizeOf(shape));
  for (let k = 0; k < index.length; k++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (start[d]! + (Math.floor(k / outStrides[d]!) % shape[d]!)) * inStrides[d]!;
    index[k] = off;
  }
  return gatherBy(x, shape, index);
}

function gather(data: Tensor, indices: Tensor, axis: number): Tensor {
  const [outer, d, inner] = around(data.shape, axis);
  const idx = ints(indices).map((i) => {
    if (i < -d || i >= d) throw new GraphError(`reference: Gather index ${i} is out of range for axis of size ${d}`);
    return i < 0 ? i + d : i;
  });
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const index = new Int32Array(sizeOf(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) for (const i of idx) for (let j = 0; j < inner; j++) index[at++] = (o * d + i) * inner + j;
  return gatherBy(data, shape, index);
}

/** float16 data arrives as binary16 bits: decode them, so every float computes in float64 */
const numeric = (dtype: DType, shape: number[], data: Data): Tensor => ({
  dtype,
  shape,
  data: dtype === 'float16' ? Float64Array.from(halfToFloat32(data as Uint16Array)) : data,
});

function cast(x: Tensor, to: DType): Tensor {
  const values = Float64Array.from(x.data as ArrayLike<number | bigint>, Number);
  return { dtype: to, shape: x.shape, data: fromNumbers(to, values) };
}

const ONNX_TO_DTYPE: Record<number, DType> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

function intAttr(node: OpNode, name: string): number {
  const a = node.attrs[name];
  if (a?.kind !== 'int') throw new GraphError(`reference: ${node.op} needs an int attribute '${name}'`);
  return a.value;
}

function floatAttr(node: OpNode, name: string, fallback: number): number {
  const a = node.attrs[name];
  return a?.kind === 'float' ? a.value : fallback;
}

/** the outputs of one node, in order */
function run(node: OpNode, args: Tensor[]): Tensor[] {
  const [x, y] = args as [Tensor, Tensor];
  switch (node.op) {
    case 'LayerNormalization':
      return layerNorm(x, y, args[2]!, intAttr(node, 'axis'), floatAttr(node, 'epsilon', 1e-5));
    case 'Split': {
      const a = intAttr(node, 'axis');
      let start = 0;
      return ints(y).map((n) => {
        const piece = slice(x, [start], [start + n], [a], [1]);
        start += n;
        return piece;
      });
    }
    default:
      return [runOne(node, args)];
  }
}

function runOne(node: OpNode, args: Tensor[]): Tensor {
  const [x, y] = args as [Tensor, Tensor];
  const rank = x.shape.length;
  const axisAttr = () => {
    const a = intAttr(node, 'axis');
    return a < 0 ? a + rank : a;
  };
  switch (node.op) {
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
      return binary(node.op, x, y, x.dtype);
    case 'Greater':
    case 'Equal':
      return binary(node.op, x, y, 'bool');
    case 'Neg':
    case 'Exp':
    case 'Log':
    case 'Sqrt':
    case 'Sigmoid':
    case 'Relu':
    case 'Tanh':
      return { ...x, data: (x.data as Float64Array).map(unaryOps[node.op]!) };
    case 'Identity':
      return x;
    case 'MatMul':
      return matmul(x, y);
    case 'Softmax':
      return softmax(x, axisAttr(), false);
    case 'LogSoftmax':
      return softmax(x, axisAttr(), true);
    case 'Gemm': {
      const product = matmul(transposedLast(x, intAttr(node, 'transA') === 1), transposedLast(y, intAttr(node, 'transB') === 1));
      return args[2] ? binary('Add', product, args[2], product.dtype) : product;
    }
    case 'QuickGelu': {
      const alpha = floatAttr(node, 'alpha', 1.702);
      return { ...x, data: (x.data as Float64Array).map((v) => v / (1 + Math.exp(-alpha * v))) };
    }
    case 'MultiHeadAttention': {
      const heads = intAttr(node, 'num_heads');
      return multiHeadAttention(x, y, args[2]!, heads, floatAttr(node, 'scale', 1 / Math.sqrt(x.shape[2]! / heads)));
    }
    case 'ReduceSum':
      return reduce(x, y ? ints(y) : undefined, intAttr(node, 'keepdims') !== 0, false);
    case 'ReduceMean': {
      const axes = node.attrs.axes;
      return reduce(x, axes?.kind === 'ints' ? [...axes.value] : undefined, intAttr(node, 'keepdims') !== 0, true);
    }
    case 'Reshape': {
      const want = ints(y).map((d, i) => (d === 0 ? x.shape[i]! : d));
      const fill = sizeOf(x.shape) / sizeOf(want.filter((d) => d !== -1));
      return { ...x, shape: want.map((d) => (d === -1 ? fill : d)) };
    }
    case 'Transpose': {
      const perm = node.attrs.perm;
      return transpose(x, perm?.kind === 'ints' ? perm.value : x.shape.map((_, i) => rank - 1 - i));
    }
    case 'Concat':
      return concat(args, axisAttr());
    case 'Slice': {
      const axes = args[3] ? ints(args[3]) : ints(y).map((_, i) => i);
      return slice(x, ints(y), ints(args[2]!), axes, args[4] ? ints(args[4]) : axes.map(() => 1));
    }
    case 'Gather':
      return gather(x, y, axisAttr());
    case 'Expand': {
      const shape = broadcast(x.shape, ints(y));
      return gatherBy(x, shape, broadcastIndex(shape, x.shape));
    }
    case 'Unsqueeze': {
      const outRank = rank + ints(y).length;
      const shape = [...x.shape];
      for (const a of ints(y)
        .map((a) => (a < 0 ? a + outRank : a))
        .sort((p, q) => p - q))
        shape.splice(a, 0, 1);
      return { ...x, shape };
    }
    case 'Squeeze': {
      const axes = ints(y).map((a) => (a < 0 ? a + rank : a));
      return { ...x, shape: x.shape.filter((_, i) => !axes.includes(i)) };
    }
    case 'Cast': {
      const to = ONNX_TO_DTYPE[intAttr(node, 'to')];
      if (!to) throw new GraphError(`reference: Cast to ONNX type ${intAttr(node, 'to')} is not supported`);
      return cast(x, to);
    }
    default:
      throw new GraphError(`reference: no implementation of op '${node.op}' (computing '${node.outputs[0]?.name}')`);
  }
}

function fromHost(v: Value, t: HostTensor): Tensor {
  if (sizeOf(t.shape) !== sizeOf(v.shape) || t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
    throw new GraphError(`reference: feed '${v.name}' has shape ${fmtShape(t.shape)}, the graph wants ${fmtShape(v.shape)}`);
  }
  if (isFloat(v) !== isFloat(t)) throw new GraphError(`reference: feed '${v.name}' is ${t.dtype}, the graph wants ${v.dtype}`);
  return cast(numeric(t.dtype, [...t.shape], t.data as Data), v.dtype);
}

function toHost(t: Tensor): HostTensor {
  return { dtype: isFloat(t) ? 'float64' : t.dtype, shape: t.shape, data: t.data };
}

/** Every value of the graph by name: inputs, constants and node outputs. */
function valuesByName(g: Graph): Map<string, Value> {
  const byName = new Map<string, Value>();
  for (const v of g.inputs) byName.set(v.name, v);
  for (const n of g.nodes) for (const v of [...n.inputs, ...n.outputs]) byName.set(v.name, v);
  for (const o of g.outputs) byName.set(o.name, o.value);
  return byName;
}

/**
 * Evaluate `outputNames` (default: the graph's outputs; any value's name is accepted) from `feeds`
 * (one per graph input that the outputs depend on). Float results are float64 HostTensors.
 */
export function evaluate(g: Graph, feeds: Record<string, HostTensor>, outputNames?: readonly string[]): Record<string, HostTensor> {
  const byName = valuesByName(g);
  const names = outputNames ?? g.outputs.map((o) => o.name);
  const roots = names.map((name) => {
    const v = byName.get(name);
    if (!v) throw new GraphError(`reference: graph '${g.name}' has no value named '${name}'`);
    return v;
  });
  const env = new Map<number, Tensor>();
  const tensorOf = (v: Value): Tensor => {
    const known = env.get(v.id);
    if (known) return known;
    const c = g.constantData(v);
    const feed = feeds[v.name];
    let t: Tensor;
    if (c) t = cast(numeric(v.dtype, [...v.shape], c as Data), v.dtype);
    else if (feed) t = fromHost(v, feed);
    else throw new GraphError(`reference: no feed for graph input '${v.name}' ${v.dtype}${fmtShape(v.shape)}`);
    env.set(v.id, t);
    return t;
  };
  for (const node of nodesComputing(g, roots)) {
    const outs = run(node, node.inputs.map(tensorOf));
    node.outputs.forEach((want, i) => {
      const out = outs[i]!;
      if (out.shape.length !== want.shape.length || out.shape.some((d, j) => d !== want.shape[j])) {
        throw new GraphError(
          `reference: ${node.op} computed ${fmtShape(out.shape)} for '${want.name}', the graph declares ${fmtShape(want.shape)}`,
        );
      }
      env.set(want.id, out);
    });
  }
  return Object.fromEntries(names.map((name, i) => [name, toHost(tensorOf(roots[i]!))]));
}
