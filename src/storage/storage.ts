// Persistence in one place: every IndexedDB key the studio writes is laid out here. One database,
// <prefix>-studio, holds five object stores:
//
//   meta     schema → number (schema.ts), dataset:<id> → Dataset, run:<id> → RunRecord,
//            workspace → WorkspaceRecord, teacher-prompts → Uint8Array (tuned/imported teacher
//            prompts, safetensors)
//   images   <datasetId>/<itemId> → StoredImage (resized RGB copy)
//   ckpt     [runId, step] → Checkpoint (safetensors bytes)
//   logits   <cacheKey> → Float32Array (teacher logits of one image view)
//   files    <role> → ModelFiles (a local CLIP's config.json text + weights Blob)
//
// Nothing is ever half written, because every write that must agree with another is one transaction
// (IndexedDB's transactions are atomic and survive a closed tab as all or nothing), and this is why
// the stores share one database: a transaction cannot span two databases.
//  - A checkpoint, the run record that makes it current, and the deletion of the checkpoints it
//    retires (all but the last K and the best, retention.ts) commit together. The alternative, write
//    the checkpoint first and then point the record at it, leaves orphans to collect after every
//    torn write, and the record's history could lag its checkpoint.
//  - An import commits per batch: the batch's images and the dataset record listing exactly the
//    images stored so far, marked `importing` until the last batch. A closed tab leaves a dataset
//    that says so (never one that looks complete); listDatasets shows complete ones only.
// A store written by an older version is migrated once, before the first read (migrate.ts).
import { deleteDatabase, entriesOf, openDatabase, prefixRange, req, transact } from './idb.ts';
import { migrateLegacy } from './migrate.ts';
import { retainedCheckpoints } from './retention.ts';
import {
  migrateRun,
  SCHEMA_VERSION,
  type Checkpoint,
  type Dataset,
  type ModelFiles,
  type ModelRole,
  type RunRecord,
  type SplitFileRecord,
  type StorageUsage,
  type StoredImage,
  type WorkspaceRecord,
} from './schema.ts';

export * from './schema.ts';

export type StorageErrorKind = 'quota' | 'unavailable' | 'missing';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** an import's transaction holds up to this many images, and up to WRITE_CHUNK_BYTES of pixels */
const WRITE_CHUNK = 64;
/** full-resolution images run to 120 MB each: a transaction of 64 of them would hold gigabytes in memory */
const WRITE_CHUNK_BYTES = 64 * 2 ** 20;

export const isQuotaError = (e: unknown): boolean => e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));

const MB = (b: number) => `${(b / 1e6).toFixed(b < 1e7 ? 1 : 0)} MB`;

/**
 * A failed write as a StorageError that says what the browser said and what it reports of its
 * storage. "Full" only when its own estimate says the space is gone: a private window refuses large
 * writes while it reports gigabytes free, and saying "full" there would send people to delete data
 * for nothing.
 */
async function translate(e: unknown, what: string, bytes = 0): Promise<never> {
  if (e instanceof StorageError) throw e;
  const name = (e as Error)?.name ?? 'Error',
    message = (e as Error)?.message ?? String(e);
  const said = message ? `${name}: ${message}` : name;
  const est = await StudioStorage.usage().catch(() => null);
  const reported = est ? `${MB(est.usage)} of ${MB(est.quota)} used` : 'no storage estimate';
  if (isQuotaError(e)) {
    const full = est !== null && est.quota - est.usage < Math.max(bytes, 0.05 * est.quota);
    throw new StorageError(
      'quota',
      full
        ? `The browser's storage is full (${reported}) while saving ${what}. Delete old datasets or runs (Storage panel), or allow more site storage, then try again.`
        : est === null
          ? `The browser refused to keep ${what} (${said}) and gives no storage estimate. Delete old datasets or runs (Storage panel), or allow more site storage, then try again.`
          : `The browser refused to keep ${what} (${said}) although it reports ${reported}: private windows and some browser settings limit what a site may keep. Use a normal window, or delete old datasets or runs (Storage panel), then try again.`,
    );
  }
  throw new StorageError(
    'unavailable',
    `Could not save ${what} (${said}; ${reported}). Private windows and some browser settings block IndexedDB.`,
  );
}

export interface StorageOptions {
  /** prefix of the IndexedDB database name (tests use their own) */
  prefix?: string;
}

/** the database's object stores (see the top of this file) */
const STORES = ['meta', 'images', 'ckpt', 'logits', 'files'] as const;
type StoreName = (typeof STORES)[number];
/** the IndexedDB version of the database: its object stores, not the schema of what is in them */
const DB_VERSION = 1;

