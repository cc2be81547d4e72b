// Persistence in one place: every IndexedDB key the studio writes is laid out here.
//
//   promptkd-meta/meta        schema → number (schema.ts), dataset:<id> → Dataset, run:<id> → RunRecord,
//                             workspace → WorkspaceRecord, teacher-prompts → Uint8Array (tuned/imported
//                             teacher prompts, safetensors)
//   promptkd-images/images    <datasetId>/<itemId> → StoredImage (resized RGB copy)
//   promptkd-ckpt/ckpt        <runId> → Checkpoint (safetensors bytes; one per run, replaced atomically)
//   promptkd-teacher/logits   <cacheKey> → Float32Array (teacher logits of one image view)
//   promptkd-models/files     <role> → ModelFiles (a local CLIP's config.json text + weights Blob)
//
// Writes are batched (setMany, one transaction per chunk); a dataset's metadata is written last,
// so an import that fails half way leaves nothing visible and its written images are removed.
// IndexedDB transactions are atomic, so a failed checkpoint write leaves the previous one intact.
// A store written by an older version is migrated once, before the first read (schema.ts).
import { createStore, del, delMany, entries, get, getMany, keys, set, setMany, type UseStore } from 'idb-keyval';
import {
  migrateRun, SCHEMA_VERSION, type Checkpoint, type Dataset, type ModelFiles, type ModelRole, type RunRecord, type StorageUsage,
  type StoredImage, type WorkspaceRecord,
} from './schema.ts';

export type * from './schema.ts';

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

const MB = (b: number) => `${(b / 1e6).toFixed(b < 1e7 ? 1 : 0)} MB`;

/**
 * A failed write as a StorageError that says what the browser said and what it reports of its
 * storage. "Full" only when its own estimate says the space is gone: a private window refuses large
 * writes while it reports gigabytes free, and saying "full" there would send people to delete data
 * for nothing.
 */
async function translate(e: unknown, what: string, bytes = 0): Promise<never> {
  if (e instanceof StorageError) throw e;
  const name = (e as Error)?.name ?? 'Error', message = (e as Error)?.message ?? String(e);
  const said = message ? `${name}: ${message}` : name;
  const est = await StudioStorage.usage().catch(() => null);
  const reported = est ? `${MB(est.usage)} of ${MB(est.quota)} used` : 'no storage estimate';
  if (isQuota(e)) {
    const full = est !== null && est.quota - est.usage < Math.max(bytes, 0.05 * est.quota);
    throw new StorageError('quota', full
      ? `The browser's storage is full (${reported}) while saving ${what}. Delete old datasets or runs (Storage panel), or allow more site storage, then try again.`
      : est === null
        ? `The browser refused to keep ${what} (${said}) and gives no storage estimate. Delete old datasets or runs (Storage panel), or allow more site storage, then try again.`
        : `The browser refused to keep ${what} (${said}) although it reports ${reported}: private windows and some browser settings limit what a site may keep. Use a normal window, or delete old datasets or runs (Storage panel), then try again.`);
  }
  throw new StorageError('unavailable', `Could not save ${what} (${said}; ${reported}). Private windows and some browser settings block IndexedDB.`);
}

export interface StorageOptions {
  /** prefix of the IndexedDB database names (tests use their own) */
  prefix?: string;
}

export class StudioStorage {
  private readonly meta: UseStore;
  private readonly images: UseStore;
  private readonly ckpt: UseStore;
  private readonly teacher: UseStore;
  private readonly models: UseStore;
  /** the migration of an older store; every read and write waits for it */
  private readonly ready: Promise<void>;

  constructor(options: StorageOptions = {}) {
    const p = options.prefix ?? 'promptkd';
    this.meta = createStore(`${p}-meta`, 'meta');
    this.images = createStore(`${p}-images`, 'images');
    this.ckpt = createStore(`${p}-ckpt`, 'ckpt');
    this.teacher = createStore(`${p}-teacher`, 'logits');
    this.models = createStore(`${p}-models`, 'files');
    this.ready = this.migrate();
    this.ready.catch(() => undefined); // reported to whoever reads or writes next, not as an unhandled rejection
  }

  /** brings a store of an older schema up to SCHEMA_VERSION, run by run; a new store just gets the version */
  private async migrate(): Promise<void> {
    const version = await get<number>('schema', this.meta);
    if (version === SCHEMA_VERSION) return;
    if (version !== undefined && version > SCHEMA_VERSION) {
      throw new StorageError('unavailable', `This browser's studio data was written by a newer version (schema ${version}); open that version, or delete the site data to start over.`);
    }
    const runs = (await entries<string, unknown>(this.meta)).filter(([k]) => k.startsWith('run:'));
    const from = version ?? 1;
    await setMany([...runs.map(([k, r]) => [k, migrateRun(r, from)] as [string, unknown]), ['schema', SCHEMA_VERSION]], this.meta);
  }

