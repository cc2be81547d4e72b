// The onnxruntime-web runtime, given an onnxruntime-web module: the WebGPU EP (uploads and state in
// GPU buffers, validation errors turned into run errors) or WASM. Which module (the default entry's
// JS kernels, "JSEP", or onnxruntime-web/webgpu's native WebGPU EP) and where it comes from is the
// caller's: web.ts imports it in the browser, web-node.ts loads it from a folder in Node. This file
// imports onnxruntime-web for its types only, so a Node bundle of web-node.ts carries no copy of it.
import type * as Ort from 'onnxruntime-web';
import { fmtShape, Graph, sizeOf, type DType, type Shape } from '../graph/graph.ts';
import {
  createRuntime,
  hostUpload,
  OrtDeviceTensor,
  ownTensor,
  RuntimeError,
  type DeviceTensor,
  type OrtModule,
  type OrtWebEntry,
  type Runtime,
} from './runtime.ts';
import { bufferTooLarge } from './gpu-limits.ts';
import { allocate, type HostTensor } from '../graph/tensor.ts';

export type { OrtWebEntry };

/** what the runtime uses of an onnxruntime-web module; both entries export the same API */
export type OrtWebModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor' | 'env'>;

export interface WebRuntime extends Runtime {
  /** resolves with a reason when the GPU device is lost (webgpu only) */
  readonly deviceLost: Promise<string> | null;
  /** releases what keeps the runtime's device alive (webgpu); sessions and tensors of it must be released first */
  close(): Promise<void>;
}

const GPU_DTYPES = new Set(['float32', 'float16', 'int32', 'int64', 'bool']);
/** staging buffers up to this size are kept for the next read of that size (a loss, a batch of logits) */
const STAGING_KEPT_BYTES = 2 ** 20;

/**
 * Starts a runtime on `ort`. On webgpu, onnxruntime-web finds the GPU through the global
 * `navigator.gpu` and the GPU* constants (GPUBufferUsage, GPUMapMode): the caller makes sure they exist.
 */
