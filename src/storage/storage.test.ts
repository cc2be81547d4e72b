import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { PAPER_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { openDatabase, req, transact } from './idb.ts';
import { SCHEMA_VERSION } from './schema.ts';
import { StorageError, StudioStorage, type Checkpoint, type Dataset, type RunRecord, type StoredImage } from './storage.ts';
import { limitIndexedDbWrites } from './full-disk.testkit.ts';
import { dieDuringPut } from './torn-write.testkit.ts';

let n = 0;
const fresh = () => new StudioStorage({ prefix: `test${n++}` });
/** a fresh store, migrated (its schema key written), on a disk that takes `bytes` more */
async function fullAfter(bytes: number): Promise<StudioStorage> {
  const s = fresh();
  await s.listRuns();
  unlimit = limitIndexedDbWrites(bytes);
  return s;
}
let unlimit = () => {};
afterEach(() => {
  unlimit();
  unlimit = () => {};
});

/** what versions 1 and 2 wrote: one database per store, `<prefix>-<db>` holding the store `store` */
async function writeLegacy(prefix: string, db: string, store: string, entries: [IDBValidKey, unknown][]): Promise<void> {
  const conn = await openDatabase(`${prefix}-${db}`, 1, [store]);
  await transact(conn, [store], 'readwrite', async (tx) => {
    for (const [k, v] of entries) tx.objectStore(store).put(v, k);
  });
  conn.close();
}
/** the steps of the checkpoints the store holds for `runId` (not what its record says), up to step 60 */
async function storedSteps(s: StudioStorage, runId: string): Promise<number[]> {
  const steps: number[] = [];
  for (let step = 0; step <= 60; step++) if (await s.loadCheckpoint(runId, step)) steps.push(step);
  return steps;
}

const databaseNames = async () => (await indexedDB.databases()).map((d) => d.name);

const image = (v: number): StoredImage => ({ width: 2, height: 2, rgb: new Uint8Array(12).fill(v) });
const dataset = (id: string, count: number): Dataset => ({
  id,
  name: `folder ${id}`,
  role: 'unlabeled',
  classes: [],
  skipped: [{ name: 'notes.txt', reason: 'not an image' }],
  items: Array.from({ length: count }, (_, i) => ({ id: `i${i}`, name: `img${i}.png` })),
  createdAt: Date.now(),
});
const run = (id: string): RunRecord => ({
  id,
  createdAt: 1,
  settings: {
    ...PAPER_SETTINGS,
    epochs: 1,
    batchSize: 2,
    lr: 0.01,
    kdWeight: 1,
    depth: 1,
    nCtx: 1,
    evalEvery: 1,
    ckptEvery: 1,
    augment: false,
  },
  options: { backend: 'wasm', keepCheckpoints: 3 },
  classes: ['a', 'b'],
  datasets: { unlabeled: 'd', test: null },
  models: { student: model('student'), teacher: model('teacher') },
  teacher: { mode: 'zero-shot', promptState: 'zs' },
  status: 'paused',
  step: 5,
  totalSteps: 10,
  stepsPerEpoch: 5,
  checkpointStep: null,
  checkpoints: [],
  history: [{ step: 5, loss: 1 }],
  references: null,
  message: null,
});
/** the schema version the store of `prefix` has written */
async function storedSchema(prefix: string): Promise<unknown> {
  const db = await openDatabase(`${prefix}-studio`, 1, []);
  try {
    return await transact(db, ['meta'], 'readonly', (tx) => req(tx.objectStore('meta').get('schema')));
  } finally {
    db.close();
  }
}
const ckpt = (runId: string, step: number, fill = step, size = 40): Checkpoint => ({
  runId,
  step,
  savedAt: step,
  bytes: new Uint8Array(size).fill(fill),
});
const keeping = (r: RunRecord, keepCheckpoints: number): RunRecord => ({ ...r, options: { ...r.options, keepCheckpoints } });
const model = (role: 'student' | 'teacher') => ({
  role,
  source: 'demo' as const,
  name: role,
  imageSize: 32,
  visionLayers: 2,
  visionWidth: 8,
  embedDim: 8,
  textLayers: 1,
  bytes: 1,
});
const imagesOf = (count: number) => Array.from({ length: count }, (_, i) => [`i${i}`, image(i)] as [string, StoredImage]);

describe('StudioStorage', () => {
  it('stores a dataset in batches and reads it back', async () => {
    const s = fresh();
    await s.saveDataset(dataset('a', 150), imagesOf(150));
    const [ds] = await s.listDatasets();
    expect(ds!.items).toHaveLength(150);
    expect(ds!.skipped[0]!.reason).toBe('not an image');
    const [first, last] = await s.loadImages('a', ['i0', 'i149']);
    expect(first!.rgb[0]).toBe(0);
    expect(last!.rgb[0]).toBe(149);
  });

  it('a quota failure mid-import leaves no half dataset and keeps earlier data', async () => {
    const s = await fullAfter(12 * 100 + 500);
    await s.saveDataset(dataset('small', 10), imagesOf(10));
    const err = await s.saveDataset(dataset('big', 200), imagesOf(200)).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.kind).toBe('quota');
    // no estimate in Node: the message gives the browser's own words and guesses nothing
    expect(err.message).toMatch(
      /^The browser refused to keep the dataset "folder big" \(QuotaExceededError: the test's disk is full \(1700 bytes\)\) and gives no storage estimate/,
    );
    expect((await s.listDatasets()).map((d) => d.id)).toEqual(['small']);
    await expect(s.loadImages('big', ['i0'])).rejects.toThrow(/missing/);
    expect((await s.loadImages('small', ['i9']))[0]!.rgb[0]).toBe(9);
  });

  it('a new store on a disk with no room opens and reads; the first write that finds no room says so, and a later open with room takes the store as current', async () => {
    const prefix = `noroom-${n++}`;
    unlimit = limitIndexedDbWrites(0);
    const s = new StudioStorage({ prefix });
    expect(await s.listDatasets()).toEqual([]);
    expect(await s.getWorkspace()).toBeUndefined();
    const err = await s.saveDataset(dataset('d', 2), imagesOf(2)).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.kind).toBe('quota');
    expect(err.message).toMatch(/^The browser refused to keep the dataset "folder d" \(QuotaExceededError/);
    unlimit();
    const roomy = new StudioStorage({ prefix });
    await roomy.saveDataset(dataset('d', 2), imagesOf(2));
    expect((await roomy.listDatasets()).map((d) => d.id)).toEqual(['d']);
    expect(await storedSchema(prefix)).toBe(SCHEMA_VERSION);
  });

  it('a failed checkpoint write keeps the previous checkpoint and the record that names it', async () => {
    const s = await fullAfter(400);
    const r = await s.saveCheckpoint(run('r'), ckpt('r', 10, 1), null);
    await expect(s.saveCheckpoint({ ...r, step: 20 }, ckpt('r', 20, 2, 1000), null)).rejects.toMatchObject({ kind: 'quota' });
    const ck = await s.loadCheckpoint('r');
    expect(ck!.step).toBe(10);
    expect(ck!.bytes[0]).toBe(1);
    expect(await s.getRun('r')).toMatchObject({ checkpointStep: 10, step: 5, checkpoints: [{ step: 10, base: null }] });
  });

  it('keeps the last K checkpoints and the best on base, pruning in the transaction that adds one', async () => {
    const s = fresh();
    let r = keeping(run('r'), 2);
    const bases = [0.2, 0.9, 0.4, null, 0.5, 0.6];
    for (const [i, base] of bases.entries()) r = await s.saveCheckpoint(r, ckpt('r', i * 10), base);
    expect(await storedSteps(s, 'r')).toEqual([10, 40, 50]);
    expect((await s.getRun('r'))!.checkpoints).toEqual([
      { step: 10, base: 0.9 },
      { step: 40, base: 0.5 },
      { step: 50, base: 0.6 },
    ]);
    expect((await s.getRun('r'))!.checkpointStep).toBe(50);
    expect((await s.loadCheckpoint('r'))!.step).toBe(50);
    expect((await s.loadCheckpoint('r', 10))!.bytes[0]).toBe(10);
    expect(await s.loadCheckpoint('r', 20)).toBeUndefined();
    // a checkpoint written again at a step it has replaces it
    r = await s.saveCheckpoint(r, ckpt('r', 50, 7), 0.6);
    expect((await s.loadCheckpoint('r'))!.bytes[0]).toBe(7);
    expect(await storedSteps(s, 'r')).toEqual([10, 40, 50]);
  });

  it('a tab that dies while a checkpoint is written leaves the previous checkpoint, its record and the pruned ones as they were', async () => {
    const prefix = `torn-${n++}`;
    const s = new StudioStorage({ prefix });
    let r = keeping(run('r'), 2);
    for (const step of [0, 10, 20]) r = await s.saveCheckpoint({ ...r, step }, ckpt('r', step), null);
    expect(await storedSteps(s, 'r')).toEqual([10, 20]);
    // the page goes away after the new checkpoint's put, before the pruning and the record
    const tab = dieDuringPut((store, value) => store === 'ckpt' && (value as Checkpoint).step === 30);
    await expect(s.saveCheckpoint({ ...r, step: 30 }, ckpt('r', 30), 0.5)).rejects.toThrow();
    tab.revive();
    expect(tab.died()).toBe(true);
    const reopened = new StudioStorage({ prefix });
    expect(await storedSteps(reopened, 'r')).toEqual([10, 20]);
    expect(await reopened.getRun('r')).toMatchObject({ step: 20, checkpointStep: 20, checkpoints: [{ step: 10 }, { step: 20 }] });
    expect((await reopened.loadCheckpoint('r'))!.bytes[0]).toBe(20);
  });

  it('a tab that dies in the middle of an import leaves the batches committed before, listed as incomplete, and the import can be completed', async () => {
    const prefix = `torn-${n++}`;
    const s = new StudioStorage({ prefix });
    const ds = dataset('big', 0);
    const all = imagesOf(200);
    // the image generator fills `items` as it goes, as importFolder does
    async function* images(from: number): AsyncGenerator<[string, StoredImage]> {
      for (const [id, img] of all.slice(from)) {
        ds.items.push({ id, name: `img${id.slice(1)}.png` });
        yield [id, img];
      }
    }
    // dies inside the third batch (images 128..191), after one of its images was put
    const tab = dieDuringPut((store, _v, key) => store === 'images' && key === 'big/i130');
    await expect(s.saveDataset(ds, images(0), 200)).rejects.toThrow();
    tab.revive();
    const reopened = new StudioStorage({ prefix });
    expect(await reopened.listDatasets()).toEqual([]);
    const [cut] = await reopened.listIncompleteDatasets();
    expect(cut!.items).toHaveLength(128);
    expect(cut!.importing).toEqual({ files: 200 });
    expect((await reopened.loadImages('big', ['i127']))[0]!.rgb[0]).toBe(127);
    await expect(reopened.loadImages('big', ['i128'])).rejects.toThrow(/missing/);

    // completing it: the images not stored yet, after the 128 that are
    ds.items = [...cut!.items];
    ds.importing = cut!.importing;
    await reopened.saveDataset(ds, images(128));
    const [done] = await reopened.listDatasets();
    expect(done!.items).toHaveLength(200);
    expect(done!.importing).toBeUndefined();
    expect(await reopened.listIncompleteDatasets()).toEqual([]);
    expect((await reopened.loadImages('big', ['i199']))[0]!.rgb[0]).toBe(199);
  });

  it('caches teacher logits by key', async () => {
    const s = fresh();
    await s.putTeacherLogits([['t1/p0/img1/v0', Float32Array.of(1, 2)]]);
    const [hit, miss] = await s.getTeacherLogits(['t1/p0/img1/v0', 't1/p0/img2/v0']);
    expect(Array.from(hit!)).toEqual([1, 2]);
    expect(miss).toBeUndefined();
  });

  it('keeps the workspace and teacher prompts, and reads the model files an older studio kept in IndexedDB', async () => {
    const s = await fullAfter(10_000);
    await s.saveWorkspace({
      classes: ['cat', 'dog'],
      models: { student: { kind: 'demo' }, teacher: { kind: 'files', name: 't.safetensors' } },
      teacher: null,
    });
    expect((await s.getWorkspace())!.models.teacher).toEqual({ kind: 'files', name: 't.safetensors' });
    await s.saveTeacherPrompts(Uint8Array.of(1, 2, 3));
    expect(Array.from((await s.getTeacherPrompts())!)).toEqual([1, 2, 3]);
    await s.saveTeacherPrompts(undefined);
    expect(await s.getTeacherPrompts()).toBeUndefined();
    const legacy = { name: 't.safetensors', config: '{}', weights: new Blob([new Uint8Array(100)]) };
    await transact(await openDatabase(s.databaseName, 1, []), ['files'], 'readwrite', async (tx) => {
      tx.objectStore('files').put(legacy, 'teacher');
    });
    expect((await s.getModelFiles('teacher'))!.weights.size).toBe(100);
    expect(await s.getModelFiles('student')).toBeUndefined();
  });

  it('opens a store written by the first version (schema 1) with its datasets, runs and checkpoints, settings renamed', async () => {
    const prefix = `v1-${n++}`;
    // what version 1 wrote: no schema key, run settings under the URL-hash names
    const v1Settings = {
      epochs: 3,
      batch: 32,
      lr: 0.005,
      T: 1,
      kd: 1000,
      depth: 2,
      nctx: 4,
      evalEvery: 25,
      ckptEvery: 25,
      backend: 'wasm',
      augment: false,
      seed: 7,
    };
    const { checkpoints: _, ...v1Run } = {
      ...run('old'),
      checkpointStep: 5,
      history: [{ step: 5, loss: 1, base: 0.75 }],
      settings: v1Settings,
    };
    await writeLegacy(prefix, 'meta', 'meta', [
      ['dataset:a', dataset('a', 3)],
      ['run:old', v1Run],
      ['workspace', { classes: ['x', 'y'], models: {}, teacher: null }],
    ]);
    await writeLegacy(
      prefix,
      'images',
      'images',
      imagesOf(3).map(([k, v]) => [`a/${k}`, v]),
    );
    await writeLegacy(prefix, 'ckpt', 'ckpt', [['old', { runId: 'old', step: 5, savedAt: 1, bytes: Uint8Array.of(1, 2, 3) }]]);

    const s = new StudioStorage({ prefix });
    const [migrated] = await s.listRuns();
    expect(migrated!.settings).toEqual({
      ...PAPER_SETTINGS,
      epochs: 3,
      batchSize: 32,
      lr: 0.005,
      temperature: 1,
      kdWeight: 1000,
      depth: 2,
      nCtx: 4,
      evalEvery: 25,
      ckptEvery: 25,
      augment: false,
      seed: 7,
      logitScale: null,
      teacherFp16: false,
    });
    expect(migrated!.options).toEqual({ keepCheckpoints: 3, backend: 'wasm' });
    expect({ ...migrated!, settings: null }).toEqual({ ...v1Run, settings: null, checkpoints: [{ step: 5, base: 0.75 }] }); // nothing else changed
    expect((await s.listDatasets()).map((d) => d.items.length)).toEqual([3]);
    expect((await s.loadImages('a', ['i2']))[0]!.rgb[0]).toBe(2);
    expect(Array.from((await s.loadCheckpoint('old'))!.bytes)).toEqual([1, 2, 3]);
    expect((await s.getWorkspace())!.classes).toEqual(['x', 'y']);
    // a second open finds the current schema and changes nothing
    expect((await new StudioStorage({ prefix }).listRuns())[0]).toEqual(migrated);
  });

  it('moves a store of schema 2 (five databases) into one database and deletes the old ones', async () => {
    const prefix = `v2-${n++}`;
    // version 2 kept the backend among the settings, and no number of checkpoints
    const { checkpoints: _, options, ...current } = { ...run('r2'), checkpointStep: 4, history: [{ step: 4, loss: 1 }] };
    const v2Run = { ...current, settings: { ...current.settings, backend: options.backend } };
    await writeLegacy(prefix, 'meta', 'meta', [
      ['schema', 2],
      ['dataset:big', dataset('big', 600)],
      ['run:r2', v2Run],
      ['teacher-prompts', Uint8Array.of(9)],
    ]);
    // more images than one copy transaction takes
    await writeLegacy(
      prefix,
      'images',
      'images',
      imagesOf(600).map(([k, v]) => [`big/${k}`, v]),
    );
    // version 2 wrote the checkpoint before the record: the stored one (step 6) is the one there is
    await writeLegacy(prefix, 'ckpt', 'ckpt', [['r2', { runId: 'r2', step: 6, savedAt: 1, bytes: Uint8Array.of(6) }]]);
    await writeLegacy(prefix, 'models', 'files', [['teacher', { name: 't', config: '{}', weights: new Blob([new Uint8Array(5)]) }]]);
    await writeLegacy(prefix, 'teacher', 'logits', [['k', Float32Array.of(1)]]);

    const s = new StudioStorage({ prefix });
    const [r] = await s.listRuns();
    expect(r).toMatchObject({
      checkpointStep: 6,
      checkpoints: [{ step: 6, base: null }],
      options: { keepCheckpoints: 3, backend: 'wasm' },
    });
    expect(r!.settings).toEqual(current.settings);
    expect((await s.loadImages('big', ['i0', 'i599'])).map((i) => i.rgb[0])).toEqual([0, 599 % 256]);
    expect((await s.getModelFiles('teacher'))!.weights.size).toBe(5);
    expect(Array.from((await s.getTeacherPrompts())!)).toEqual([9]);
    expect(await s.getTeacherLogits(['k'])).toEqual([undefined]); // a cache: recomputed, not copied
    await expect.poll(databaseNames).not.toContain(`${prefix}-meta`);
    const left = (await databaseNames()).filter((d) => d!.startsWith(`${prefix}-`));
    expect(left).toEqual([`${prefix}-studio`]);
    // and the next checkpoint retires the migrated one only when more than K are there
    let rec = r!;
    for (const step of [7, 8]) rec = await s.saveCheckpoint(rec, ckpt('r2', step), null);
    expect(await storedSteps(s, 'r2')).toEqual([6, 7, 8]);
    rec = await s.saveCheckpoint(rec, ckpt('r2', 9), null);
    expect(await storedSteps(s, 'r2')).toEqual([7, 8, 9]);
  });

  it('brings a schema-3 store up to date where it lies: its runs drew a new crop every epoch (views 0) with a float32 student, their studio options leave the settings', async () => {
    const prefix = `v3-${n++}`;
    await new StudioStorage({ prefix }).saveRun(run('r3'));
    const db = await openDatabase(`${prefix}-studio`, 1, []);
    await transact(db, ['meta'], 'readwrite', async (tx) => {
      // version 3: no views, protocol or student precision yet, the studio options among the settings
      const { options, ...current } = run('r3');
      const { views: _, protocol: __, studentFp16: ___, ...v3 } = current.settings;
      tx.objectStore('meta').put({ ...current, settings: { ...v3, ...options, keepCheckpoints: 2 } }, 'run:r3');
      tx.objectStore('meta').put(3, 'schema');
    });
    db.close();
    const reopened = new StudioStorage({ prefix });
    const migrated = (await reopened.getRun('r3'))!;
    expect(migrated.settings).toEqual({ ...run('r3').settings, views: 0, protocol: 'base2new', studentFp16: false });
    expect(migrated.options).toEqual({ backend: 'wasm', keepCheckpoints: 2 });
    expect(migrated.checkpoints).toEqual(run('r3').checkpoints);
    expect(await storedSchema(prefix)).toBe(SCHEMA_VERSION);
  });

  it('refuses a store written by a newer version instead of misreading it', async () => {
    const prefix = `v99-${n++}`;
    const s = new StudioStorage({ prefix });
    await s.listRuns();
    await transact(await openDatabase(`${prefix}-studio`, 1, []), ['meta'], 'readwrite', async (tx) => {
      tx.objectStore('meta').put(SCHEMA_VERSION + 1, 'schema');
    });
    await expect(new StudioStorage({ prefix }).listRuns()).rejects.toThrow(`written by a newer version (schema ${SCHEMA_VERSION + 1})`);
  });
});
