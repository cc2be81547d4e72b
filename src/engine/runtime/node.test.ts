import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.ts';
import { createNodeRuntime } from './node.ts';
import { float32 } from '../graph/tensor.ts';

describe('node runtime', () => {
  const g = new Graph('affine');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.input('w', 'float32', [3, 1]);
  g.output('y', g.add(g.matmul(x, w), g.scalar(1)));

  it('runs a graph with uploaded (frozen) and host inputs', async () => {
    const rt = createNodeRuntime();
    const session = await rt.load(g);
    const weight = await rt.upload(float32([3, 1], [1, 2, 3]));
    const out = await session.run({ x: float32([2, 3], [1, 0, 0, 0, 1, 1]), w: weight });
    const y = await out.y!.read();
    expect(y.shape).toEqual([2, 1]);
    expect(Array.from(y.data as Float32Array)).toEqual([2, 6]);
    expect(out.y!.onDevice).toBe(false);
  });

  it('reuses tensors: writes inputs in place and runs outputs into tensors made once', async () => {
    const rt = createNodeRuntime();
    const session = await rt.load(g);
    const { alloc, write } = rt.reuse!;
    const input = alloc('float32', [2, 3]);
    const y = alloc('float32', [2, 1]);
    const weight = await rt.upload(float32([3, 1], [1, 2, 3]));
    for (const [row, want] of [
      [
        [1, 0, 0, 0, 1, 1],
        [2, 6],
      ],
      [
        [0, 0, 1, 1, 1, 1],
        [4, 7],
      ],
    ] as const) {
      write(input, float32([2, 3], row));
      const out = await session.run({ x: input, w: weight }, { y });
      expect(out.y).toBe(y);
      expect(Array.from((await y.read()).data as Float32Array)).toEqual(want);
    }
    expect(() => write(input, float32([3, 2]))).toThrow('cannot write float32[3,2] into a float32[2,3] tensor');
    const kept = alloc('float32', [2, 1]);
    rt.reuse!.copy([[y, kept]]);
    expect(Array.from((await kept.read()).data as Float32Array)).toEqual([4, 7]);
    await expect(rt.load(g, { graphCapture: true })).rejects.toThrow(
      "graph capture needs onnxruntime-web's WebGPU EP (this runtime is cpu)",
    );
    await expect(session.run({ x: input, w: weight }, { z: y })).rejects.toThrow('cannot run into z: the model outputs y');
  });

  it('names the input and both shapes when a feed does not fit', async () => {
    const session = await createNodeRuntime().load(g);
    await expect(session.run({ x: float32([2, 4]), w: float32([3, 1]) })).rejects.toThrow(
      "input 'x' expects float32[2,3], got float32[2,4]",
    );
    await expect(session.run({ x: float32([2, 3]) })).rejects.toThrow("input 'w' (float32[3,1]) was not fed");
    await expect(session.run({ x: float32([2, 3]), w: float32([3, 1]), z: float32([1]) })).rejects.toThrow("unknown input(s) 'z'");
  });

  it('runs single-threaded on request, with the same bits every run, and refuses a thread count that is not a whole number ≥ 1', async () => {
    const big = new Graph('sums');
    const a = big.input('a', 'float32', [64, 4096]);
    const b = big.input('b', 'float32', [4096, 64]);
    big.output('y', big.reduceSum(big.matmul(a, b), [0, 1], false));
    const fill = (shape: [number, number], k: number) =>
      float32(
        shape,
        Array.from({ length: 64 * 4096 }, (_, i) => Math.sin(i * k) * 1e3),
      );
    const session = await createNodeRuntime({ cpuThreads: 1 }).load(big);
    const feeds = { a: fill([64, 4096], 0.37), b: fill([4096, 64], 0.11) };
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(((await (await session.run(feeds)).y!.read()).data as Float32Array)[0]);
    expect(new Set(runs).size).toBe(1);
    for (const bad of [0, 1.5, Number.NaN]) expect(() => createNodeRuntime({ cpuThreads: bad })).toThrow(/whole number ≥ 1/);
  });
});
