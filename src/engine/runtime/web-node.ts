// onnxruntime-web's WebGPU backends in Node, on Dawn's Node bindings (the npm package `webgpu`): how a
// machine with a GPU and no browser (the GPU pack) runs what the studio would run in Chrome.
//
// ORT is loaded at run time from a folder (ORT_WEB_FILES), not bundled: the package's "node" export
// is a WASM-only build, and its browser builds find their .wasm beside themselves. What a browser
// gives ORT and Node does not, this module supplies:
// - `navigator.gpu` and the GPU* constants ORT reads as globals (from `webgpu`);
// - GPUQueue.writeBuffer from a SharedArrayBuffer: ORT writes straight out of its wasm memory, which
//   is one; dawn.node refuses such a buffer ("no overload matched for writeBuffer") and crashes the
//   process on a view of one, so the range written is copied first;
// - an event loop that stays awake while ORT instantiates its wasm (see openWebRuntimeInNode).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { create, globals } from 'webgpu';
import { RuntimeError } from './runtime.ts';
import { startWebRuntime, type OrtWebEntry, type OrtWebModule, type WebRuntime } from './web-core.ts';

/** the files of onnxruntime-web's dist/ that each entry loads at run time, its module first */
export const ORT_WEB_FILES = {
  jsep: ['ort.min.mjs', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'],
  native: ['ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'],
} as const satisfies Record<OrtWebEntry, readonly string[]>;

export interface WebInNodeOptions {
  /** the folder holding ORT_WEB_FILES[entry]: onnxruntime-web's dist/, or a copy beside a bundle */
  ortDir: string;
  /** Dawn's navigator.gpu (`create(flags)` of the npm webgpu package); default `create([])` */
  gpu?: GPU;
}

const dawn = globals as Record<string, unknown> & { GPUQueue: typeof GPUQueue };
const COPIES_SHARED = Symbol.for('promptkd.writeBufferCopiesSharedMemory');

type WriteBuffer = GPUQueue['writeBuffer'];

/** dawn.node's writeBuffer, taught to accept (a view of) a SharedArrayBuffer by copying the range written */
function copySharedWrites(): void {
  const proto = dawn.GPUQueue.prototype as GPUQueue & { [COPIES_SHARED]?: true };
  if (proto[COPIES_SHARED]) return;
  const write: WriteBuffer = proto.writeBuffer;
  proto.writeBuffer = function (this: GPUQueue, ...args: Parameters<WriteBuffer>) {
    const [buffer, offset, data, dataOffset, size] = args;
    const source = ArrayBuffer.isView(data) ? data.buffer : data;
    // passed on as called: dawn.node matches its overloads by argument count, so an omitted
    // argument must stay omitted rather than become undefined
    if (!(source instanceof SharedArrayBuffer)) return write.apply(this, args);
    // WebGPU counts dataOffset and size in elements of a typed array, in bytes otherwise
    const unit = ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    const base = ArrayBuffer.isView(data) ? data.byteOffset : 0;
    const start = (dataOffset ?? 0) * unit;
    const length = size !== undefined ? size * unit : data.byteLength - start;
    return write.call(this, buffer, offset, new Uint8Array(source, base + start, length).slice());
  };
  proto[COPIES_SHARED] = true;
}

/** ORT reads navigator.gpu and GPUBufferUsage, GPUMapMode, … as globals, as in a browser */
function installWebGpu(gpu: GPU): void {
  for (const [name, value] of Object.entries(dawn))
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  // Node 21+ has a navigator (without gpu); Node 20 has none
  if (typeof navigator === 'undefined')
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}

/** by module URL: importing a file twice gives the same module, set up once */
const modules = new Map<string, Promise<OrtWebModule>>();

function loadOrt(entry: OrtWebEntry, ortDir: string): Promise<OrtWebModule> {
  const url = pathToFileURL(path.join(path.resolve(ortDir), ORT_WEB_FILES[entry][0])).href;
  let mod = modules.get(url);
  if (!mod) {
    mod = (import(/* @vite-ignore */ url) as Promise<OrtWebModule>).then(
      (ort) => {
        ort.env.wasm.wasmPaths = pathToFileURL(path.resolve(ortDir) + path.sep).href;
        // ORT's threads serve its CPU kernels, which never run with CPU fallback disabled; more than
        // one would also start Web Workers, which Node does not have
        ort.env.wasm.numThreads = 1;
        return ort;
      },
      (e: Error) => {
        modules.delete(url);
        throw new RuntimeError(
          `could not load onnxruntime-web (${entry}) from ${ortDir}: ${e.message.split('\n')[0]} (it needs ${ORT_WEB_FILES[entry].join(', ')})`,
        );
      },
    );
    modules.set(url, mod);
  }
  return mod;
}

/**
 * A WebGPU runtime on onnxruntime-web's `entry` ('jsep': the studio's JS kernels; 'native': the
 * native WebGPU EP compiled to wasm), in Node, on Dawn.
 */
export async function openWebRuntimeInNode(entry: OrtWebEntry, options: WebInNodeOptions): Promise<WebRuntime> {
  installWebGpu(options.gpu ?? create([]));
  copySharedWrites();
  const ort = await loadOrt(entry, options.ortDir);
  // ORT instantiates its wasm (27 MB) with the first session. V8 compiles it in the background and
  // holds no event-loop handle meanwhile, so Node, finding its loop empty, waits in
  // NodePlatform::DrainTasks for every V8 background job and resumes JS from inside that wait. The
  // first run then starts TurboFan tier-up of ORT's hottest functions (one of the native build's
  // compiles for ~50 s on 2 cores, two of JSEP's for ~110 s each), and the same drain waits for those
  // before Dawn's first callback is delivered: a minute or more stuck in the first run. A timer kept
  // alive across start-up keeps Node in its loop, which never waits for background compiles.
  const awake = setInterval(() => {}, 2 ** 30);
  try {
    return await startWebRuntime(ort, 'webgpu');
  } finally {
    clearInterval(awake);
  }
}
