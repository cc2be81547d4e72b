// Persistence in one place: every IndexedDB key the studio writes is laid out here.
//
//   promptkd-meta/meta        dataset:<id> → Dataset, run:<id> → RunRecord
//   promptkd-images/images    <datasetId>/<itemId> → StoredImage (resized RGB copy)
//   promptkd-ckpt/ckpt        <runId> → Checkpoint (safetensors bytes; one per run, replaced atomically)
//   promptkd-teacher/logits   <cacheKey> → Float32Array (teacher logits of one image view)
//
// Writes are batched (setMany, one transaction per chunk); a dataset's metadata is written last,
// so an import that fails half way leaves nothing visible and its written images are removed.
// IndexedDB transactions are atomic, so a failed checkpoint write leaves the previous one intact.
import { createStore, del, delMany, entries, get, getMany, keys, set, setMany, type UseStore } from 'idb-keyval';

export interface StoredImage {
  width: number;
  height: number;
  /** RGB interleaved, height·width·3 bytes */
  rgb: Uint8Array;
}

export interface DatasetItem {
  id: string;
  /** path inside the dropped folder */
  name: string;
  /** class index, for labeled datasets */
  label?: number;
}

export type DatasetRole = 'unlabeled' | 'test' | 'shots';

export interface Dataset {
  id: string;
  name: string;
  role: DatasetRole;
  classes: string[];
  items: DatasetItem[];
  skipped: { name: string; reason: string }[];
  createdAt: number;
}

export interface MetricPoint {
  step: number;
  loss?: number;
  base?: number;
  new?: number;
  hm?: number;
}

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export interface RunRecord {
  id: string;
  createdAt: number;
  config: Record<string, unknown>;
  datasetIds: string[];
  status: RunStatus;
  step: number;
  history: MetricPoint[];
  checkpointStep?: number;
  message?: string;
}

export interface Checkpoint {
  runId: string;
  step: number;
  savedAt: number;
  /** safetensors bytes: prompts, projector, optimizer state, running stats, metadata */
  bytes: Uint8Array;
}

export type StorageErrorKind = 'quota' | 'unavailable' | 'missing';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(readonly kind: StorageErrorKind, message: string) {
    super(message);
  }
}

const WRITE_CHUNK = 64;

const isQuota = (e: unknown): boolean =>
  e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));

function translate(e: unknown, what: string): never {
  if (e instanceof StorageError) throw e;
  if (isQuota(e)) {
    throw new StorageError('quota', `The browser's storage is full while saving ${what}. Delete old datasets or runs (Storage panel), or allow more site storage, then try again.`);
  }
  throw new StorageError('unavailable', `Could not save ${what}: ${(e as Error)?.message ?? String(e)}. Private windows and some browser settings block IndexedDB.`);
}

export interface StorageOptions {
  /** prefix of the IndexedDB database names (tests use their own) */
  prefix?: string;
  /** simulate a quota: writes that would pass this many bytes in total fail as a full disk would */
  quotaBytes?: number;
}

export class StudioStorage {
  private readonly meta: UseStore;
  private readonly images: UseStore;
  private readonly ckpt: UseStore;
  private readonly teacher: UseStore;
  private written = 0;

  constructor(private readonly options: StorageOptions = {}) {
    const p = options.prefix ?? 'promptkd';
    this.meta = createStore(`${p}-meta`, 'meta');
    this.images = createStore(`${p}-images`, 'images');
    this.ckpt = createStore(`${p}-ckpt`, 'ckpt');
    this.teacher = createStore(`${p}-teacher`, 'logits');
  }

  private charge(bytes: number): void {
    if (this.options.quotaBytes === undefined) return;
    if (this.written + bytes > this.options.quotaBytes) {
      throw new DOMException('simulated quota exceeded', 'QuotaExceededError');
    }
    this.written += bytes;
  }

  // ---- datasets ---------------------------------------------------------------------------

