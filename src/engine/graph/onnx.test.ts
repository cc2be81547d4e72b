import { describe, expect, it } from 'vitest';
import { Graph } from './graph.ts';
import { toOnnx } from './onnx.ts';
import { evaluate } from './reference.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { float32 } from './tensor.ts';
import onnxProto from 'onnx-proto';

const opTypes = (bytes: Uint8Array) => onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);

describe('toOnnx', () => {
  it('names outputs by renaming values, and copies only inputs or a value output twice', async () => {
    const g = new Graph('names');
    const x = g.input('x', 'float32', [2]);
    const y = g.mul(x, x);
    g.output('y', y);
    g.output('y_again', y);
    g.output('x_out', x);
    expect(opTypes(toOnnx(g))).toEqual(['Mul', 'Identity', 'Identity']);
    const out = await (await createNodeRuntime().load(g)).run({ x: float32([2], [2, 3]) });
    for (const k of ['y', 'y_again']) expect(Array.from((await out[k]!.read()).data as Float32Array)).toEqual([4, 9]);
    expect(Array.from((await out.x_out!.read()).data as Float32Array)).toEqual([2, 3]);
    expect(() => g.output('y', x)).toThrow(/duplicate output name 'y'/);
  });

  it('lowers LogSoftmax to ops WebGPU has, stable for large logits', async () => {
    const g = new Graph('lsm');
    const x = g.input('x', 'float32', [2, 3]);
    g.output('y', g.logSoftmax(x, 1));
    expect(opTypes(toOnnx(g))).toEqual(['ReduceMax', 'Sub', 'Exp', 'ReduceSum', 'Log', 'Sub']);
    const feed = float32([2, 3], [100, -100, 0, 1, 2, 3]);
    const ours = (await (await createNodeRuntime().load(g)).run({ x: feed })).y!;
    const ref = evaluate(g, { x: feed }).y!;
    const a = (await ours.read()).data as Float32Array;
    for (let i = 0; i < 6; i++) expect(a[i]).toBeCloseTo(Number(ref.data[i]), 4);
    expect(a[1]).toBeCloseTo(-200, 3); // no underflow to -inf
  });

  it("emits LayerNormalization's statistics only when something reads them, and contrib ops in their own domain", () => {
    const g = new Graph('ln');
    const y = g.layerNorm(g.input('x', 'float32', [2, 4]), g.input('s', 'float32', [4]), g.input('b', 'float32', [4]));
    g.output('y', g.quickGelu(y));
    const plain = onnxProto.onnx.ModelProto.decode(toOnnx(g));
    expect(plain.graph!.node![0]!.output).toHaveLength(1);
    expect(plain.graph!.node![1]).toMatchObject({ opType: 'QuickGelu', domain: 'com.microsoft' });
    expect(plain.opsetImport!.map((o) => o.domain)).toEqual(['', 'com.microsoft']);
    g.output('mean', y.producer!.outputs[1]!);
    expect(onnxProto.onnx.ModelProto.decode(toOnnx(g)).graph!.node![0]!.output).toHaveLength(2);
  });
});

describe('graph building folds layout chains', () => {
  it('composes a transpose of a transpose, and drops it when they cancel', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', [2, 3, 4]);
    const once = g.transpose(x, [1, 2, 0]);
    expect(g.transpose(once, [2, 0, 1])).toBe(x);
    const twice = g.transpose(once, [0, 2, 1]); // [3,4,2] → [3,2,4]
    expect(twice.producer!.inputs[0]).toBe(x);
    expect(twice.producer!.attrs.perm).toEqual({ kind: 'ints', value: [1, 0, 2] });
    expect(twice.shape).toEqual([3, 2, 4]);
  });

  it('makes one reshape of a chain, and none to the same shape', () => {
    const g = new Graph('r');
    const x = g.input('x', 'float32', [2, 6]);
    expect(g.reshape(x, [2, -1])).toBe(x);
    const y = g.reshape(g.reshape(x, [3, 4]), [4, 3]);
    expect(y.producer!.inputs[0]).toBe(x);
    expect(g.reshape(g.reshape(x, [12]), [2, 6])).toBe(x);
  });
});