/** every checkpoint key of a run */
const runCheckpoints = (runId: string): IDBKeyRange => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

export class StudioStorage {
  private readonly prefix: string;
  /** the database, opened and migrated; every read and write waits for it */
  private readonly ready: Promise<IDBDatabase>;

  constructor(options: StorageOptions = {}) {
    this.prefix = options.prefix ?? 'promptkd';
    this.ready = this.open();
    this.ready.catch(() => undefined); // reported to whoever reads or writes next, not as an unhandled rejection
  }

  /** the database's name */
  get databaseName(): string {
    return `${this.prefix}-studio`;
  }

  /** opens the database and brings an older store up to SCHEMA_VERSION; a new store just gets the version */
  private async open(): Promise<IDBDatabase> {
    const db = await openDatabase(this.databaseName, DB_VERSION, STORES);
    const version = await transact(
      db,
      ['meta'],
      'readonly',
      (tx) => req(tx.objectStore('meta').get('schema')) as Promise<number | undefined>,
    );
    if (version === SCHEMA_VERSION) return db;
    if (version !== undefined && version > SCHEMA_VERSION) {
      db.close();
      throw new StorageError(
        'unavailable',
        `This browser's studio data was written by a newer version (schema ${version}); open that version, or delete the site data to start over.`,
      );
    }
    const legacy = version === undefined ? await migrateLegacy(db, this.prefix) : [];
    try {
      await transact(db, ['meta'], 'readwrite', async (tx) => {
        const meta = tx.objectStore('meta');
        // schema 3 and later live in this database: their records are brought up to date where they lie
        if (version !== undefined)
          for (const [key, run] of await entriesOf<string, unknown>(meta, prefixRange('run:')))
            meta.put(migrateRun(run, version, null), key);
        meta.put(SCHEMA_VERSION, 'schema');
      });
    } catch (e) {
      // A new, empty database over its quota (Chromium counts the empty database's own ~150 kB)
      // still opens: it can be read, and only the writes that find no room fail, each saying what
      // it could not keep. Without the key the next open takes it for new again, which it may: no
      // other version writes this database without the key.
      if (!(legacy.length === 0 && isQuotaError(e))) throw e;
    }
    // the old databases go once their data is here; an open connection (another tab) delays it
    for (const name of legacy) void deleteDatabase(name).catch(() => undefined);
    return db;
  }

  private async tx<T>(stores: readonly StoreName[], mode: IDBTransactionMode, body: (tx: IDBTransaction) => Promise<T>): Promise<T> {
    return transact(await this.ready, stores, mode, body);
  }

  private get<T>(store: StoreName, key: IDBValidKey): Promise<T | undefined> {
    return this.tx([store], 'readonly', (tx) => req(tx.objectStore(store).get(key)));
  }

  /** one value written alone; a failure is a StorageError about `what` */
  private async put(store: StoreName, key: IDBValidKey, value: unknown, what: string, bytes = 0): Promise<void> {
    try {
      await this.tx([store], 'readwrite', async (tx) => {
        tx.objectStore(store).put(value, key);
      });
    } catch (e) {
      await translate(e, what, bytes);
    }
  }

  private delete(store: StoreName, key: IDBValidKey | IDBKeyRange): Promise<void> {
    return this.tx([store], 'readwrite', async (tx) => {
      tx.objectStore(store).delete(key);
    });
  }

  private async metaValues<T>(prefix: string): Promise<T[]> {
    return this.tx(['meta'], 'readonly', (tx) => req(tx.objectStore('meta').getAll(prefixRange(prefix)))) as Promise<T[]>;
  }

  // ---- datasets ---------------------------------------------------------------------------

