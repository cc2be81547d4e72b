import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../runtime/node.ts';
import { scanOverBatch } from './batch-scan.ts';
import { Graph } from './graph.ts';
import { toOnnx } from './onnx.ts';
import { hostTensor } from './tensor.ts';

/** a batch-1 model: y [1,2] = exp(x [1,2]) · w, w = [2, 3] */
function rowModel(): Uint8Array {
  const g = new Graph('row');
  const x = g.input('x', 'float32', [1, 2]);
  g.output('y', g.mul(g.exp(x), g.constant(Float32Array.of(2, 3), [2])));
  return toOnnx(g);
}

describe('scanOverBatch', () => {
  it('runs the batch-1 model on every row of any batch, under the outer names', async () => {
    const rt = createNodeRuntime();
    const session = await rt.load(scanOverBatch(rowModel(), { input: 'pixels', outputs: { y: 'logits' } }));
    for (const n of [1, 3]) {
      const x = Float32Array.from({ length: 2 * n }, (_, i) => i / 4);
      const out = await session.run({ pixels: hostTensor('float32', [n, 2], x) });
      const y = await out.logits!.read();
      expect(y.shape).toEqual([n, 2]);
      const want = Array.from(x, (v, i) => Math.fround(Math.exp(v)) * (i % 2 === 0 ? 2 : 3));
      Array.from(y.data as Float32Array).forEach((v, i) => {
        expect(v).toBeCloseTo(want[i]!, 5);
      });
    }
    await session.release();
  });

  it('refuses outer names that are names inside the batch-1 model, and outputs left unnamed', () => {
    expect(() => scanOverBatch(rowModel(), { input: 'x', outputs: { y: 'logits' } })).toThrow(
      "scanOverBatch: the outer name 'x' is a name inside the batch-1 model; choose another",
    );
    expect(() => scanOverBatch(rowModel(), { input: 'pixels', outputs: { y: 'y' } })).toThrow("the outer name 'y'");
    expect(() => scanOverBatch(rowModel(), { input: 'pixels', outputs: {} })).toThrow("scanOverBatch: no outer name for output 'y'");
  });
});
