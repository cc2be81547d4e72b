// What the browser offers for WebGPU, asked on the main thread before the engine starts, so the
// panel can say exactly why the studio falls back to WASM. ORT creates its own device in the worker.

export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  shaderF16: boolean;
}

export type GpuProbe = { ok: true; info: GpuInfo } | { ok: false; reason: string; info?: GpuInfo };

/** the parts of `window` the probe reads, so tests can hand in a fake */
export interface ProbeHost {
  isSecureContext: boolean;
  navigator: { gpu?: Pick<GPU, 'requestAdapter'> };
}

export async function probeWebGpu(host: ProbeHost = window): Promise<GpuProbe> {
  const gpu = host.navigator.gpu;
  if (!gpu) {
    return {
      ok: false,
      reason: host.isSecureContext
        ? 'this browser has no WebGPU (navigator.gpu is missing): use Chrome or Edge 113 or newer'
        : 'this page is not a secure context, so the browser hides WebGPU: open it over https, localhost or 127.0.0.1',
    };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { ok: false, reason: `asking for a WebGPU adapter failed: ${(e as Error).message}` };
  }
  if (!adapter) return { ok: false, reason: 'the browser offers no WebGPU adapter (GPU blocked or disabled in this browser)' };
  const info = describe(adapter);
  try {
    // a device we can create and throw away shows the adapter is usable, not just listed
    const device = await adapter.requestDevice();
    device.destroy();
  } catch (e) {
    return { ok: false, info, reason: `the WebGPU adapter would not create a device: ${(e as Error).message}` };
  }
  return { ok: true, info };
}

function describe(adapter: GPUAdapter): GpuInfo {
  // adapter.info arrived in Chrome 127; older WebGPU browsers leave the names empty
  const i: Partial<GPUAdapterInfo> = adapter.info ?? {};
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    isFallbackAdapter: i.isFallbackAdapter ?? false,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    shaderF16: adapter.features.has('shader-f16'),
  };
}