  /**
   * Stores `dataset` and its images, WRITE_CHUNK images (or WRITE_CHUNK_BYTES) per transaction. Each transaction writes
   * its images with the dataset record as it stands after them (`dataset.items` must list the
   * images given so far whenever the next is asked for), marked `importing` until the last, which
   * drops the mark. A dataset that already has items (an interrupted import being completed) keeps
   * them. On a failure a new dataset is removed with its images; one being completed stays as it was
   * at its last committed batch.
   */
  async saveDataset(
    dataset: Dataset,
    images: AsyncIterable<[string, StoredImage]> | Iterable<[string, StoredImage]>,
    files = dataset.items.length,
  ): Promise<void> {
    const completing = dataset.items.length > 0;
    const importing = { files: dataset.importing?.files ?? files };
    const commit = async (chunk: [string, StoredImage][], last: boolean) => {
      const { importing: _, ...complete } = dataset;
      const record: Dataset = last ? complete : { ...dataset, importing };
      await this.tx(['meta', 'images'], 'readwrite', async (tx) => {
        const store = tx.objectStore('images');
        for (const [itemId, image] of chunk) store.put(image, `${dataset.id}/${itemId}`);
        tx.objectStore('meta').put(record, `dataset:${dataset.id}`);
      });
    };
    try {
      let chunk: [string, StoredImage][] = [];
      let bytes = 0;
      for await (const entry of images) {
        chunk.push(entry);
        bytes += entry[1].rgb.byteLength;
        if (chunk.length >= WRITE_CHUNK || bytes >= WRITE_CHUNK_BYTES) {
          await commit(chunk, false);
          chunk = [];
          bytes = 0;
        }
      }
      await commit(chunk, true);
      delete dataset.importing;
    } catch (e) {
      if (!completing) await this.deleteDataset(dataset.id).catch(() => undefined);
      await translate(e, `the dataset "${dataset.name}"`);
    }
  }

  /** the datasets whose import finished, oldest first */
  async listDatasets(): Promise<Dataset[]> {
    return (await this.allDatasets()).filter((d) => !d.importing);
  }

  /** the datasets whose import was cut off (or is going on now), oldest first */
  async listIncompleteDatasets(): Promise<Dataset[]> {
    return (await this.allDatasets()).filter((d) => d.importing);
  }

