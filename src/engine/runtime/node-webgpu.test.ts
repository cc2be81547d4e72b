// onnxruntime-node's WebGPU EP (Dawn on Vulkan). Without a GPU these run on SwiftShader through
// Chromium's Vulkan loader (vitest.config.ts sets the variables); where there is no Vulkan at all
// (no system loader, no Chromium) they skip.
import { describe, expect, it } from 'vitest';
import { vulkanEnv } from '../../../scripts/vulkan-env.mjs';
import { passed } from '../checks/compare.ts';
import { dirFixtureSource } from '../checks/fixture-source-node.ts';
import { promptkdChecks } from '../checks/promptkd.ts';
import { Graph } from '../graph/graph.ts';
import { openNodeRuntime } from './node.ts';
import { float32 } from '../graph/tensor.ts';

const vulkan = vulkanEnv() !== null;

describe.skipIf(!vulkan)('node runtime on webgpu', () => {
  const g = new Graph('affine');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.input('w', 'float32', [3, 1]);
  g.output('y', g.add(g.matmul(x, w), g.scalar(1)));
  g.output('y2', g.mul(g.matmul(x, w), g.scalar(2)));

  it('names the adapter, keeps uploads and chosen outputs on the GPU and reads them back', async () => {
    const rt = await openNodeRuntime('webgpu');
    expect(rt.backend).toBe('webgpu');
    expect(rt.device.adapter).toMatch(/\S/);
    const weight = await rt.upload(float32([3, 1], [1, 2, 3]));
    expect(weight.onDevice).toBe(true);
    const session = await rt.load(g, { deviceOutputs: ['y'] });
    const out = await session.run({ x: float32([2, 3], [1, 0, 0, 0, 1, 1]), w: weight });
    expect(out.y!.onDevice).toBe(true);
    expect(out.y2!.onDevice).toBe(false);
    expect(Array.from((await out.y!.read()).data as Float32Array)).toEqual([2, 6]);
    expect(Array.from((await out.y2!.read()).data as Float32Array)).toEqual([2, 10]);
    // a device output fed back as an input never leaves the GPU
    const again = await session.run({ x: float32([2, 3], [1, 1, 1, 1, 1, 1]), w: weight });
    expect(Array.from((await again.y!.read()).data as Float32Array)).toEqual([7, 7]);
    await session.release();
  });

  it("disposes a session's device outputs with it: a later use is an error, not a crash", async () => {
    const rt = await openNodeRuntime('webgpu');
    const session = await rt.load(g, { deviceOutputs: ['y'] });
    const out = await session.run({ x: float32([2, 3]), w: float32([3, 1]) });
    await session.release();
    await expect(out.y!.read()).rejects.toThrow(/used after it was disposed \(or its session released\)/);
    out.y!.dispose(); // twice is harmless
  });

  it("profiles a run with the GPU's own timestamps", async () => {
    const rt = await openNodeRuntime('webgpu');
    const session = await rt.load(g, { profile: true });
    for (let i = 0; i < 2; i++) await session.run({ x: float32([2, 3]), w: float32([3, 1]) });
    const p = await session.endProfiling();
    expect(p.clock).toBe('gpu');
    expect(p.byOp.map((o) => o.op)).toEqual(expect.arrayContaining(['MatMul']));
    expect(p.kernelMs).toBeGreaterThan(0);
    await session.release();
  });

  it('passes the PromptKD fixture checks with the student state on the GPU', async () => {
    const rt = await openNodeRuntime('webgpu');
    let onDevice: boolean | null = null;
    const checks = await promptkdChecks(dirFixtureSource('test-data/fixtures/clip-tiny-a'), rt, {
      afterSteps: (s) => {
        onDevice = s.stateOnDevice;
      },
    });
    expect(checks.length).toBeGreaterThan(10);
    for (const c of checks) expect(passed(c), `${c.name} ${c.maxRelError}`).toBe(true);
    expect(onDevice).toBe(true);
  });
});
