// onnxruntime-web's two WebGPU entries in Node on Dawn (web-node.ts): the PromptKD fixture checks pass
// on JSEP and on the native EP with CPU fallback disabled, with the student's state in GPU buffers.
// Without a GPU this runs on SwiftShader through Chromium's Vulkan loader (vitest.config.ts sets the
// variables); where neither exists it skips.
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { create } from 'webgpu';
import { describe, expect, it } from 'vitest';
import { passed } from '../checks/compare.ts';
import { dirFixtureSource } from '../checks/fixture-source-node.ts';
import { promptkdChecks } from '../checks/promptkd.ts';
import { openWebRuntimeInNode } from './web-node.ts';

// V8 tiers ORT's hottest wasm functions up with TurboFan in the background; a few are huge (minutes
// of compile on 2 cores), which slows the checks ~3× and holds this process open until they are
// done. Both tiers compute the same results, so this test process keeps wasm in Liftoff.
v8.setFlagsFromString('--liftoff-only');

const vulkan = Boolean(process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES);
const ORT_DIR = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
const FIXTURE = 'test-data/fixtures/clip-tiny-a';

describe.skipIf(!vulkan)('onnxruntime-web on Dawn in Node', () => {
  for (const entry of ['jsep', 'native'] as const) {
    it(`passes the PromptKD fixture checks on ${entry} with the student state on the GPU`, async () => {
      const rt = await openWebRuntimeInNode(entry, { ortDir: ORT_DIR });
      expect(rt.backend).toBe('webgpu');
      let onDevice: boolean | null = null;
      const checks = await promptkdChecks(dirFixtureSource(FIXTURE), rt, {
        afterSteps: (s) => {
          onDevice = s.stateOnDevice;
        },
      });
      expect(checks.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          'promptkd.loss_1',
          'promptkd.grads_2',
          'promptkd.params_2',
          'promptkd.running_var_2',
          'promptkd.student_logits_eval',
        ]),
      );
      for (const c of checks) expect(passed(c), `${entry} ${c.name} ${c.maxRelError}`).toBe(true);
      expect(onDevice).toBe(true);
    }, 300_000);
  }

  it("lets Dawn write from shared memory, as ORT does from its wasm memory, with WebGPU's offsets", async () => {
    await openWebRuntimeInNode('native', { ortDir: ORT_DIR }); // installs the copy on Dawn's queue
    const device = await (await create([]).requestAdapter())!.requestDevice();
    const shared = new Float32Array(new SharedArrayBuffer(32)).map((_, i) => i + 1); // 1..8
    const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    device.queue.writeBuffer(buffer, 0, shared.subarray(2), 1, 2); //       elements 1..2 of a view at 2: 4, 5
    device.queue.writeBuffer(buffer, 8, shared.buffer, 24, 8); //            bytes 24..31 of the buffer: 7, 8
    await buffer.mapAsync(GPUMapMode.READ);
    expect(Array.from(new Float32Array(buffer.getMappedRange()))).toEqual([4, 5, 7, 8]);
    buffer.unmap();
    device.destroy();
  });

  it('names the files it needs when the folder lacks them', async () => {
    await expect(openWebRuntimeInNode('native', { ortDir: os.tmpdir() })).rejects.toThrow(
      /could not load onnxruntime-web \(native\) from .*it needs ort\.webgpu\.min\.mjs, ort-wasm-simd-threaded\.asyncify\.mjs, ort-wasm-simd-threaded\.asyncify\.wasm/,
    );
  });
});