export async function startWebRuntime(ort: OrtWebModule, backend: 'webgpu' | 'wasm'): Promise<WebRuntime> {
  const mod = ort as unknown as OrtModule;
  if (backend === 'wasm') {
    const rt = createRuntime({
      backend,
      ort: mod,
      sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 },
      upload: hostUpload(mod),
      // no reuse: onnxruntime-web's WASM leaves a host output it was given in its own memory, unwritten
    });
    return { ...rt, deviceLost: null, close: async () => {} };
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
    reuse: { alloc: (dtype, shape) => allocGpu(dtype, shape), write: (target, t) => writeGpu(target, t), copy: (pairs) => copyGpu(pairs) },
    graphCapture: true,
    readDevice: (t) => readFromGpu(t),
    guardRun: async (run) => {
      device.pushErrorScope('validation');
      const outcome = await run().then(
        (out) => ({ out }),
        (error: unknown) => ({ error }),
      );
      const rejected = await device.popErrorScope().catch(() => null); // a lost device rejects: its loss is reported apart
      if ('error' in outcome) throw outcome.error; // the run's own failure says more than the scope's
      if (rejected) {
        for (const t of Object.values(outcome.out)) t.dispose();
        throw new RuntimeError(
          `the GPU rejected work of this run (${rejected.message.split('\n')[0]}); its results would be wrong, so the run stops here`,
        );
      }
      return outcome.out;
    },
  });
  // ORT creates its device lazily with the first WebGPU session; use that device, not our own.
  // The native EP destroys its device when its last session is released, and every buffer made on it
  // with it (uploads, state kept between sessions): this first session stays open as long as the runtime.
  const anchor = new Graph('device-anchor');
  const x = anchor.input('x', 'float32', [4]);
  anchor.output('y', anchor.mul(x, x)); // an Identity-only graph is folded away and refused under no-CPU-fallback
  const anchorSession = await rt.load(anchor);
  const device = await ort.env.webgpu.device;
  const deviceLost = device.lost.then((info) => info.message || `GPU device lost (${info.reason})`);

  /** a GPU buffer for a dtype and shape (contents undefined), as a tensor the runtime can feed, run into and read */
  function allocGpu(dtype: DType, shape: Shape): OrtDeviceTensor {
    if (!GPU_DTYPES.has(dtype)) throw new RuntimeError(`${dtype} tensors cannot live on the GPU`);
    const byteLength = sizeOf(shape) * allocate(dtype, 0).BYTES_PER_ELEMENT;
    const tooLarge = bufferTooLarge(byteLength, device.limits);
    if (tooLarge) throw new RuntimeError(`${dtype}${fmtShape(shape)}: ${tooLarge}`);
    // WebGPU binds storage buffers of at least 16 bytes: a smaller buffer (a scalar) fails validation
    // and its kernel silently yields zeros
    const size = Math.max(16, Math.ceil(byteLength / 16) * 16);
    const buffer = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const tensor = ort.Tensor.fromGpuBuffer(buffer, { dataType: dtype as 'float32', dims: [...shape], dispose: () => buffer.destroy() });
    return new OrtDeviceTensor(tensor, readFromGpu);
  }

  /** host data into an existing GPU buffer: one queue write, no new buffer */
  function writeGpu(target: DeviceTensor, t: HostTensor): void {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    // writeBuffer moves whole 4-byte words (an odd float16 count is not one); the buffer has room for them
    const whole =
      bytes.byteLength % 4 === 0
        ? bytes
        : (() => {
            const p = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
            p.set(bytes);
            return p;
          })();
    device.queue.writeBuffer(ownTensor(target, t).tensor.gpuBuffer as GPUBuffer, 0, whole);
  }

  /** buffer-to-buffer copies on the GPU, one command buffer for all of them */
  function copyGpu(pairs: readonly (readonly [DeviceTensor, DeviceTensor])[]): void {
    const encoder = device.createCommandEncoder();
    for (const [from, to] of pairs) {
      const src = ownTensor(from).tensor.gpuBuffer as GPUBuffer,
        dst = ownTensor(to, from).tensor.gpuBuffer as GPUBuffer;
      encoder.copyBufferToBuffer(src, 0, dst, 0, src.size);
    }
    device.queue.submit([encoder.finish()]);
  }

  async function uploadToGpu(t: HostTensor): Promise<DeviceTensor> {
    const target = allocGpu(t.dtype, t.shape);
    writeGpu(target, t);
    return target;
  }

  /** idle staging buffers by size: a loop that reads back the same small outputs makes no buffer after its first read */
  const staging = new Map<number, GPUBuffer[]>();

  /** GPU buffer → staging buffer → host copy; the tensor stays a GPU buffer */
  async function readFromGpu(t: Ort.Tensor): Promise<HostTensor['data']> {
    const out = allocate(t.type as DType, sizeOf(t.dims));
    const size = Math.ceil(out.byteLength / 4) * 4;
    const keep = size <= STAGING_KEPT_BYTES;
    const idle = staging.get(size) ?? [];
    const buffer =
      (keep ? idle.pop() : undefined) ?? device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    let reusable = false;
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(t.gpuBuffer as GPUBuffer, 0, buffer, 0, size);
      device.queue.submit([encoder.finish()]);
      await buffer.mapAsync(GPUMapMode.READ);
      new Uint8Array(out.buffer).set(new Uint8Array(buffer.getMappedRange(), 0, out.byteLength));
      buffer.unmap();
      reusable = keep;
    } finally {
      if (reusable) staging.set(size, [...idle, buffer]);
      else buffer.destroy();
    }
    return out;
  }

  // the lost promise resolves in a task of its own: after a GPU round trip, a loss that happened
  // before it has been reported
  const settle = () => device.queue.onSubmittedWorkDone().catch(() => undefined);
  const close = async () => {
    for (const b of [...staging.values()].flat()) b.destroy();
    staging.clear();
    await anchorSession.release();
  };
  return { ...rt, deviceLost, settle, close };
}
