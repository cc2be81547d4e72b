/// <reference lib="webworker" />
// The engine worker: owns onnxruntime-web and the GPU device, so long jobs never block the page and
// keep running in a background tab. One runtime per backend, created on first use and kept alive.
import { createWebRuntime, type WebRuntime } from '../engine/runtime/web.ts';
import { runSelfTest } from '../engine/runtime/selftest.ts';
import type { EngineBackend, EngineMessage, EngineRequest } from './protocol.ts';

// Built apps serve ORT's files from public/ort/ (copied by scripts/copy-ort.mjs): bundled, ORT would
// start its WASM threads from the app chunk. In dev, Vite serves ORT's own files and '/ort/' would 500.
const wasmPaths = import.meta.env.PROD ? `${import.meta.env.BASE_URL}ort/` : undefined;

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: EngineMessage) => scope.postMessage(m);
const runtimes = new Map<EngineBackend, Promise<WebRuntime>>();

function runtimeFor(backend: EngineBackend): Promise<WebRuntime> {
  let rt = runtimes.get(backend);
  if (!rt) {
    rt = createWebRuntime(backend, { wasmPaths });
    // a failed start must not be cached: the next request may try again
    rt.catch(() => runtimes.delete(backend));
    rt.then((r) => r.deviceLost?.then((reason) => {
      runtimes.delete(backend);
      post({ kind: 'deviceLost', reason });
    }), () => {});
    runtimes.set(backend, rt);
  }
  return rt;
}

scope.onmessage = async (e: MessageEvent<EngineRequest>) => {
  const r = e.data;
  try {
    if (r.kind !== 'selfTest') throw new Error(`request '${r.kind}' is not implemented yet`);
    post({ id: r.id, ok: true, result: await runSelfTest(await runtimeFor(r.backend)) });
  } catch (err) {
    post({ id: r.id, ok: false, error: { kind: 'internal', message: err instanceof Error ? err.message : String(err) } });
  }
};
