// The reference interpreter against onnxruntime-node, op by op, on float32 graphs.
import { describe, expect, it } from 'vitest';
import { Graph, GraphError, type Value } from './graph.ts';
import { evaluate } from './reference.ts';
import { hostTensor, type HostTensor } from './tensor.ts';
import { randomTensor, relError, rng, runOnOrt } from '../autodiff/finite-diff.testkit.ts';

interface Case {
  name: string;
  /** declares inputs (random float32 feeds, unless `feeds` gives one) and returns the output */
  build(g: Graph): Value;
  positive?: boolean;
  feeds?: Record<string, HostTensor>;
}

const x = (g: Graph, name: string, shape: number[]) => g.input(name, 'float32', shape);
const i64 = (shape: number[], values: number[]) => hostTensor('int64', shape, BigInt64Array.from(values.map(BigInt)));

const cases: Case[] = [
  { name: 'Add (broadcast)', build: (g) => g.add(x(g, 'a', [2, 3, 4]), x(g, 'b', [3, 1])) },
  { name: 'Sub (broadcast)', build: (g) => g.sub(x(g, 'a', [4]), x(g, 'b', [2, 3, 4])) },
  { name: 'Mul (broadcast)', build: (g) => g.mul(x(g, 'a', [2, 1, 4]), x(g, 'b', [3, 1])) },
  { name: 'Div', build: (g) => g.div(x(g, 'a', [2, 3]), x(g, 'b', [2, 3])), positive: true },
  { name: 'Pow', build: (g) => g.pow(x(g, 'a', [2, 3]), g.scalar(1.5)), positive: true },
  { name: 'Neg', build: (g) => g.neg(x(g, 'a', [5])) },
  { name: 'Exp', build: (g) => g.exp(x(g, 'a', [5])) },
  { name: 'Log', build: (g) => g.log(x(g, 'a', [5])), positive: true },
  { name: 'Sqrt', build: (g) => g.sqrt(x(g, 'a', [5])), positive: true },
  { name: 'Sigmoid', build: (g) => g.sigmoid(x(g, 'a', [5])) },
  { name: 'Relu', build: (g) => g.relu(x(g, 'a', [7])) },
  { name: 'Tanh', build: (g) => g.tanh(x(g, 'a', [5])) },
  { name: 'Identity', build: (g) => g.identity(x(g, 'a', [2, 2])) },
  { name: 'QuickGelu', build: (g) => g.quickGelu(x(g, 'a', [3, 4])) },
  { name: 'MatMul 2-D', build: (g) => g.matmul(x(g, 'a', [3, 4]), x(g, 'b', [4, 5])) },
  { name: 'MatMul batched, shared weight', build: (g) => g.matmul(x(g, 'a', [2, 3, 4]), x(g, 'b', [4, 5])) },
  { name: 'MatMul batch broadcast', build: (g) => g.matmul(x(g, 'a', [2, 1, 3, 4]), x(g, 'b', [3, 4, 2])) },
  { name: 'Gemm', build: (g) => g.gemm(x(g, 'a', [3, 4]), x(g, 'b', [4, 5])) },
  {
    name: 'Gemm, both transposed, with a bias',
    build: (g) => g.gemm(x(g, 'a', [4, 3]), x(g, 'b', [5, 4]), { transA: true, transB: true, c: x(g, 'c', [5]) }),
  },
  { name: 'Linear over 3-D rows (Gemm)', build: (g) => g.linear(x(g, 'a', [2, 3, 4]), x(g, 'w', [4, 5]), x(g, 'b', [5])) },
  {
    name: 'MultiHeadAttention',
    build: (g) => g.multiHeadAttention(x(g, 'q', [2, 5, 8]), x(g, 'k', [2, 3, 8]), x(g, 'v', [2, 3, 6]), 2, 0.7),
  },
  { name: 'Split (the middle piece)', build: (g) => g.split(x(g, 'a', [2, 7, 3]), [2, 4, 1], 1)[1]! },
  { name: 'Softmax axis 1', build: (g) => g.softmax(x(g, 'a', [2, 3, 4]), 1) },
  { name: 'LogSoftmax last axis', build: (g) => g.logSoftmax(x(g, 'a', [2, 3, 4])) },
  { name: 'LayerNormalization', build: (g) => g.layerNorm(x(g, 'a', [2, 3, 5]), x(g, 's', [5]), x(g, 'b', [5]), 1e-5) },
  {
    name: 'LayerNormalization, its mean and 1/σ outputs too',
    build: (g) => {
      const y = g.layerNorm(x(g, 'a', [2, 3, 5]), x(g, 's', [5]), x(g, 'b', [5]), 1e-3);
      const [, mean, invStd] = y.producer!.outputs as [Value, Value, Value];
      return g.add(g.mul(y, mean), invStd);
    },
  },
  { name: 'ReduceSum keepdims', build: (g) => g.reduceSum(x(g, 'a', [2, 3, 4]), [0, 2], true) },
  { name: 'ReduceSum dropped axes', build: (g) => g.reduceSum(x(g, 'a', [2, 3, 4]), [1], false) },
  { name: 'ReduceMean', build: (g) => g.reduceMean(x(g, 'a', [2, 3, 4]), [-1], false) },
  { name: 'Reshape', build: (g) => g.reshape(x(g, 'a', [2, 6]), [3, -1]) },
  { name: 'Transpose', build: (g) => g.transpose(x(g, 'a', [2, 3, 4]), [2, 0, 1]) },
  { name: 'Concat', build: (g) => g.concat([x(g, 'a', [2, 1, 3]), x(g, 'b', [2, 2, 3]), x(g, 'c', [2, 1, 3])], 1) },
  { name: 'Slice', build: (g) => g.slice(x(g, 'a', [4, 5, 6]), [1, -3], [3, 100], [0, 2]) },
  { name: 'Gather (constant, negative index)', build: (g) => g.gather(x(g, 'a', [2, 4, 3]), g.int64s([3, 1, 3, -1]), 1) },
  {
    name: 'Gather (runtime int64 indices)',
    build: (g) => g.gather(x(g, 'a', [5, 3]), g.input('idx', 'int64', [2, 2]), 0),
    feeds: { idx: i64([2, 2], [4, 0, 2, 2]) },
  },
  { name: 'Expand', build: (g) => g.expand(x(g, 'a', [3, 1]), [2, 3, 4]) },
  { name: 'Unsqueeze', build: (g) => g.unsqueeze(x(g, 'a', [2, 3]), [0, 3]) },
  { name: 'Squeeze', build: (g) => g.squeeze(x(g, 'a', [2, 1, 3, 1]), [1, -1]) },
  { name: 'Cast float32 → float64', build: (g) => g.cast(x(g, 'a', [4]), 'float64') },
  { name: 'Greater → Cast', build: (g) => g.cast(g.greater(x(g, 'a', [2, 4]), x(g, 'b', [4])), 'float32') },
  {
    name: 'Equal (int64) → Cast',
    build: (g) => g.cast(g.equal(g.input('i', 'int64', [3, 1]), g.int64s([0, 1, 2, 3])), 'float32'),
    feeds: { i: i64([3, 1], [2, 0, 7]) },
  },
];

