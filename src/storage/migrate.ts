// Schema 1 and 2 → 3: the five one-store databases of the first versions (<prefix>-meta, -images,
// -ckpt, -teacher, -models) copied into the one database of schema 3 (schema.ts), runs migrated
// (migrateRun) and checkpoints keyed by [runId, step]. The teacher-logit cache is left behind: it is
// recomputed when needed, and copying it could double a large store for nothing.
//
// Safe to cut off at any point: images and model files are copied first, in batches, and the records
// that list them (datasets, runs, workspace) with the checkpoints come last in one transaction, which
// the caller follows with the schema key. A migration cut off before that starts again on the next
// open and copies over what it copied (the same keys, the same values).
import { entriesOf, openExisting, req, transact } from './idb.ts';
import { migrateRun, type Checkpoint } from './schema.ts';

/** images copied per transaction (each up to ~200 kB) */
const COPY_CHUNK = 256;

/** legacy databases whose entries are copied as they are: [name suffix, its store = the new store] */
const COPIED = [
  ['images', 'images'],
  ['models', 'files'],
] as const;

/**
 * Copies a legacy store of `prefix` into `db` (which has the current object stores) and returns the
 * names of the legacy databases found, to delete once the schema key is written; [] when there is none.
 */
export async function migrateLegacy(db: IDBDatabase, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const open = async (suffix: string) => {
    const legacy = await openExisting(`${prefix}-${suffix}`);
    if (legacy) found.push(legacy.name);
    return legacy;
  };
  const meta = await open('meta');
  if (!meta) return [];
  try {
    const metaEntries = await readAll(meta, 'meta');
    const version = (metaEntries.find(([k]) => k === 'schema')?.[1] as number | undefined) ?? 1;
    const ckptDb = await open('ckpt');
    const checkpoints = ckptDb ? (await readAll(ckptDb, 'ckpt')).map(([, v]) => v as Checkpoint) : [];
    ckptDb?.close();
    for (const [suffix, store] of COPIED) {
      const legacy = await open(suffix);
      if (legacy) await copyInChunks(legacy, store, db, store).finally(() => legacy.close());
    }
    (await open('teacher'))?.close(); // found, so that it is deleted
    const stepOf = new Map(checkpoints.map((c) => [c.runId, c.step]));
    await transact(db, ['meta', 'ckpt'], 'readwrite', async (tx) => {
      const m = tx.objectStore('meta');
      for (const [k, v] of metaEntries) {
        if (k === 'schema') continue;
        const key = String(k);
        m.put(key.startsWith('run:') ? migrateRun(v, version, stepOf.get(key.slice(4)) ?? null) : v, key);
      }
      for (const c of checkpoints) tx.objectStore('ckpt').put(c, [c.runId, c.step]);
    });
  } finally {
    meta.close();
  }
  return found;
}

function readAll(db: IDBDatabase, store: string): Promise<[IDBValidKey, unknown][]> {
  return transact(db, [store], 'readonly', (tx) => entriesOf(tx.objectStore(store)));
}

/** every entry of `from`'s `store` put into `to`'s `into`, COPY_CHUNK per transaction, in key order */
async function copyInChunks(from: IDBDatabase, store: string, to: IDBDatabase, into: string): Promise<void> {
  let after: IDBValidKey | null = null;
  for (;;) {
    const range: IDBKeyRange | undefined = after === null ? undefined : IDBKeyRange.lowerBound(after, true);
    const chunk: [IDBValidKey, unknown][] = await transact(from, [store], 'readonly', async (tx) => {
      const s = tx.objectStore(store);
      const [keys, values]: [IDBValidKey[], unknown[]] = await Promise.all([
        req(s.getAllKeys(range, COPY_CHUNK)),
        req(s.getAll(range, COPY_CHUNK)),
      ]);
      return keys.map((k, i): [IDBValidKey, unknown] => [k, values[i]]);
    });
    if (chunk.length === 0) return;
    await transact(to, [into], 'readwrite', async (tx) => {
      for (const [k, v] of chunk) tx.objectStore(into).put(v, k);
    });
    after = chunk.at(-1)![0];
  }
}
