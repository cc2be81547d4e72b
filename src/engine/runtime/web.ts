// onnxruntime-web in the browser or a worker: the WebGPU EP, or WASM where WebGPU is missing.
// Imported only from the worker, the harness and the benchmark's page side, never from React components.
//
// The studio runs the default entry (JSEP: WebGPU kernels written in JS). The native WebGPU EP
// (`onnxruntime-web/webgpu`) is imported only when asked for, so the studio's bundle does not load it.
import * as jsep from 'onnxruntime-web';
import { startWebRuntime, type OrtWebEntry, type OrtWebModule, type WebRuntime } from './web-core.ts';

export type { OrtWebEntry, WebRuntime };

export interface WebRuntimeOptions {
  /** where ORT's .wasm/.mjs files are served from (production builds: '/ort/') */
  wasmPaths?: string;
  /** which onnxruntime-web build runs it (default 'jsep', the studio's) */
  entry?: OrtWebEntry;
}

export async function createWebRuntime(backend: 'webgpu' | 'wasm', options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  const ort: OrtWebModule = options.entry === 'native' ? await import('onnxruntime-web/webgpu') : jsep;
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  return startWebRuntime(ort, backend);
}
