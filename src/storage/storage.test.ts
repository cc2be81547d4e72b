import 'fake-indexeddb/auto';
import { createStore, get, set, setMany } from 'idb-keyval';
import { afterEach, describe, expect, it } from 'vitest';
import { PAPER_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { SCHEMA_VERSION } from './schema.ts';
import { StorageError, StudioStorage, type Dataset, type RunRecord, type StoredImage } from './storage.ts';
import { limitIndexedDbWrites } from './test-quota.ts';

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
afterEach(() => { unlimit(); unlimit = () => {}; });

const image = (v: number): StoredImage => ({ width: 2, height: 2, rgb: new Uint8Array(12).fill(v) });
const dataset = (id: string, count: number): Dataset => ({
  id, name: `folder ${id}`, role: 'unlabeled', classes: [], skipped: [{ name: 'notes.txt', reason: 'not an image' }],
  items: Array.from({ length: count }, (_, i) => ({ id: `i${i}`, name: `img${i}.png` })), createdAt: Date.now(),
});
const run = (id: string): RunRecord => ({
  id, createdAt: 1, settings: { ...PAPER_SETTINGS, epochs: 1, batchSize: 2, lr: 0.01, kdWeight: 1, depth: 1, nCtx: 1, evalEvery: 1, ckptEvery: 1, backend: 'wasm', augment: false },
  classes: ['a', 'b'], datasets: { unlabeled: 'd', test: null }, models: { student: model('student'), teacher: model('teacher') },
  teacher: { mode: 'zero-shot', promptState: 'zs' }, status: 'paused', step: 5, totalSteps: 10, stepsPerEpoch: 5, checkpointStep: 5,
  history: [{ step: 5, loss: 1 }], references: null, message: null,
});
const model = (role: 'student' | 'teacher') => ({ role, source: 'demo' as const, name: role, imageSize: 32, visionLayers: 2, visionWidth: 8, embedDim: 8, textLayers: 1, bytes: 1 });
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
    expect(err.message).toMatch(/^The browser refused to keep the dataset "folder big" \(QuotaExceededError: the test's disk is full \(1700 bytes\)\) and gives no storage estimate/);
    expect((await s.listDatasets()).map((d) => d.id)).toEqual(['small']);
    await expect(s.loadImages('big', ['i0'])).rejects.toThrow(/missing/);
    expect((await s.loadImages('small', ['i9']))[0]!.rgb[0]).toBe(9);
  });

  it('a failed checkpoint write keeps the previous checkpoint intact', async () => {
    const s = await fullAfter(64);
    await s.saveCheckpoint({ runId: 'r', step: 10, savedAt: 1, bytes: new Uint8Array(40).fill(1) });
    await expect(s.saveCheckpoint({ runId: 'r', step: 20, savedAt: 2, bytes: new Uint8Array(40).fill(2) })).rejects.toMatchObject({ kind: 'quota' });
    const ck = await s.loadCheckpoint('r');
    expect(ck!.step).toBe(10);
    expect(ck!.bytes[0]).toBe(1);
  });

  it('deletes datasets with their images, and runs with their checkpoint', async () => {
    const s = fresh();
    await s.saveDataset(dataset('d', 3), imagesOf(3));
    await s.saveRun(run('r'));
    await s.saveCheckpoint({ runId: 'r', step: 5, savedAt: 1, bytes: new Uint8Array(4) });
    await s.deleteDataset('d');
    await s.deleteRun('r');
    expect(await s.listDatasets()).toEqual([]);
    expect(await s.listRuns()).toEqual([]);
    expect(await s.loadCheckpoint('r')).toBeUndefined();
    await expect(s.loadImages('d', ['i0'])).rejects.toThrow(/missing/);
  });

  it('caches teacher logits by key', async () => {
    const s = fresh();
    await s.putTeacherLogits([['t1/p0/img1/v0', Float32Array.of(1, 2)]]);
    const [hit, miss] = await s.getTeacherLogits(['t1/p0/img1/v0', 't1/p0/img2/v0']);
    expect(Array.from(hit!)).toEqual([1, 2]);
    expect(miss).toBeUndefined();
  });

  it('keeps the workspace, teacher prompts and model files; model files the disk cannot hold leave nothing behind', async () => {
    const s = await fullAfter(10_000);
    await s.saveWorkspace({ classes: ['cat', 'dog'], models: { student: { kind: 'demo' }, teacher: { kind: 'files', name: 't.safetensors' } }, teacher: null });
    expect((await s.getWorkspace())!.models.teacher).toEqual({ kind: 'files', name: 't.safetensors' });
    await s.saveTeacherPrompts(Uint8Array.of(1, 2, 3));
    expect(Array.from((await s.getTeacherPrompts())!)).toEqual([1, 2, 3]);
    await s.saveTeacherPrompts(undefined);
    expect(await s.getTeacherPrompts()).toBeUndefined();
    await s.saveModelFiles('teacher', { name: 't.safetensors', config: '{}', weights: new Blob([new Uint8Array(100)]) });
    const files = await s.getModelFiles('teacher');
    expect(files!.weights.size).toBe(100);
    const err = await s.saveModelFiles('student', { name: 's', config: '{}', weights: new Blob([new Uint8Array(20_000)]) }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.kind).toBe('quota');
    expect(await s.getModelFiles('student')).toBeUndefined();
  });

  it('opens a store written by the first version (schema 1) with its datasets, runs and checkpoints, settings renamed', async () => {
    const prefix = `v1-${n++}`;
    // what version 1 wrote: no schema key, run settings under the URL-hash names
    const meta = createStore(`${prefix}-meta`, 'meta');
    const v1Settings = { epochs: 3, batch: 32, lr: 0.005, T: 1, kd: 1000, depth: 2, nctx: 4, evalEvery: 25, ckptEvery: 25, backend: 'wasm', augment: false, seed: 7 };
    const v1Run = { ...run('old'), settings: v1Settings };
    await setMany([['dataset:a', dataset('a', 3)], ['run:old', v1Run], ['workspace', { classes: ['x', 'y'], models: {}, teacher: null }]], meta);
    await set('old', { runId: 'old', step: 5, savedAt: 1, bytes: Uint8Array.of(1, 2, 3) }, createStore(`${prefix}-ckpt`, 'ckpt'));

    const s = new StudioStorage({ prefix });
    const [migrated] = await s.listRuns();
    expect(migrated!.settings).toEqual({
      ...PAPER_SETTINGS, epochs: 3, batchSize: 32, lr: 0.005, temperature: 1, kdWeight: 1000, depth: 2, nCtx: 4,
      evalEvery: 25, ckptEvery: 25, backend: 'wasm', augment: false, seed: 7, logitScale: null, teacherFp16: false,
    });
    expect({ ...migrated!, settings: null }).toEqual({ ...v1Run, settings: null }); // nothing else changed
    expect((await s.listDatasets()).map((d) => d.items.length)).toEqual([3]);
    expect(Array.from((await s.loadCheckpoint('old'))!.bytes)).toEqual([1, 2, 3]);
    expect((await s.getWorkspace())!.classes).toEqual(['x', 'y']);
    expect(await get('schema', meta)).toBe(SCHEMA_VERSION);
    // a second open finds the current schema and changes nothing
    expect((await new StudioStorage({ prefix }).listRuns())[0]).toEqual(migrated);
  });

  it('refuses a store written by a newer version instead of misreading it', async () => {
    const prefix = `v99-${n++}`;
    await set('schema', SCHEMA_VERSION + 1, createStore(`${prefix}-meta`, 'meta'));
    await expect(new StudioStorage({ prefix }).listRuns()).rejects.toThrow(/written by a newer version \(schema 3\)/);
  });
});