  // ---- datasets ---------------------------------------------------------------------------

  async saveDataset(dataset: Dataset, images: AsyncIterable<[string, StoredImage]> | Iterable<[string, StoredImage]>): Promise<void> {
    await this.ready;
    const writtenKeys: string[] = [];
    let chunk: [string, StoredImage][] = [];
    const flush = async () => {
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
      await translate(e, `the dataset "${dataset.name}"`);
    }
  }

  async listDatasets(): Promise<Dataset[]> {
    await this.ready;
    return (await this.metaEntries<Dataset>('dataset:')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async getDataset(id: string): Promise<Dataset | undefined> {
    await this.ready;
    return get<Dataset>(`dataset:${id}`, this.meta);
  }

  async loadImages(datasetId: string, itemIds: readonly string[]): Promise<StoredImage[]> {
    await this.ready;
    const found = await getMany<StoredImage>(itemIds.map((i) => `${datasetId}/${i}`), this.images);
    const missing = found.findIndex((x) => !x);
    if (missing >= 0) throw new StorageError('missing', `image ${itemIds[missing]} of dataset ${datasetId} is missing from storage; import the folder again`);
    return found as StoredImage[];
  }

  async deleteDataset(id: string): Promise<void> {
    await this.ready;
    const ds = await this.getDataset(id);
    if (ds) await delMany(ds.items.map((it) => `${id}/${it.id}`), this.images);
    await del(`dataset:${id}`, this.meta);
  }

  // ---- runs and checkpoints ---------------------------------------------------------------

  async saveRun(run: RunRecord): Promise<void> {
    await this.ready;
    try {
      await set(`run:${run.id}`, run, this.meta);
    } catch (e) {
      await translate(e, 'the run history');
    }
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    await this.ready;
    return get<RunRecord>(`run:${id}`, this.meta);
  }

  async listRuns(): Promise<RunRecord[]> {
    await this.ready;
    return (await this.metaEntries<RunRecord>('run:')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteRun(id: string): Promise<void> {
    await this.ready;
    await del(id, this.ckpt);
    await del(`run:${id}`, this.meta);
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.ready;
    try {
      await set(checkpoint.runId, checkpoint, this.ckpt);
    } catch (e) {
      await translate(e, `the checkpoint at step ${checkpoint.step}`, checkpoint.bytes.byteLength);
    }
  }

  async loadCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    await this.ready;
    return get<Checkpoint>(runId, this.ckpt);
  }

  // ---- teacher logits ----------------------------------------------------------------------

  async putTeacherLogits(batch: readonly [string, Float32Array][]): Promise<void> {
    await this.ready;
    try {
      await setMany(batch as [string, Float32Array][], this.teacher);
    } catch (e) {
      await translate(e, 'teacher outputs');
    }
  }

  async getTeacherLogits(cacheKeys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    await this.ready;
    return getMany<Float32Array>([...cacheKeys], this.teacher);
  }

  async clearTeacherLogits(): Promise<void> {
    await this.ready;
    await delMany(await keys(this.teacher), this.teacher);
  }

  // ---- workspace, teacher prompts, model files ---------------------------------------------

  async getWorkspace(): Promise<WorkspaceRecord | undefined> {
    await this.ready;
    return get<WorkspaceRecord>('workspace', this.meta);
  }

  async saveWorkspace(w: WorkspaceRecord): Promise<void> {
    await this.ready;
    try {
      await set('workspace', w, this.meta);
    } catch (e) {
      await translate(e, 'the workspace settings');
    }
  }

  async getTeacherPrompts(): Promise<Uint8Array | undefined> {
    await this.ready;
    return get<Uint8Array>('teacher-prompts', this.meta);
  }

  /** undefined removes them (back to a zero-shot teacher) */
  async saveTeacherPrompts(bytes: Uint8Array | undefined): Promise<void> {
    await this.ready;
    try {
      if (bytes === undefined) return await del('teacher-prompts', this.meta);
      await set('teacher-prompts', bytes, this.meta);
    } catch (e) {
      await translate(e, 'the teacher prompts');
    }
  }

  async saveModelFiles(role: ModelRole, files: ModelFiles): Promise<void> {
    await this.ready;
    try {
      await set(role, files, this.models);
    } catch (e) {
      await translate(e, `the ${role} model files`, files.weights.size);
    }
  }

  async getModelFiles(role: ModelRole): Promise<ModelFiles | undefined> {
    await this.ready;
    return get<ModelFiles>(role, this.models);
  }

  async deleteModelFiles(role: ModelRole): Promise<void> {
    await this.ready;
    await del(role, this.models);
  }

  // ---- quota -------------------------------------------------------------------------------

  /** usage and quota in bytes, as the browser counts them */
  usage(): Promise<StorageUsage | null> {
    return StudioStorage.usage();
  }

  /** usage and quota in bytes, and whether the browser promised not to evict the data */
  static async usage(): Promise<StorageUsage | null> {
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