describe('reference interpreter vs onnxruntime-node (float32)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const g = new Graph(c.name);
      g.output('y', c.build(g));
      const rand = rng(c.name.length * 7919);
      const feeds: Record<string, HostTensor> = { ...c.feeds };
      for (const v of g.inputs) {
        feeds[v.name] ??= c.positive ? randomTensor(rand, v.shape, 0.5, 2, 'float32') : randomTensor(rand, v.shape, -2, 2, 'float32');
      }
      const ours = evaluate(g, feeds).y!;
      const ort = (await runOnOrt(g, feeds)).y!;
      expect(ours.shape).toEqual(ort.shape);
      const err = relError(Array.from(ort.data as Float32Array), ours.data as Float64Array);
      expect(err).toBeLessThanOrEqual(1e-6);
    });
  }

  it('keeps integer results integer', () => {
    const g = new Graph('ints');
    const ids = g.input('ids', 'int64', [3]);
    g.output('y', g.add(ids, g.int64s([10, 20, 30])));
    const y = evaluate(g, { ids: i64([3], [1, 2, 3]) }).y!;
    expect(y.dtype).toBe('int64');
    expect(Array.from(y.data as BigInt64Array, Number)).toEqual([11, 22, 33]);
  });

  it('names what is missing or wrong', () => {
    const g = new Graph('bad');
    const a = g.input('a', 'float32', [2]);
    g.output('y', g.neg(a));
    expect(() => evaluate(g, {})).toThrow(GraphError);
    expect(() => evaluate(g, {})).toThrow("no feed for graph input 'a' float32[2]");
    expect(() => evaluate(g, { a: hostTensor('float32', [3]) })).toThrow("feed 'a' has shape [3], the graph wants [2]");
    expect(() => evaluate(g, { a: hostTensor('float32', [2]) }, ['nope'])).toThrow("no value named 'nope'");
  });
});
