/// <reference lib="webworker" />
// The engine worker: owns onnxruntime-web, the GPU device and IndexedDB, so long jobs never block
// the page and keep running in a background tab. It wires the browser's pieces (fetch, the image
// decoder, the origin private file system, OffscreenCanvas) into the Studio and passes messages both ways.
import { decodeImageBlob } from '../engine/clip/decode-web.ts';
import { deleteUnpinnedFiles } from '../engine/clip/hub.ts';
import type { RgbImage } from '../engine/clip/image.ts';
import { fetchDemoReader } from '../engine/demo/data.ts';
import { createWebRuntime, openStudioWebGpu, type WebRuntime } from '../engine/runtime/web.ts';
import { TeacherLabelStore } from '../storage/label-files.ts';
import { LocalModelStore, OpfsFiles } from '../storage/model-files.ts';
import { StudioStorage } from '../storage/storage.ts';
import { errorInfo, ModelError } from './errors.ts';
import type { EngineBackend, EngineMessage, EngineRequest } from './protocol.ts';
import { Studio } from './studio.ts';

// Built apps serve ORT's files from public/ort/ (copied by scripts/copy-ort.mjs): bundled, ORT would
// start its WASM threads from the app chunk. In dev, Vite serves ORT's own files and '/ort/' would 500.
const wasmPaths = import.meta.env.PROD ? `${import.meta.env.BASE_URL}ort/` : undefined;
const base = import.meta.env.BASE_URL;

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: EngineMessage, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const runtimes = new Map<EngineBackend, Promise<WebRuntime>>();

// onnxruntime's own work on a lost GPU device fails inside onnxruntime, where nobody awaits it; the
// run is already paused with the loss reported, and the app replaces this worker with a fresh one
let gpuLost = false;
scope.addEventListener('unhandledrejection', (e) => {
  if (gpuLost) e.preventDefault();
});

/** longest side of a gallery thumbnail */
const THUMBNAIL = 96;

async function thumbnail(img: RgbImage): Promise<Blob> {
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba.set(img.data.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = 255;
  }
  const full = new OffscreenCanvas(img.width, img.height);
  full.getContext('2d')!.putImageData(new ImageData(rgba, img.width, img.height), 0, 0);
  const k = Math.min(1, THUMBNAIL / Math.max(img.width, img.height));
  const small = new OffscreenCanvas(Math.max(1, Math.round(img.width * k)), Math.max(1, Math.round(img.height * k)));
  const ctx = small.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(full, 0, 0, small.width, small.height);
  return small.convertToBlob({ type: 'image/png' });
}

// Hub models downloaded by a studio before model-files.ts were kept in Cache Storage, which refuses
// files of 300 MB and more in private windows: free that space; they are downloaded again once
void caches.delete('promptkd-hub-models').catch(() => undefined);

const hubCache = new OpfsFiles('hub-models');
// and OPFS files of a studio before downloads were pinned to commits (unverified): fetched again once
void deleteUnpinnedFiles(hubCache).catch(() => undefined);

/**
 * Resolves at once while online; offline (the browser's own word), when the network is back, so that
 * a download cut by going offline pauses with its part kept and goes on by itself.
 */
function waitForNetwork(signal?: AbortSignal): Promise<void> {
  if (navigator.onLine) return Promise.resolve();
  post({
    kind: 'error',
    error: {
      kind: 'input',
      message: 'You are offline: the download is paused, what has arrived is kept, and it goes on when the network is back.',
    },
  });
  return new Promise((resolve, reject) => {
    const back = () => {
      signal?.removeEventListener('abort', stopped);
      resolve();
    };
    const stopped = () => {
      scope.removeEventListener('online', back);
      reject(signal!.reason);
    };
    scope.addEventListener('online', back, { once: true });
    signal?.addEventListener('abort', stopped, { once: true });
  });
}

const studio: Studio = new Studio({
  runtime(backend, ep) {
    let rt = runtimes.get(backend);
    if (!rt) {
      // WebGPU: the native EP, else JSEP (web-fallback.ts); `#ep=jsep` tries JSEP first
      rt =
        backend === 'webgpu'
          ? openStudioWebGpu(wasmPaths, ep === 'jsep' ? ['jsep', 'native'] : undefined)
          : createWebRuntime(backend, { wasmPaths });
      // a failed start must not be cached: the next request may try again
      rt.catch(() => runtimes.delete(backend));
      rt.then(
        (r) =>
          r.deviceLost?.then((reason) => {
            gpuLost = true;
            studio.deviceLost(reason);
          }),
        () => {},
      );
      runtimes.set(backend, rt);
    }
    return rt;
  },
  dropRuntime: (backend) => {
    runtimes.delete(backend);
  },
  decode: decodeImageBlob,
  demoReader: fetchDemoReader(`${base}demo/`),
  async fetchModelFile(path) {
    const url = `${base}models/${path}`;
    const res = await fetch(url);
    if (!res.ok)
      throw new ModelError(
        `the demo model file ${url} could not be fetched (HTTP ${res.status}); run \`npm run models:build\` or reinstall the app`,
      );
    return res.blob();
  },
  async fetchPageFile(path) {
    const url = `${base}page/${path}`;
    const res = await fetch(url);
    if (!res.ok)
      throw new ModelError(
        `the classifier page's file ${url} could not be fetched (HTTP ${res.status}${navigator.onLine ? '' : ', offline'}); reload the studio while online and export again`,
      );
    return res.blob();
  },
  hubCache,
  waitForNetwork,
  localModels: new LocalModelStore(),
  labelFiles: new TeacherLabelStore(),
  thumbnail,
  emit: (e) => post(e),
  openStorage: (options) => new StudioStorage(options),
  // persist() is offered to windows only; the app asks on the main thread, this covers browsers that offer it here
  requestPersistence: () => StudioStorage.requestPersistence(),
});

scope.onmessage = async (e: MessageEvent<EngineRequest>) => {
  const r = e.data;
  try {
    const result = (await studio.handle(r)) as never;
    const bytes = result as { bytes?: Uint8Array; safetensors?: Uint8Array } | null;
    const transfer = [bytes?.bytes?.buffer, bytes?.safetensors?.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    post({ id: r.id, ok: true, result }, transfer);
  } catch (err) {
    post({ id: r.id, ok: false, error: errorInfo(err) });
  }
};
