// Test support: a Studio in Node over fake-indexeddb storage, the node runtime, the shipped demo
// data and models, and a fake Hub serving models/<name>/ as test/<name>. Requests go in as the
// worker would pass them; events are recorded and can be awaited.
import fs from 'node:fs';
import { classifierPageFiles } from '../cli/classifier-page-files.ts';
import { decodeImage } from '../engine/clip/decode-node.ts';
import { commitDemoModels, FakeHub } from '../../e2e/fake-hub.ts';
import { MemoryHubCache } from '../engine/clip/hub.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import { TeacherLabelStore } from '../storage/label-files.ts';
import { LocalModelStore } from '../storage/model-files.ts';
import { StudioStorage } from '../storage/storage.ts';
import { fakeOpfs } from '../storage/memory-opfs.testkit.ts';
import type { EngineApi, EngineEvent, EngineRequest, RequestKind } from './protocol.ts';
import { Studio } from './studio.ts';

export interface Harness {
  studio: Studio;
  events: EngineEvent[];
  storage: () => StudioStorage;
  /** the in-memory origin private file system of this prefix (set limitBytes to fill it up) */
  opfs: { limitBytes: number; used(): number };
  call<K extends RequestKind>(kind: K, body: EngineApi[K]['request']): Promise<EngineApi[K]['result']>;
  /** resolves at the first event (from now) that `pred` accepts */
  next(pred: (e: EngineEvent) => boolean): Promise<EngineEvent>;
}

const hubCache = new MemoryHubCache();
/** one file system per storage prefix, so that a second studio over a prefix is a reload */
const fileSystems = new Map<string, ReturnType<typeof fakeOpfs>>();

/** the classifier page's files, bundled once per test process */
let pageFiles: ReturnType<typeof classifierPageFiles> | undefined;

/** a fake Hub serving models/<name>/ as test/<name> (filled on first use) */
export const fakeHub = new FakeHub();
const hubReady = commitDemoModels(fakeHub);
const hubFetch: typeof fetch = async (input, init) => {
  await hubReady;
  return fakeHub.fetch(input, init);
};

/** a studio over storage `prefix` (import 'fake-indexeddb/auto' first); 'webgpu' runs on `node` too but counts as a GPU for device loss */
export function studioHarness(prefix: string, node: Runtime): Harness {
  const events: EngineEvent[] = [];
  const waiters: { pred: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  let storage: StudioStorage | null = null;
  const gpu: Runtime = { ...node, backend: 'webgpu' };
  if (!fileSystems.has(prefix)) fileSystems.set(prefix, fakeOpfs());
  const opfs = fileSystems.get(prefix)!;
  const studio = new Studio({
    runtime: async (b) => (b === 'webgpu' ? gpu : node),
    dropRuntime: () => undefined,
    decode: async (blob, name) => decodeImage(new Uint8Array(await blob.arrayBuffer()), name),
    demoReader: fsDemoReader('public/demo'),
    fetchModelFile: (p) => fs.openAsBlob(`models/${p}`),
    fetchPageFile: async (p) => {
      pageFiles ??= classifierPageFiles();
      const file = (await pageFiles).find((f) => f.path === p);
      if (!file) throw new Error(`the classifier page has no file ${p}`);
      return new Blob([file.data as Uint8Array<ArrayBuffer>]);
    },
    hubCache,
    localModels: new LocalModelStore(opfs.root),
    labelFiles: new TeacherLabelStore(opfs.root),
    fetch: hubFetch,
    thumbnail: async (img) => new Blob([img.data.slice()]),
    emit: (e) => {
      events.push(e);
      for (const w of [...waiters])
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
    },
    openStorage: (o) => (storage = new StudioStorage({ ...o, prefix })),
    requestPersistence: async () => false,
  });
  let id = 0;
  return {
    studio,
    events,
    storage: () => storage!,
    opfs: opfs.disk,
    call: (kind, body) => studio.handle({ id: ++id, kind, ...body } as EngineRequest) as never,
    next: (pred) => new Promise((resolve) => waiters.push({ pred, resolve })),
  };
}
