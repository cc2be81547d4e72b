// Reverse-mode rules, one per op: given dL/d(outputs), emit graph nodes for dL/d(inputs).
//
// A rule gets the forward node, the gradients of its outputs and, per input, whether that input
// needs a gradient; it builds nodes only for inputs that do (frozen weights cost nothing).
// Shapes are static, so every broadcasting reduction is decided here at build time.
import { type Graph, GraphError, sizeOf, type OpNode, type Shape, type Value } from '../graph/graph.ts';

export type Rule = (g: Graph, node: OpNode, dOut: readonly (Value | undefined)[], needs: readonly boolean[]) => (Value | undefined)[];

/** Sum `grad` (a broadcast result) back down to `target`, the shape of the operand that was broadcast. */
export function unbroadcast(g: Graph, grad: Value, target: Shape): Value {
  const lead = grad.shape.length - target.length;
  const axes = grad.shape.flatMap((d, i) => (i < lead || (target[i - lead] === 1 && d !== 1) ? [i] : []));
  const summed = axes.length > 0 ? g.reduceSum(grad, axes, true) : grad;
  const same = summed.shape.length === target.length && summed.shape.every((d, i) => d === target[i]);
  return same ? summed : g.reshape(summed, target);
}

const scalar = (g: Graph, like: Value, x: number) => g.scalar(x, like.dtype);

/** swap the last two axes: [..., n, k] → [..., k, n] */
function transposeLast(g: Graph, x: Value): Value {
  const r = x.shape.length;
  return g.transpose(x, [...x.shape.slice(0, -2).map((_, i) => i), r - 1, r - 2]);
}

/** v is the transpose of its input's last two axes (attention's kᵀ) */
function isTransposeLast(v: Value): boolean {
  const p = v.producer;
  if (p?.op !== 'Transpose') return false;
  const perm = (p.attrs.perm as { value: readonly number[] }).value;
  const r = perm.length;
  return perm.every((q, i) => (i < r - 2 ? q === i : q === (i === r - 2 ? r - 1 : r - 2)));
}

/** a and b have the same batch dims (nothing broadcast, nothing to sum back) */
const sameBatch = (a: Value, b: Value) => a.shape.length === b.shape.length && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);

/** integer contents of a constant input (axes, bounds); they must be known when the graph is built */
function constInts(g: Graph, node: OpNode, index: number): number[] {
  const v = node.inputs[index]!;
  const data = g.constantData(v);
  if (!data) throw new GraphError(`${node.op}: gradient needs '${v.name}' to be a constant`);
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

const reduceAxes = (x: Value, axes: number[]) =>
  axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + x.shape.length : a));

/** gradient of a sum over `axes`: put the reduced axes back (size 1) and broadcast to the input */
function spreadBack(g: Graph, node: OpNode, gy: Value, axes: number[]): Value {
  const x = node.inputs[0]!;
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const k = node.attrs.keepdims;
  const restored = k?.kind === 'int' && k.value === 0 ? g.reshape(gy, kept) : gy;
  return g.expand(restored, x.shape);
}

/** zeros of `shape`, as a broadcast scalar so that no big constant lands in the model */
const zeros = (g: Graph, like: Value, shape: Shape) => g.expand(scalar(g, like, 0), shape);