  async saveDataset(dataset: Dataset, images: AsyncIterable<[string, StoredImage]> | Iterable<[string, StoredImage]>): Promise<void> {
    const writtenKeys: string[] = [];
    let chunk: [string, StoredImage][] = [];
    const flush = async () => {
      this.charge(chunk.reduce((s, [, im]) => s + im.rgb.byteLength, 0));
      await setMany(chunk, this.images);
      writtenKeys.push(...chunk.map(([k]) => k));
      chunk = [];
    };
    try {
      for await (const [itemId, image] of images) {
        chunk.push([`${dataset.id}/${itemId}`, image]);
        if (chunk.length >= WRITE_CHUNK) await flush();
      }
      if (chunk.length) await flush();
      await set(`dataset:${dataset.id}`, dataset, this.meta);
    } catch (e) {
      await delMany(writtenKeys, this.images).catch(() => undefined);
      translate(e, `the dataset "${dataset.name}"`);
    }
  }

  async listDatasets(): Promise<Dataset[]> {
    return (await this.metaEntries<Dataset>('dataset:')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async getDataset(id: string): Promise<Dataset | undefined> {
    return get<Dataset>(`dataset:${id}`, this.meta);
  }

  async loadImages(datasetId: string, itemIds: readonly string[]): Promise<StoredImage[]> {
    const found = await getMany<StoredImage>(itemIds.map((i) => `${datasetId}/${i}`), this.images);
    const missing = found.findIndex((x) => !x);
    if (missing >= 0) throw new StorageError('missing', `image ${itemIds[missing]} of dataset ${datasetId} is missing from storage; import the folder again`);
    return found as StoredImage[];
  }

  async deleteDataset(id: string): Promise<void> {
    const ds = await this.getDataset(id);
    if (ds) await delMany(ds.items.map((it) => `${id}/${it.id}`), this.images);
    await del(`dataset:${id}`, this.meta);
  }

  // ---- runs and checkpoints ---------------------------------------------------------------

  async saveRun(run: RunRecord): Promise<void> {
    try {
      this.charge(JSON.stringify(run).length);
      await set(`run:${run.id}`, run, this.meta);
    } catch (e) {
      translate(e, 'the run history');
    }
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return get<RunRecord>(`run:${id}`, this.meta);
  }

  async listRuns(): Promise<RunRecord[]> {
    return (await this.metaEntries<RunRecord>('run:')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteRun(id: string): Promise<void> {
    await del(id, this.ckpt);
    await del(`run:${id}`, this.meta);
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    try {
      this.charge(checkpoint.bytes.byteLength);
      await set(checkpoint.runId, checkpoint, this.ckpt);
    } catch (e) {
      translate(e, `the checkpoint at step ${checkpoint.step}`);
    }
  }

  async loadCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    return get<Checkpoint>(runId, this.ckpt);
  }

  // ---- teacher logits ----------------------------------------------------------------------

  async putTeacherLogits(batch: readonly [string, Float32Array][]): Promise<void> {
    try {
      this.charge(batch.reduce((s, [, l]) => s + l.byteLength, 0));
      await setMany(batch as [string, Float32Array][], this.teacher);
    } catch (e) {
      translate(e, 'teacher outputs');
    }
  }

  async getTeacherLogits(cacheKeys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    return getMany<Float32Array>([...cacheKeys], this.teacher);
  }

  async clearTeacherLogits(): Promise<void> {
    await delMany(await keys(this.teacher), this.teacher);
  }

  // ---- quota -------------------------------------------------------------------------------

  /** usage and quota in bytes, and whether the browser promised not to evict the data */
  static async usage(): Promise<{ usage: number; quota: number; persisted: boolean } | null> {
    if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return null;
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const persisted = (await navigator.storage.persisted?.()) ?? false;
    return { usage, quota, persisted };
  }

  static async requestPersistence(): Promise<boolean> {
    if (typeof navigator === 'undefined' || !navigator.storage?.persist) return false;
    return navigator.storage.persist();
  }

  private async metaEntries<T>(prefix: string): Promise<T[]> {
    return (await entries<string, T>(this.meta)).filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }
}
