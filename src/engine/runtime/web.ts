// onnxruntime-web in the browser or a worker: the WebGPU EP, or WASM where WebGPU is missing.
// Imported only from the worker, the harness and the benchmark's page side, never from React components.
//
// WebGPU runs on onnxruntime-web's native WebGPU EP (`onnxruntime-web/webgpu`, loaded on first use),
// falling back to JSEP (the default entry's JS kernels) where it cannot start or fails the self-test
// (web-fallback.ts). WASM runs on the default entry's build.
import * as jsep from 'onnxruntime-web';
import type { OrtWebEntry } from './runtime.ts';
import { startWebRuntime, type OrtWebModule, type WebRuntime } from './web-core.ts';
import { openFirstWorkingEntry, WEBGPU_ENTRIES } from './web-fallback.ts';

export type { OrtWebEntry, WebRuntime };

export interface WebRuntimeOptions {
  /** where ORT's .wasm/.mjs files are served from (production builds: '/ort/') */
  wasmPaths?: string;
  /** which onnxruntime-web build runs WebGPU (default 'native'); WASM always runs on the default entry */
  entry?: OrtWebEntry;
}

export async function createWebRuntime(backend: 'webgpu' | 'wasm', options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  const native = backend === 'webgpu' && (options.entry ?? 'native') === 'native';
  const ort: OrtWebModule = native ? await import('onnxruntime-web/webgpu') : jsep;
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  return startWebRuntime(ort, backend);
}

/**
 * The studio's WebGPU runtime: the first of `order` (default native, then JSEP) that starts and
 * passes the self-test; its `ep` says which, and why the others were skipped.
 */
export function openStudioWebGpu(wasmPaths: string | undefined, order: readonly OrtWebEntry[] = WEBGPU_ENTRIES): Promise<WebRuntime> {
  return openFirstWorkingEntry(order, (entry) => createWebRuntime('webgpu', { wasmPaths, entry }));
}