// each rule returns one entry per input; `undefined` where no gradient is needed
export const rules: Record<string, Rule> = {
  Identity: (_g, _n, [gy], needs) => [needs[0] ? gy : undefined],
  Neg: (g, _n, [gy], needs) => [needs[0] ? g.neg(gy!) : undefined],

  Add: (g, { inputs: [a, b] }, [gy], needs) => [
    needs[0] ? unbroadcast(g, gy!, a!.shape) : undefined,
    needs[1] ? unbroadcast(g, gy!, b!.shape) : undefined,
  ],
  Sub: (g, { inputs: [a, b] }, [gy], needs) => [
    needs[0] ? unbroadcast(g, gy!, a!.shape) : undefined,
    needs[1] ? g.neg(unbroadcast(g, gy!, b!.shape)) : undefined,
  ],
  Mul: (g, { inputs: [a, b] }, [gy], needs) => [
    needs[0] ? unbroadcast(g, g.mul(gy!, b!), a!.shape) : undefined,
    needs[1] ? unbroadcast(g, g.mul(gy!, a!), b!.shape) : undefined,
  ],
  // y = a / b:  da = gy / b,  db = −gy · y / b
  Div: (g, { inputs: [a, b], outputs: [y] }, [gy], needs) => [
    needs[0] ? unbroadcast(g, g.div(gy!, b!), a!.shape) : undefined,
    needs[1] ? g.neg(unbroadcast(g, g.mul(gy!, g.div(y!, b!)), b!.shape)) : undefined,
  ],
  // y = a^p: da = gy · p · a^(p−1); the exponent is a hyper-parameter, never trained
  Pow: (g, { inputs: [a, p] }, [gy], needs) => {
    if (needs[1]) throw new GraphError(`Pow: no gradient with respect to the exponent '${p!.name}' (only the base is differentiable)`);
    if (!needs[0]) return [undefined, undefined];
    const slope = g.mul(p!, g.pow(a!, g.sub(p!, scalar(g, p!, 1))));
    return [unbroadcast(g, g.mul(gy!, slope), a!.shape), undefined];
  },

  Exp: (g, { outputs: [y] }, [gy], needs) => [needs[0] ? g.mul(gy!, y!) : undefined],
  Log: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? g.div(gy!, x!) : undefined],
  // d√x = 1 / (2√x)
  Sqrt: (g, { outputs: [y] }, [gy], needs) => [needs[0] ? g.div(g.mul(gy!, scalar(g, y!, 0.5)), y!) : undefined],
  Sigmoid: (g, { outputs: [y] }, [gy], needs) => [needs[0] ? g.mul(gy!, g.mul(y!, g.sub(scalar(g, y!, 1), y!))) : undefined],
  Tanh: (g, { outputs: [y] }, [gy], needs) => [needs[0] ? g.mul(gy!, g.sub(scalar(g, y!, 1), g.mul(y!, y!))) : undefined],
  // the kink at 0 gets slope 0, like PyTorch
  Relu: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? g.mul(gy!, g.cast(g.greater(x!, scalar(g, x!, 0)), x!.dtype)) : undefined],

  // y = a @ b (batched, batch dims broadcast): da = gy @ bᵀ, db = aᵀ @ gy, each summed over broadcast batches.
  // A shared 2-D weight b takes Gemm on the rows folded together, its transposes as flags (no Transpose
  // kernel). When b is itself the transpose of k (attention's q @ kᵀ), db is written as (gyᵀ @ a)ᵀ:
  // the Transpose rule for b then cancels the outer transpose, and dk = gyᵀ @ a costs one transpose, not three.
  MatMul: (g, { inputs: [a, b] }, [gy], needs) => {
    const k = a!.shape[a!.shape.length - 1]!,
      m = b!.shape[b!.shape.length - 1]!;
    const sharedWeight = b!.shape.length === 2;
    let da: Value | undefined;
    if (needs[0] && sharedWeight) da = g.reshape(g.gemm(g.reshape(gy!, [-1, m]), b!, { transB: true }), a!.shape);
    else if (needs[0]) da = unbroadcast(g, g.matmul(gy!, transposeLast(g, b!)), a!.shape);
    let db: Value | undefined;
    if (needs[1] && sharedWeight) db = g.gemm(g.reshape(a!, [-1, k]), g.reshape(gy!, [-1, m]), { transA: true });
    else if (needs[1] && isTransposeLast(b!) && sameBatch(a!, b!)) db = transposeLast(g, g.matmul(transposeLast(g, gy!), a!));
    else if (needs[1]) db = unbroadcast(g, g.matmul(transposeLast(g, a!), gy!), b!.shape);
    return [da, db];
  },

  // y = op(a) @ op(b) + c, op transposing where the node says: each operand's gradient is one Gemm
  // with the flags that put its factors in place (d op(a) = gy @ op(b)ᵀ, d op(b) = op(a)ᵀ @ gy)
  Gemm: (g, { inputs: [a, b, c], attrs }, [gy], needs) => {
    const transA = (attrs.transA as { value: number } | undefined)?.value === 1,
      transB = (attrs.transB as { value: number } | undefined)?.value === 1;
    const da = !needs[0] ? undefined : transA ? g.gemm(b!, gy!, { transA: transB, transB: true }) : g.gemm(gy!, b!, { transB: !transB });
    const db = !needs[1] ? undefined : transB ? g.gemm(gy!, a!, { transA: true, transB: transA }) : g.gemm(a!, gy!, { transA: !transA });
    return [da, db, ...(c ? [needs[2] ? unbroadcast(g, gy!, c.shape) : undefined] : [])];
  },

  // dx = y · (gy − Σ gy·y) along the softmax axis
  Softmax: (g, { outputs: [y], attrs }, [gy], needs) => {
    if (!needs[0]) return [undefined];
    const axis = (attrs.axis as { value: number }).value;
    return [g.mul(y!, g.sub(gy!, g.reduceSum(g.mul(gy!, y!), [axis], true)))];
  },
  // dx = gy − softmax(x) · Σ gy, with softmax(x) = exp(y)
  LogSoftmax: (g, { outputs: [y], attrs }, [gy], needs) => {
    if (!needs[0]) return [undefined];
    const axis = (attrs.axis as { value: number }).value;
    return [g.sub(gy!, g.mul(g.exp(y!), g.reduceSum(gy!, [axis], true)))];
  },

  // y = x̂ · scale + bias with x̂ = (x − μ) · (1/σ) over the last axis; μ and 1/σ are the node's own
  // outputs 1 and 2 (the forward kernel computes them anyway), so they are read, not computed again
  LayerNormalization: (g, { inputs: [x, scale, bias], outputs: [, mean, invStdDev], attrs }, [gy], needs) => {
    const axis = (attrs.axis as { value: number }).value;
    if (axis !== -1 && axis !== x!.shape.length - 1)
      throw new GraphError(`LayerNormalization: gradient only over the last axis, not axis ${axis}`);
    const dBias = needs[2] ? unbroadcast(g, gy!, bias!.shape) : undefined;
    if (!needs[0] && !needs[1]) return [undefined, undefined, dBias];
    // the statistics are float32 for a float16 x
    const stat = (v: Value) => (v.dtype === x!.dtype ? v : g.cast(v, x!.dtype));
    const invStd = stat(invStdDev!);
    const xHat = g.mul(g.sub(x!, stat(mean!)), invStd);
    const dScale = needs[1] ? unbroadcast(g, g.mul(gy!, xHat), scale!.shape) : undefined;
    let dx: Value | undefined;
    if (needs[0]) {
      // dx = (1/σ) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) with ĝ = gy · scale
      const gHat = g.mul(gy!, scale!);
      const meanG = g.reduceMean(gHat, [-1], true);
      const meanGX = g.reduceMean(g.mul(gHat, xHat), [-1], true);
      dx = g.mul(invStd, g.sub(g.sub(gHat, meanG), g.mul(xHat, meanGX)));
    }
    return [dx, dScale, dBias];
  },

  // y = x · s with s = σ(αx): dy/dx = s · (1 + αx · (1 − s)); s is computed again (the kernel keeps only y)
  QuickGelu: (g, { inputs: [x], attrs }, [gy], needs) => {
    if (!needs[0]) return [undefined];
    const alpha = (attrs.alpha as { value: number }).value;
    const t = g.mul(x!, scalar(g, x!, alpha));
    const s = g.sigmoid(t);
    const slope = g.mul(s, g.add(scalar(g, x!, 1), g.mul(t, g.sub(scalar(g, x!, 1), s))));
    return [g.mul(gy!, slope)];
  },

  ReduceSum: (g, node, [gy], needs) => {
    if (!needs[0]) return [undefined, undefined];
    const axes = reduceAxes(node.inputs[0]!, node.inputs.length > 1 ? constInts(g, node, 1) : []);
    return [spreadBack(g, node, gy!, axes), undefined];
  },
  ReduceMean: (g, node, [gy], needs) => {
    if (!needs[0]) return [undefined];
    const x = node.inputs[0]!;
    const a = node.attrs.axes;
    const axes = reduceAxes(x, a?.kind === 'ints' ? [...a.value] : []);
    const count = sizeOf(x.shape) / sizeOf(node.outputs[0]!.shape);
    return [spreadBack(g, node, g.mul(gy!, scalar(g, gy!, 1 / count)), axes)];
  },

  Reshape: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? g.reshape(gy!, x!.shape) : undefined, undefined],
  Unsqueeze: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? g.reshape(gy!, x!.shape) : undefined, undefined],
  Squeeze: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? g.reshape(gy!, x!.shape) : undefined, undefined],
  Expand: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? unbroadcast(g, gy!, x!.shape) : undefined, undefined],
  Transpose: (g, { attrs }, [gy], needs) => {
    if (!needs[0]) return [undefined];
    const perm = (attrs.perm as { value: readonly number[] }).value;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.transpose(gy!, inverse)];
  },
  // float → float only: an integer result is piecewise constant and never on a gradient path
  Cast: (g, { inputs: [x] }, [gy], needs) => [needs[0] ? g.cast(gy!, x!.dtype) : undefined],

  // the pieces of gy: one Split kernel where several inputs need theirs, a Slice where one does
  Concat: (g, { inputs, attrs }, [gy], needs) => {
    const axis = (attrs.axis as { value: number }).value;
    if (needs.filter(Boolean).length > 1) {
      const pieces = g.split(
        gy!,
        inputs.map((x) => x.shape[axis]!),
        axis,
      );
      return pieces.map((p, i) => (needs[i] ? p : undefined));
    }
    let start = 0;
    return inputs.map((x, i) => {
      const piece = needs[i] ? g.slice(gy!, [start], [start + x.shape[axis]!], [axis]) : undefined;
      start += x.shape[axis]!;
      return piece;
    });
  },
  // the pieces' gradients side by side, zeros for a piece nothing reads
  Split: (g, { inputs: [x], outputs, attrs }, dOut, needs) => {
    if (!needs[0]) return [undefined, undefined];
    const axis = (attrs.axis as { value: number }).value;
    return [
      g.concat(
        outputs.map((o, i) => dOut[i] ?? zeros(g, x!, o.shape)),
        axis,
      ),
      undefined,
    ];
  },
  // the slice's gradient sits in a zero tensor of the input's shape: pad with zeros axis by axis
  Slice: (g, node, [gy], needs) => {
    if (!needs[0]) return [undefined, undefined, undefined, undefined];
    const x = node.inputs[0]!;
    const starts = constInts(g, node, 1),
      axes = constInts(g, node, 3);
    if (node.inputs.length > 4 && constInts(g, node, 4).some((s) => s !== 1)) throw new GraphError('Slice: gradient only for step 1');
    let grad = gy!;
    axes.forEach((axis, i) => {
      const a = axis < 0 ? axis + x.shape.length : axis;
      const d = x.shape[a]!;
      const before = Math.min(Math.max(starts[i]! < 0 ? starts[i]! + d : starts[i]!, 0), d);
      const after = d - before - grad.shape[a]!;
      const pad = (n: number) =>
        zeros(
          g,
          grad,
          grad.shape.map((s, j) => (j === a ? n : s)),
        );
      const parts = [...(before > 0 ? [pad(before)] : []), grad, ...(after > 0 ? [pad(after)] : [])];
      if (parts.length > 1) grad = g.concat(parts, a);
    });
    return [grad, undefined, undefined, undefined];
  },
  // y = data[..., idx, ...]: each data row gets the sum of the output rows that picked it, written as
  // a one-hot matmul. Runtime indices must lie in [0, N); constant ones may be negative.
  Gather: (g, node, [gy], needs) => {
    if (!needs[0]) return [undefined, undefined];
    const [data, indices] = node.inputs as [Value, Value];
    const axis = (node.attrs.axis as { value: number }).value;
    const n = data.shape[axis]!;
    const picks = sizeOf(indices.shape);
    const constIdx = g.constantData(indices);
    const arange = Array.from({ length: n }, (_, i) => i);
    const idx = constIdx ? g.int64s(Array.from(constIdx as ArrayLike<number | bigint>, (i) => (Number(i) + n) % n)) : indices;
    const range = idx.dtype === 'int32' ? g.constant(Int32Array.from(arange), [n]) : g.int64s(arange);
    // oneHot[p, r] = 1 where pick p chose row r: [picks, n]
    const oneHot = g.cast(g.equal(g.reshape(idx, [picks, 1]), range), gy!.dtype);
    const outer = sizeOf(data.shape.slice(0, axis)),
      inner = sizeOf(data.shape.slice(axis + 1));
    // [n, picks] @ [outer, picks, inner] → [outer, n, inner]
    const summed = g.matmul(g.transpose(oneHot, [1, 0]), g.reshape(gy!, [outer, picks, inner]));
    return [g.reshape(summed, data.shape), undefined];
  },
};
