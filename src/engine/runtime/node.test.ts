import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.ts';
import { createNodeRuntime } from './node.ts';
import { float32 } from './tensor.ts';

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

  it('names the input and both shapes when a feed does not fit', async () => {
    const session = await createNodeRuntime().load(g);
    await expect(session.run({ x: float32([2, 4]), w: float32([3, 1]) })).rejects.toThrow("input 'x' expects float32[2,3], got float32[2,4]");
    await expect(session.run({ x: float32([2, 3]) })).rejects.toThrow("input 'w' (float32[3,1]) was not fed");
    await expect(session.run({ x: float32([2, 3]), w: float32([3, 1]), z: float32([1]) })).rejects.toThrow("unknown input(s) 'z'");
  });
});
