// The WebGPU fallback order on stand-in runtimes: onnxruntime-node's CPU runtime, with its outputs
// either left on the host (as a WebGPU EP that fell back to the CPU would) or marked as GPU buffers.
// The real thing, in Chromium on SwiftShader, is e2e/webgpu-ep.spec.ts.
import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from './node.ts';
import { RuntimeError, type DeviceTensor, type OrtWebEntry } from './runtime.ts';
import type { WebRuntime } from './web-core.ts';
import { openFirstWorkingEntry, WEBGPU_ENTRIES } from './web-fallback.ts';

/** a CPU runtime posing as WebGPU; `onDevice` says where its outputs claim to be */
function standIn(onDevice: boolean, closed: string[], entry: OrtWebEntry): WebRuntime {
  const cpu = createNodeRuntime();
  const claim = (t: DeviceTensor): DeviceTensor => ({
    dtype: t.dtype,
    shape: t.shape,
    onDevice,
    read: () => t.read(),
    dispose: () => t.dispose(),
  });
  return {
    ...cpu,
    backend: 'webgpu',
    deviceLost: null,
    async close() {
      closed.push(entry);
    },
    async load(model, options) {
      const session = await cpu.load(model, options);
      return {
        ...session,
        run: async (feeds) => Object.fromEntries(Object.entries(await session.run(feeds)).map(([k, t]) => [k, claim(t)])),
      };
    },
  };
}

describe('openFirstWorkingEntry', () => {
  it('takes the native EP first when it starts and passes the self-test', async () => {
    const closed: string[] = [];
    const rt = await openFirstWorkingEntry(WEBGPU_ENTRIES, async (entry) => standIn(true, closed, entry));
    expect(rt.ep).toEqual({ entry: 'native', skipped: [], summary: 'native WebGPU EP' });
    expect(closed).toEqual([]);
  });

  it('falls back to JSEP when the native EP does not start, and says why', async () => {
    const rt = await openFirstWorkingEntry(WEBGPU_ENTRIES, async (entry) => {
      if (entry === 'native') throw new Error('failed to fetch ort-wasm-simd-threaded.asyncify.wasm\nstack…');
      return standIn(true, [], entry);
    });
    expect(rt.ep).toEqual({
      entry: 'jsep',
      skipped: [{ entry: 'native', reason: 'failed to fetch ort-wasm-simd-threaded.asyncify.wasm' }],
      summary: 'JSEP (native WebGPU EP failed: failed to fetch ort-wasm-simd-threaded.asyncify.wasm)',
    });
  });

  it('skips (and closes) a backend whose self-test output is not a GPU buffer', async () => {
    const closed: string[] = [];
    const rt = await openFirstWorkingEntry(WEBGPU_ENTRIES, async (entry) => standIn(entry === 'jsep', closed, entry));
    expect(rt.ep?.entry).toBe('jsep');
    expect(rt.ep?.skipped).toEqual([{ entry: 'native', reason: 'its self-test output came back on the CPU, not in a GPU buffer' }]);
    expect(closed).toEqual(['native']);
  });

  it('follows the order given (ep=jsep: JSEP first)', async () => {
    const rt = await openFirstWorkingEntry(['jsep', 'native'], async (entry) => standIn(true, [], entry));
    expect(rt.ep?.entry).toBe('jsep');
  });

  it('names every backend and its failure when none works', async () => {
    const attempt = openFirstWorkingEntry(WEBGPU_ENTRIES, async (entry) => {
      throw new Error(`${entry}: no adapter`);
    });
    await expect(attempt).rejects.toThrow(RuntimeError);
    await expect(attempt).rejects.toThrow(
      'WebGPU failed on every onnxruntime-web backend: native WebGPU EP: native: no adapter; JSEP: jsep: no adapter',
    );
  });
});
