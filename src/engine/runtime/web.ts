// onnxruntime-web in the browser or a worker: the WebGPU EP, or WASM where WebGPU is missing.
// Imported only from the worker and the backend self-test, never from React components.
import * as ort from 'onnxruntime-web';
import type * as Ort from 'onnxruntime-web';
import { Graph } from '../graph/graph.ts';
import { createRuntime, hostUpload, OrtDeviceTensor, RuntimeError, type DeviceTensor, type OrtModule, type Runtime } from './runtime.ts';
import type { DType } from '../graph/graph.ts';
import { allocate, type HostTensor } from './tensor.ts';

export interface WebRuntimeOptions {
  /** where ORT's .wasm/.mjs files are served from (production builds: '/ort/') */
  wasmPaths?: string;
}

export interface WebRuntime extends Runtime {
  /** resolves with a reason when the GPU device is lost (webgpu only) */
  readonly deviceLost: Promise<string> | null;
}

const GPU_DTYPES = new Set(['float32', 'float16', 'int32', 'int64', 'bool']);

export async function createWebRuntime(backend: 'webgpu' | 'wasm', options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  const mod = ort as unknown as OrtModule;
  if (backend === 'wasm') {
    const rt = createRuntime({ backend, ort: mod, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 }, upload: hostUpload(mod) });
    return { ...rt, deviceLost: null };
  }
  if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
    throw new RuntimeError('WebGPU is not available here (needs Chrome/Edge 113+ on https or localhost)');
  }
  const rt = createRuntime({
    backend,
    ort: mod,
    // fail at creation on any op that would silently fall back to the CPU
    sessionOptions: { executionProviders: ['webgpu'], logSeverityLevel: 3, extra: { session: { disable_cpu_ep_fallback: '1' } } },
    upload: (t) => uploadToGpu(t),
    readDevice: (t) => readFromGpu(t),
    checkDevice: () => {
      if (deviceError === null) return;
      const message = deviceError;
      deviceError = null;
      throw new RuntimeError(`the GPU rejected work of this run (${message}); its results would be wrong, so the run stops here`);
    },
  });
  // WebGPU reports validation errors only as events: a rejected kernel silently leaves zeros behind
  let deviceError: string | null = null;
  // ORT creates its device lazily with the first WebGPU session; use that device, not our own
  const warmup = new Graph('warmup');
  const x = warmup.input('x', 'float32', [4]);
  warmup.output('y', warmup.mul(x, x)); // an Identity-only graph is folded away and refused under no-CPU-fallback
  await (await rt.load(warmup)).release();
  const device = await ort.env.webgpu.device;
  const deviceLost = device.lost.then((info) => info.message || `GPU device lost (${info.reason})`);
  device.addEventListener('uncapturederror', (e) => { deviceError ??= (e as GPUUncapturedErrorEvent).error.message.split('\n')[0]!; });

  async function uploadToGpu(t: HostTensor): Promise<DeviceTensor> {
    if (!GPU_DTYPES.has(t.dtype)) throw new RuntimeError(`${t.dtype} tensors cannot live on the GPU`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    // WebGPU binds storage buffers of at least 16 bytes: a smaller buffer (a scalar) fails validation
    // and its kernel silently yields zeros
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    const padded = size === bytes.byteLength ? bytes : (() => { const p = new Uint8Array(size); p.set(bytes); return p; })();
    const buffer = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, padded);
    const tensor = ort.Tensor.fromGpuBuffer(buffer, {
      dataType: t.dtype as 'float32', dims: [...t.shape], dispose: () => buffer.destroy(),
    });
    return new OrtDeviceTensor(tensor, readFromGpu);
  }

  /** GPU buffer → staging buffer → host copy; the tensor stays a GPU buffer */
  async function readFromGpu(t: Ort.Tensor): Promise<HostTensor['data']> {
    const out = allocate(t.type as DType, t.dims.reduce((a, b) => a * b, 1));
    const size = Math.ceil(out.byteLength / 4) * 4;
    const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(t.gpuBuffer as GPUBuffer, 0, staging, 0, size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      new Uint8Array(out.buffer).set(new Uint8Array(staging.getMappedRange(), 0, out.byteLength));
      staging.unmap();
    } finally {
      staging.destroy();
    }
    return out;
  }

  return { ...rt, deviceLost };
}
