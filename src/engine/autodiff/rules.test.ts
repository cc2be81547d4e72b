// Every rule against central finite differences, in float64 through the reference interpreter.
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../graph/graph.ts';
import { evaluate } from '../graph/reference.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { backprop } from './grad.ts';
import { rules } from './rules.ts';
import { finiteDifference, randomTensor, relError, rng } from './finite-diff.testkit.ts';

interface Case {
  name: string;
  /** declares float64 inputs and returns the op's output; every float input is differentiated unless `wrt` says */
  build(g: Graph): Value;
  wrt?: string[];
  positive?: boolean;
  feeds?: Record<string, HostTensor>;
}

const x = (g: Graph, name: string, shape: number[]) => g.input(name, 'float64', shape);

const cases: Case[] = [
  { name: 'Add, both broadcast', build: (g) => g.add(x(g, 'a', [2, 3, 4]), x(g, 'b', [3, 1])) },
  { name: 'Add, lower rank first', build: (g) => g.add(x(g, 'a', [4]), x(g, 'b', [2, 3, 4])) },
  { name: 'Sub, broadcast', build: (g) => g.sub(x(g, 'a', [2, 3]), x(g, 'b', [1, 3])) },
  { name: 'Mul, broadcast', build: (g) => g.mul(x(g, 'a', [2, 1, 4]), x(g, 'b', [3, 1])) },
  { name: 'Div, broadcast', build: (g) => g.div(x(g, 'a', [2, 3]), x(g, 'b', [3])), positive: true },
  { name: 'Pow, constant exponent', build: (g) => g.pow(x(g, 'a', [2, 3]), g.scalar(2.5, 'float64')), positive: true },
  { name: 'Pow, tensor exponent not trained', build: (g) => g.pow(x(g, 'a', [2, 3]), x(g, 'p', [3])), wrt: ['a'], positive: true },
  { name: 'Neg', build: (g) => g.neg(x(g, 'a', [3, 2])) },
  { name: 'Exp', build: (g) => g.exp(x(g, 'a', [3, 2])) },
  { name: 'Log', build: (g) => g.log(x(g, 'a', [3, 2])), positive: true },
  { name: 'Sqrt', build: (g) => g.sqrt(x(g, 'a', [3, 2])), positive: true },
  { name: 'Sigmoid', build: (g) => g.sigmoid(x(g, 'a', [3, 2])) },
  { name: 'Relu', build: (g) => g.relu(x(g, 'a', [4, 3])) },
  { name: 'Tanh', build: (g) => g.tanh(x(g, 'a', [3, 2])) },
  { name: 'Identity', build: (g) => g.identity(x(g, 'a', [3])) },
  { name: 'QuickGelu', build: (g) => g.quickGelu(x(g, 'a', [2, 5])) },
  { name: 'MatMul 2-D', build: (g) => g.matmul(x(g, 'a', [3, 4]), x(g, 'b', [4, 5])) },
  { name: 'MatMul batched activations, shared weight', build: (g) => g.matmul(x(g, 'a', [2, 3, 4]), x(g, 'b', [4, 5])) },
  { name: 'MatMul shared left, batched right', build: (g) => g.matmul(x(g, 'a', [3, 4]), x(g, 'b', [2, 4, 5])) },
  { name: 'MatMul batch broadcast both ways', build: (g) => g.matmul(x(g, 'a', [2, 1, 3, 4]), x(g, 'b', [3, 4, 2])) },
  { name: 'MatMul only the left operand', build: (g) => g.matmul(x(g, 'a', [2, 3, 4]), x(g, 'b', [4, 5])), wrt: ['a'] },
  {
    name: 'MatMul with a transposed right operand (q @ kᵀ)',
    build: (g) => g.matmul(x(g, 'q', [2, 3, 4, 5]), g.transpose(x(g, 'k', [2, 3, 6, 5]), [0, 1, 3, 2])),
  },
  { name: 'Gemm', build: (g) => g.gemm(x(g, 'a', [3, 4]), x(g, 'b', [4, 5])) },
  {
    name: 'Gemm, both transposed, bias of a row',
    build: (g) => g.gemm(x(g, 'a', [4, 3]), x(g, 'b', [5, 4]), { transA: true, transB: true, c: x(g, 'c', [5]) }),
  },
  {
    name: 'Gemm, a transposed, bias of the whole product',
    build: (g) => g.gemm(x(g, 'a', [4, 3]), x(g, 'b', [4, 5]), { transA: true, c: x(g, 'c', [3, 5]) }),
  },
  {
    name: 'Gemm, b transposed, frozen weight',
    build: (g) => g.gemm(x(g, 'a', [3, 4]), x(g, 'w', [5, 4]), { transB: true, c: x(g, 'c', [1, 5]) }),
    wrt: ['a', 'c'],
  },
  {
    name: 'Linear over 3-D rows (one Gemm between reshapes)',
    build: (g) => g.linear(x(g, 'a', [2, 3, 4]), x(g, 'w', [4, 5]), x(g, 'b', [5])),
  },
  { name: 'Softmax, middle axis', build: (g) => g.softmax(x(g, 'a', [2, 3, 4]), 1) },
  { name: 'LogSoftmax, last axis', build: (g) => g.logSoftmax(x(g, 'a', [2, 3, 4])) },
  { name: 'LogSoftmax, axis 0', build: (g) => g.logSoftmax(x(g, 'a', [3, 4]), 0) },
  { name: 'LayerNormalization x, scale, bias', build: (g) => g.layerNorm(x(g, 'a', [2, 3, 5]), x(g, 's', [5]), x(g, 'b', [5]), 1e-5) },
  {
    name: 'LayerNormalization scale and bias only',
    build: (g) => g.layerNorm(x(g, 'a', [4, 6]), x(g, 's', [6]), x(g, 'b', [6]), 1e-3),
    wrt: ['s', 'b'],
  },
  { name: 'LayerNormalization x only', build: (g) => g.layerNorm(x(g, 'a', [4, 6]), x(g, 's', [6]), x(g, 'b', [6])), wrt: ['a'] },
  { name: 'ReduceSum, keepdims', build: (g) => g.reduceSum(x(g, 'a', [2, 3, 4]), [0, 2], true) },
  { name: 'ReduceSum, dropped axis', build: (g) => g.reduceSum(x(g, 'a', [2, 3, 4]), [1], false) },
  { name: 'ReduceMean, dropped axes', build: (g) => g.reduceMean(x(g, 'a', [2, 3, 4]), [0, -1], false) },
  { name: 'ReduceMean, keepdims', build: (g) => g.reduceMean(x(g, 'a', [2, 3]), [1], true) },
  { name: 'Reshape', build: (g) => g.reshape(x(g, 'a', [2, 6]), [3, 2, 2]) },
  { name: 'Transpose', build: (g) => g.transpose(x(g, 'a', [2, 3, 4]), [2, 0, 1]) },
  { name: 'Concat', build: (g) => g.concat([x(g, 'a', [2, 1, 3]), x(g, 'b', [2, 2, 3]), x(g, 'c', [2, 1, 3])], 1) },
  { name: 'Concat, one input frozen', build: (g) => g.concat([x(g, 'a', [2, 3]), x(g, 'b', [1, 3])], 0), wrt: ['b'] },
  {
    name: 'Concat, two of three inputs trained (one Split)',
    build: (g) => g.concat([x(g, 'a', [2, 1, 3]), x(g, 'b', [2, 2, 3]), x(g, 'c', [2, 1, 3])], 1),
    wrt: ['a', 'c'],
  },
  {
    name: 'Split, every piece used',
    build: (g) => {
      const [p, q, r] = g.split(x(g, 'a', [2, 6, 3]), [1, 3, 2], 1) as [Value, Value, Value];
      return g.concat([g.mul(p, p), g.exp(q), r], 1);
    },
  },
  {
    name: 'Split, one piece unused (its gradient is zero)',
    build: (g) => g.exp(g.split(x(g, 'a', [4, 5]), [2, 3], 1)[1]!),
  },
  { name: 'Slice, two axes', build: (g) => g.slice(x(g, 'a', [4, 5, 6]), [1, -3], [3, 100], [0, 2]) },
  { name: 'Slice, first row', build: (g) => g.slice(x(g, 'a', [3, 4]), [0], [1], [0]) },
  { name: 'Gather, constant indices with repeats', build: (g) => g.gather(x(g, 'a', [2, 4, 3]), g.int64s([3, 1, 3, -1]), 1) },
  {
    name: 'Gather, runtime indices',
    build: (g) => g.gather(x(g, 'a', [5, 3]), g.input('idx', 'int64', [2, 2]), 0),
    feeds: { idx: hostTensor('int64', [2, 2], BigInt64Array.from([4n, 0n, 2n, 2n])) },
  },
  { name: 'Gather, scalar index (class token)', build: (g) => g.gather(x(g, 'a', [2, 4, 3]), g.constant(BigInt64Array.of(0n), []), 1) },
  { name: 'Expand', build: (g) => g.expand(x(g, 'a', [3, 1]), [2, 3, 4]) },
  { name: 'Unsqueeze', build: (g) => g.unsqueeze(x(g, 'a', [2, 3]), [0, 3]) },
  { name: 'Squeeze', build: (g) => g.squeeze(x(g, 'a', [2, 1, 3, 1]), [1, -1]) },
  { name: 'Cast float64 → float32', build: (g) => g.cast(x(g, 'a', [2, 3]), 'float32') },
  {
    name: 'a value used twice (contributions add up)',
    build: (g) => {
      const a = x(g, 'a', [3]);
      return g.mul(g.exp(a), g.tanh(a));
    },
  },
];