  private async allDatasets(): Promise<Dataset[]> {
    return (await this.metaValues<Dataset>('dataset:')).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** a dataset by id, complete or not (see `importing`) */
  getDataset(id: string): Promise<Dataset | undefined> {
    return this.get<Dataset>('meta', `dataset:${id}`);
  }

  async loadImages(datasetId: string, itemIds: readonly string[]): Promise<StoredImage[]> {
    const found = await this.tx(['images'], 'readonly', (tx) => {
      const store = tx.objectStore('images');
      return Promise.all(itemIds.map((i) => req(store.get(`${datasetId}/${i}`) as IDBRequest<StoredImage | undefined>)));
    });
    const missing = found.findIndex((x) => !x);
    if (missing >= 0)
      throw new StorageError(
        'missing',
        `image ${itemIds[missing]} of dataset ${datasetId} is missing from storage; import the folder again`,
      );
    return found as StoredImage[];
  }

  /** the dataset and every image stored under its id, in one transaction */
  deleteDataset(id: string): Promise<void> {
    return this.tx(['meta', 'images'], 'readwrite', async (tx) => {
      tx.objectStore('images').delete(prefixRange(`${id}/`));
      tx.objectStore('meta').delete(`dataset:${id}`);
    });
  }

  // ---- runs and checkpoints ---------------------------------------------------------------

  saveRun(run: RunRecord): Promise<void> {
    return this.put('meta', `run:${run.id}`, run, 'the run history');
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.get<RunRecord>('meta', `run:${id}`);
  }

  async listRuns(): Promise<RunRecord[]> {
    return (await this.metaValues<RunRecord>('run:')).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** the run and all its checkpoints, in one transaction */
  deleteRun(id: string): Promise<void> {
    return this.tx(['meta', 'ckpt'], 'readwrite', async (tx) => {
      tx.objectStore('ckpt').delete(runCheckpoints(id));
      tx.objectStore('meta').delete(`run:${id}`);
    });
  }

  /**
   * Writes `checkpoint` and makes it the run's current one, in one transaction: the checkpoint, the
   * run record (`run` with `checkpointStep` and `checkpoints` updated), and the deletion of the
   * checkpoints no longer kept (all but the last `run.options.keepCheckpoints` and the best on base,
   * `base` being this one's base accuracy). Returns the record as stored; `run` is left unchanged.
   * If any part fails, nothing of it is stored.
   */
  async saveCheckpoint(run: RunRecord, checkpoint: Checkpoint, base: number | null): Promise<RunRecord> {
    if (checkpoint.runId !== run.id) throw new Error(`a checkpoint of run ${checkpoint.runId} given for run ${run.id}`);
    const entries = [...run.checkpoints.filter((c) => c.step !== checkpoint.step), { step: checkpoint.step, base }];
    const kept = retainedCheckpoints(entries, run.options.keepCheckpoints);
    const record: RunRecord = { ...run, checkpointStep: checkpoint.step, checkpoints: kept };
    try {
      await this.tx(['meta', 'ckpt'], 'readwrite', async (tx) => {
        const store = tx.objectStore('ckpt');
        store.put(checkpoint, [run.id, checkpoint.step]);
        const keep = new Set(kept.map((c) => c.step));
        for (const key of await req(store.getAllKeys(runCheckpoints(run.id)))) {
          if (!keep.has((key as [string, number])[1])) store.delete(key);
        }
        tx.objectStore('meta').put(record, `run:${run.id}`);
      });
    } catch (e) {
      await translate(e, `the checkpoint at step ${checkpoint.step}`, checkpoint.bytes.byteLength);
    }
    return record;
  }

  /**
   * Takes the run back to its kept checkpoint at `step`, in one transaction: the checkpoints after it
   * are deleted and the record (history to `step`, the checkpoints kept up to it) stored. Returns the
   * record as stored; `run` is left unchanged.
   */
  async rewindRun(run: RunRecord, step: number): Promise<RunRecord> {
    if (!run.checkpoints.some((c) => c.step === step)) throw new Error(`run ${run.id} keeps no checkpoint at step ${step}`);
    const record: RunRecord = {
      ...run,
      step,
      checkpointStep: step,
      checkpoints: run.checkpoints.filter((c) => c.step <= step),
      history: run.history.filter((p) => p.step <= step),
    };
    await this.tx(['meta', 'ckpt'], 'readwrite', async (tx) => {
      const store = tx.objectStore('ckpt');
      for (const key of await req(store.getAllKeys(runCheckpoints(run.id)))) if ((key as [string, number])[1] > step) store.delete(key);
      tx.objectStore('meta').put(record, `run:${run.id}`);
    });
    return record;
  }

  /** the run's checkpoint at `step`, by default its latest */
  async loadCheckpoint(runId: string, step?: number): Promise<Checkpoint | undefined> {
    if (step !== undefined) return this.get<Checkpoint>('ckpt', [runId, step]);
    return this.tx(['ckpt'], 'readonly', async (tx) => {
      const cursor = await req(tx.objectStore('ckpt').openCursor(runCheckpoints(runId), 'prev'));
      return cursor?.value as Checkpoint | undefined;
    });
  }

  // ---- teacher logits ----------------------------------------------------------------------

  async putTeacherLogits(batch: readonly [string, Float32Array][]): Promise<void> {
    try {
      await this.tx(['logits'], 'readwrite', async (tx) => {
        const store = tx.objectStore('logits');
        for (const [k, v] of batch) store.put(v, k);
      });
    } catch (e) {
      await translate(e, 'teacher outputs');
    }
  }

  getTeacherLogits(cacheKeys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    return this.tx(['logits'], 'readonly', (tx) => {
      const store = tx.objectStore('logits');
      return Promise.all(cacheKeys.map((k) => req(store.get(k) as IDBRequest<Float32Array | undefined>)));
    });
  }

  clearTeacherLogits(): Promise<void> {
    return this.tx(['logits'], 'readwrite', async (tx) => {
      tx.objectStore('logits').clear();
    });
  }

  // ---- workspace, teacher prompts, model files ---------------------------------------------

  getWorkspace(): Promise<WorkspaceRecord | undefined> {
    return this.get<WorkspaceRecord>('meta', 'workspace');
  }

  saveWorkspace(w: WorkspaceRecord): Promise<void> {
    return this.put('meta', 'workspace', w, 'the workspace settings');
  }

  getTeacherPrompts(): Promise<Uint8Array | undefined> {
    return this.get<Uint8Array>('meta', 'teacher-prompts');
  }

  /** undefined removes them (back to a zero-shot teacher) */
  async saveTeacherPrompts(bytes: Uint8Array | undefined): Promise<void> {
    if (bytes === undefined) return this.delete('meta', 'teacher-prompts');
    return this.put('meta', 'teacher-prompts', bytes, 'the teacher prompts');
  }

  /** the CoOp split file in force (step 1), kept between sessions */
  getSplitFile(): Promise<SplitFileRecord | undefined> {
    return this.get<SplitFileRecord>('meta', 'split-file');
  }

  /** undefined: no split file is in force */
  async saveSplitFile(split: SplitFileRecord | undefined): Promise<void> {
    if (split === undefined) return this.delete('meta', 'split-file');
    return this.put('meta', 'split-file', split, 'the split file');
  }

  /** model files an older studio kept here (model files now live in OPFS: model-files.ts) */
  getModelFiles(role: ModelRole): Promise<ModelFiles | undefined> {
    return this.get<ModelFiles>('files', role);
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
}