describe('gradient rules vs central finite differences (float64)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const g = new Graph(c.name);
      const y = c.build(g);
      // a random linear functional of y makes every element of dL/dy different
      const rand = rng(c.name.length * 104729 + 1);
      const weights = randomTensor(rand, y.shape, -1, 1, 'float64');
      const w = g.constant(y.dtype === 'float32' ? Float32Array.from(weights.data as Float64Array) : weights.data, y.shape);
      const loss = g.reduceSum(
        g.mul(y, w),
        y.shape.map((_, i) => i),
        false,
      );
      g.output('loss', loss);
      const wrt = g.inputs.filter((v) => v.dtype === 'float64' && (!c.wrt || c.wrt.includes(v.name)));
      const { grads, gradOf } = backprop(g, loss, wrt);
      wrt.forEach((v, i) => {
        g.output(`${v.name}.grad`, grads[i]!);
      });
      for (const frozen of g.inputs.filter((v) => !wrt.includes(v))) expect(gradOf.has(frozen.id)).toBe(false);

      const feeds: Record<string, HostTensor> = { ...c.feeds };
      for (const v of g.inputs) feeds[v.name] ??= c.positive ? randomTensor(rand, v.shape, 0.5, 2) : randomTensor(rand, v.shape, -2, 2);
      const analytic = evaluate(g, feeds);
      for (const v of wrt) {
        const numeric = finiteDifference(g, feeds, 'loss', v.name);
        const err = relError(analytic[`${v.name}.grad`]!.data as Float64Array, numeric);
        expect(err, `d loss / d ${v.name}`).toBeLessThan(1e-7);
      }
    });
  }

  it('covers every op in the rule table', () => {
    const ops = new Set<string>();
    for (const c of cases) {
      const g = new Graph();
      c.build(g);
      for (const n of g.nodes) ops.add(n.op);
    }
    const untested = Object.keys(rules).filter((op) => !ops.has(op));
    expect(untested).toEqual([]);
  });
});
