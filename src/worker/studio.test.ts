// The studio's request handlers and run loop on onnxruntime-node, with fake IndexedDB: imports with
// skipped files, a run to the end, resume after a "reload" on the same trajectory, pause by quota
// and by a lost GPU with the last checkpoint intact, exports that reload to the same accuracy and
// an ONNX classifier that predicts what the studio predicts, and the Hub model cache listed and
// emptied (but not of a running run's model).
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadSafetensors } from '../engine/clip/safetensors.ts';
import { demoImage, loadDemoData, type DemoData } from '../engine/demo/data.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import { PAPER_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { DEMO_TEACHER_SETTINGS } from '../engine/promptkd/teacher-settings.ts';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import { readTorchCheckpoint } from '../engine/torch/checkpoint.ts';
import type { PyDict } from '../engine/torch/pickle.ts';
import { labeledSet, labeledPixels } from './labeled.ts';
import type { EngineEvent, RunSettings } from './protocol.ts';
import { bestOnBase } from '../engine/promptkd/metrics.ts';
import { limitIndexedDbWrites } from '../storage/full-disk.testkit.ts';
import { fakeHub, studioHarness, type Harness } from './node-studio.testkit.ts';

const node = createNodeRuntime();
const harness = (prefix: string) => studioHarness(prefix, node);
let prefixes = 0;

const png = (img: { width: number; height: number; data: Uint8Array }): Blob => {
  const p = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    p.data.set(img.data.subarray(3 * i, 3 * i + 3), 4 * i);
    p.data[4 * i + 3] = 255;
  }
  return new Blob([new Uint8Array(PNG.sync.write(p))]);
};

let demo: DemoData;
const demoData = async () => (demo ??= await loadDemoData(fsDemoReader('public/demo')));
/** class names that sort in label order */
const CLASSES = ['0-tshirt', '1-trouser', '2-pullover', '3-dress'];

/** 24 unlabeled images of classes 0-3 (+ a text file), a 4-class test folder of 5 each (+ a broken PNG) */
async function folders() {
  const d = await demoData();
  const pick = (split: 'train' | 'test', n: number) => {
    const out: number[] = [];
    for (let i = 0; out.length < n; i++) if (d.splits[split].labels[i]! < 4) out.push(i);
    return out;
  };
  const unlabeled = pick('train', 24).map((i) => ({ file: png(demoImage(d.splits.train, i)), path: `photos/${i}.png` }));
  unlabeled.push({ file: new Blob(['not an image']), path: 'photos/notes.txt' });
  const perClass = new Map<number, number>();
  const test: { file: Blob; path: string }[] = [];
  for (let i = 0; test.length < 20; i++) {
    const y = d.splits.test.labels[i]!;
    if (y >= 4 || (perClass.get(y) ?? 0) >= 5) continue;
    perClass.set(y, (perClass.get(y) ?? 0) + 1);
    test.push({ file: png(demoImage(d.splits.test, i)), path: `${CLASSES[y]}/${i}.png` });
  }
  test.push({ file: new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])]), path: `${CLASSES[0]}/broken.png` });
  return { unlabeled, test };
}

const SETTINGS: RunSettings = {
  ...PAPER_SETTINGS,
  epochs: 2,
  batchSize: 4,
  depth: 2,
  nCtx: 2,
  evalEvery: 4,
  ckptEvery: 3,
  seed: 7,
};

async function prepared(prefix: string): Promise<Harness> {
  const h = harness(prefix);
  await h.call('init', { backend: 'wasm' });
  const f = await folders();
  await h.call('importFiles', { role: 'unlabeled', name: 'photos', files: f.unlabeled as never });
  await h.call('importFiles', { role: 'test', name: 'test', files: f.test as never });
  await h.call('setModels', { student: { kind: 'demo' }, teacher: { kind: 'demo' } });
  await h.call('teacher', { mode: 'zero-shot' });
  return h;
}

const runEnd = (h: Harness, runId: string) => h.next((e) => e.kind === 'runStatus' && e.runId === runId && e.status !== 'running');
const lossesOf = (h: Harness, runId: string) =>
  new Map(h.events.flatMap((e) => (e.kind === 'step' && e.runId === runId ? [[e.step, e.loss] as const] : [])));

describe('Studio', () => {
  it('imports folders, listing each skipped file with its reason', async () => {
    const h = harness(`imp${prefixes++}`);
    await h.call('init', { backend: 'wasm' });
    const f = await folders();
    const u = await h.call('importFiles', { role: 'unlabeled', name: 'photos', files: f.unlabeled as never });
    expect(u.imported).toBe(24);
    expect(u.skipped).toEqual([{ name: 'photos/notes.txt', reason: expect.stringMatching(/not a PNG, JPEG/) }]);
    const t = await h.call('importFiles', { role: 'test', name: 'test', files: f.test as never });
    expect(t.classes).toEqual(CLASSES);
    expect(t.imported).toBe(20);
    expect(t.skipped.map((s) => s.name)).toEqual([`${CLASSES[0]}/broken.png`]);
    const ws = await h.call('workspace', {});
    expect(ws.classes).toEqual(CLASSES);
    expect(ws.datasets.map((d) => [d.role, d.count])).toEqual([
      ['unlabeled', 24],
      ['test', 20],
    ]);
    expect(ws.datasets[1]!.perClass).toEqual([5, 5, 5, 5]);
    await expect(
      h.call('importFiles', { role: 'test', name: 'flat', files: [{ file: f.test[0]!.file, path: 'a.png' }] as never }),
    ).rejects.toThrow(/needs one subfolder per class/);
  }, 30_000);

  it('imports a folder handed over in chunks as one import with one report, in the order given', async () => {
    const h = harness(`staged${prefixes++}`);
    await h.call('init', { backend: 'wasm' });
    const { unlabeled } = await folders();
    expect(await h.call('stageFiles', { upload: 7, files: unlabeled.slice(0, 10) as never })).toEqual({ staged: 10 });
    expect(await h.call('stageFiles', { upload: 7, files: unlabeled.slice(10, 20) as never })).toEqual({ staged: 20 });
    const report = await h.call('importFiles', { role: 'unlabeled', name: 'photos', files: unlabeled.slice(20) as never, staged: 7 });
    expect(report.imported).toBe(24);
    expect(report.skipped.map((s) => s.name)).toEqual(['photos/notes.txt']);
    const ws = await h.call('workspace', {});
    expect(ws.datasets.map((d) => [d.name, d.count])).toEqual([['photos', 24]]);
    expect(h.events.filter((e) => e.kind === 'progress' && e.task === 'import').at(-1)).toMatchObject({ done: 25, total: 25 });
    // the upload's files went with it
    await expect(h.call('importFiles', { role: 'unlabeled', name: 'again', files: [], staged: 7 })).rejects.toThrow(
      /no files were staged for upload 7/,
    );
  }, 30_000);

  it('loads the demo once: its three datasets, classes and models', async () => {
    const h = harness(`demo${prefixes++}`);
    await h.call('init', { backend: 'wasm' });
    const ws = await h.call('loadDemo', {});
    expect(ws.datasets.map((d) => [d.id, d.role, d.count])).toEqual([
      ['demo-unlabeled', 'unlabeled', 3000],
      ['demo-test', 'test', 1000],
      ['demo-shots', 'shots', 80],
    ]);
    expect(ws.classes).toHaveLength(10);
    expect(ws.baseCount).toBe(5);
    expect(ws.models.student).toMatchObject({ source: 'demo', name: 'demo-student', imageSize: 32 });
    expect(ws.models.teacher!.textLayers).toBeGreaterThan(0);
    // the demo's teacher is tuned by the next request (stage 1), not prepared zero-shot here
    expect(ws.teacher).toBeNull();
    const again = await h.call('loadDemo', {});
    expect(again.datasets.map((d) => d.createdAt)).toEqual(ws.datasets.map((d) => d.createdAt));
  }, 60_000);

  it('tunes the teacher on the few-shot folder; a run keeps those prompts in its checkpoint', async () => {
    const h = harness(`tune${prefixes++}`);
    await h.call('init', { backend: 'wasm' });
    await h.call('loadDemo', {});
    const info = await h.call('teacher', { mode: 'tune', settings: { ...DEMO_TEACHER_SETTINGS, epochs: 2, batchSize: 8, seed: 3 } });
    expect(info).toMatchObject({
      mode: 'tune',
      promptState: expect.stringMatching(/^prompts-/),
      detail: expect.stringMatching(/tuned on \d+ labeled images of 5 base classes for 2 epochs/),
    });
    expect(info.accuracy!.hm).toBeGreaterThan(0);
    expect(h.events.filter((e) => e.kind === 'progress' && e.task === 'teacher' && /teacher epoch/.test(e.label))).toHaveLength(2);
    const run = await h.call('startRun', { settings: { ...SETTINGS, epochs: 1, batchSize: 100 } });
    expect(run.teacher).toEqual({ mode: 'tune', promptState: info.promptState });
    expect((await h.storage().loadCheckpoint(run.id))!.teacherPrompts!.byteLength).toBeGreaterThan(0);
    await h.call('stop', {});
  }, 60_000);

  /** the demo CLIPs as the two files a user picks for each model */
  async function demoModelFiles() {
    const file = async (p: string, name: string) => new File([await (await fs.openAsBlob(p)).arrayBuffer()], name);
    const pick = async (role: 'student' | 'teacher') => ({
      kind: 'files' as const,
      config: await file(`models/demo-${role}/config.json`, 'config.json'),
      weights: await file(`models/demo-${role}/model.safetensors`, `${role}.safetensors`),
    });
    return { student: await pick('student'), teacher: await pick('teacher') };
  }

  it('loads a local CLIP from its two files and names what is wrong with bad ones', async () => {
    const prefix = `files${prefixes++}`;
    const h = harness(prefix);
    await h.call('init', { backend: 'wasm' });
    const { student, teacher } = await demoModelFiles();
    const ws = await h.call('setModels', { student, teacher });
    expect(ws.models.student).toMatchObject({ source: 'files', name: 'student.safetensors', visionLayers: 2 });
    // a reload finds the files in storage
    const again = harness(prefix);
    expect((await again.call('init', { backend: 'wasm' })).models.teacher).toMatchObject({ source: 'files', name: 'teacher.safetensors' });
    const wrongConfig = { ...teacher, config: student.config };
    await expect(h.call('setModels', { student, teacher: wrongConfig })).rejects.toMatchObject({
      name: 'ModelError',
      message: expect.stringMatching(/^the teacher model teacher\.safetensors cannot be used: .*shape/),
    });
    await expect(h.call('setModels', { student: { ...student, weights: new File(['{}'], 'notes.txt') }, teacher })).rejects.toThrow(
      /student model notes\.txt cannot be used/,
    );
  }, 60_000);

  it('uses local model files the browser will not keep from memory, and says so instead of failing', async () => {
    const h = harness(`nokeep${prefixes++}`);
    await h.call('init', { backend: 'wasm' });
    const { student, teacher } = await demoModelFiles();
    h.opfs.limitBytes = 10_000; // room for neither model's weights
    const ws = await h.call('setModels', { student, teacher });
    expect(ws.models.teacher).toMatchObject({ source: 'files', name: 'teacher.safetensors' });
    const notices = h.events.flatMap((e) => (e.kind === 'error' ? [e.error] : []));
    // Node has no storage estimate: the notice says so rather than guessing "full"
    expect(notices).toEqual([
      {
        kind: 'quota',
        message: expect.stringMatching(
          /^The student model files \(student\.safetensors\) could not be kept in this browser \(QuotaExceededError: .*; it gives no storage estimate\): the model is used from memory while this page stays open; after a reload, choose its files again\.$/s,
        ),
      },
      {
        kind: 'quota',
        message: expect.stringMatching(
          /^The teacher model files \(teacher\.safetensors\) could not be kept .*the model is used from memory/s,
        ),
      },
    ]);
    // nothing of them is kept, so a reload asks for the files again
    expect(h.opfs.used()).toBe(0);
  }, 60_000);

  it('downloads Hub models once (with progress), then takes them from the cache; names a missing repo', async () => {
    const h = harness(`hub${prefixes++}`);
    await h.call('init', { backend: 'wasm' });
    const hub = (name: string) => ({ kind: 'hub' as const, repo: `test/${name}`, baseUrl: 'http://hub.test' });
    const ws = await h.call('setModels', { student: hub('demo-student'), teacher: hub('demo-teacher') });
    expect(ws.models.teacher).toMatchObject({ source: 'hub', name: 'test/demo-teacher', textLayers: 2 });
    const downloads = h.events.filter((e) => e.kind === 'progress' && e.task === 'download');
    expect(downloads.at(-1)).toMatchObject({ label: 'test/demo-teacher model.safetensors' });
    expect(downloads.some((e) => e.kind === 'progress' && e.done === e.total && e.total > 1e6)).toBe(true);
    const fetched = fakeHub.bytesServed('model.safetensors');
    await h.call('setModels', { student: hub('demo-student'), teacher: hub('demo-teacher') });
    expect(fakeHub.bytesServed('model.safetensors')).toBe(fetched);
    expect(h.events.at(-2)).toMatchObject({ kind: 'progress', label: expect.stringMatching(/\(cached\)$/) });
    await expect(h.call('setModels', { student: hub('no-such-model'), teacher: hub('demo-teacher') })).rejects.toMatchObject({
      name: 'HubError',
      message: 'there is no model test/no-such-model on hub.test (HTTP 404: Repository not found): check the model id',
    });
  }, 60_000);

  it('lists cached Hub models with their sizes and deletes them, but not a model of the run going on', async () => {
    const h = await prepared(`hubdel${prefixes++}`);
    const hub = (name: string) => ({ kind: 'hub' as const, repo: `test/${name}`, baseUrl: 'http://hub.test' });
    await h.call('setModels', { student: hub('demo-student'), teacher: hub('demo-teacher') });
    const sizeOf = (name: string) => ['config.json', 'model.safetensors'].reduce((n, f) => n + fs.statSync(`models/${name}/${f}`).size, 0);
    const listed = await h.call('hubModels', {});
    for (const [name, role] of [
      ['demo-student', 'student'],
      ['demo-teacher', 'teacher'],
    ] as const) {
      const commit = listed.find((m) => m.repo === `test/${name}`)!.commit;
      expect(listed.find((m) => m.repo === `test/${name}`)).toEqual({
        repo: `test/${name}`,
        revision: 'main',
        commit,
        newest: commit,
        bytes: sizeOf(name),
        usedBy: [role],
        files: [
          { file: 'config.json', bytes: fs.statSync(`models/${name}/config.json`).size, complete: true },
          { file: 'model.safetensors', bytes: fs.statSync(`models/${name}/model.safetensors`).size, complete: true },
        ],
      });
      expect(commit).toMatch(/^[0-9a-f]{40}$/);
    }

    await h.call('teacher', { mode: 'zero-shot' });
    const run = await h.call('startRun', { settings: { ...SETTINGS, epochs: 20 } });
    await expect(h.call('deleteHubModel', { repo: 'test/demo-student' })).rejects.toMatchObject({
      name: 'StudioInputError',
      message: 'the run going on uses test/demo-student as its student; stop the run before deleting the model',
    });
    expect((await h.call('hubModels', {})).map((m) => m.repo)).toContain('test/demo-student');

    expect(await h.call('stop', {})).toMatchObject({ id: run.id, status: 'stopped' });
    const left = await h.call('deleteHubModel', { repo: 'test/demo-student' });
    expect(left.map((m) => m.repo)).not.toContain('test/demo-student');
    expect(left.map((m) => m.repo)).toContain('test/demo-teacher');
    // the loaded model stays loaded; choosing it again downloads it again
    expect((await h.call('workspace', {})).models.student).toMatchObject({ name: 'test/demo-student' });
    const before = fakeHub.requests.length;
    await h.call('setModels', { student: hub('demo-student'), teacher: hub('demo-teacher') });
    const student = (await h.call('hubModels', {})).find((m) => m.repo === 'test/demo-student')!.commit;
    expect(
      fakeHub.requests
        .slice(before)
        .filter((r) => r.path.includes('demo-student'))
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual([
      'HEAD /test/demo-student/resolve/main/config.json',
      `GET /api/models/test/demo-student/tree/${student}`,
      `GET /test/demo-student/resolve/${student}/config.json`,
      `GET /test/demo-student/resolve/${student}/model.safetensors`,
    ]);
  }, 60_000);

  it('runs to the end; a run paused and resumed after a reload takes the same steps', async () => {
    const prefix = `run${prefixes++}`;
    const h = await prepared(prefix);
    const a = await h.call('startRun', { settings: SETTINGS });
    expect(a.totalSteps).toBe(12);
    const refs = h.events.find((e) => e.kind === 'references');
    expect(refs).toMatchObject({ kind: 'references', runId: a.id });
    await runEnd(h, a.id);
    const doneA = (await h.call('workspace', {})).runs.find((r) => r.id === a.id)!;
    expect(doneA.status).toBe('done');
    expect(doneA.checkpointStep).toBe(12);
    expect(h.events.filter((e) => e.kind === 'eval' && e.runId === a.id).map((e) => (e as { step: number }).step)).toEqual([0, 4, 8, 12]);
    expect(h.events.filter((e) => e.kind === 'checkpoint' && e.runId === a.id).map((e) => (e as { step: number }).step)).toEqual([
      0, 3, 6, 9, 12,
    ]);
    const lossA = lossesOf(h, a.id);

    // run B: paused at step 5 (checkpoint written at pause), then the page "reloads" mid-run at step 7
    const b = await h.call('startRun', { settings: SETTINGS });
    await h.next((e) => e.kind === 'step' && e.runId === b.id && e.step === 5);
    const paused = await h.call('pause', {});
    expect(paused.status).toBe('paused');
    expect(paused.checkpointStep).toBe(paused.step);
    await h.call('resume', { runId: b.id });
    await h.next((e) => e.kind === 'checkpoint' && e.runId === b.id && e.step === 9);
    // the page goes away mid-run: the old studio goes quiet and its record still says 'running'
    await h.call('pause', {});
    const left = (await h.storage().getRun(b.id))!;
    await h.storage().saveRun({ ...left, status: 'running' });

    const h2 = harness(prefix);
    const ws = await h2.call('init', { backend: 'wasm' });
    expect(ws.resumable).toMatchObject({ id: b.id, status: 'paused', message: expect.stringMatching(/^Interrupted at step \d+/) });
    expect(ws.resumable!.checkpointStep).toBeGreaterThanOrEqual(9);
    expect(ws.datasets).toHaveLength(2);
    const resumed = await h2.call('resume', { runId: b.id });
    expect(resumed.step).toBe(ws.resumable!.checkpointStep);
    await runEnd(h2, b.id);
    const lossB = new Map([...lossesOf(h, b.id), ...lossesOf(h2, b.id)]);
    expect([...lossB.keys()].sort((x, y) => x - y)).toEqual([...lossA.keys()].sort((x, y) => x - y));
    for (const [step, loss] of lossA) expect(lossB.get(step), `step ${step}`).toBe(loss);
  }, 120_000);

  it('resumes from the best checkpoint on base: the steps after it are dropped and taken again on the same trajectory', async () => {
    const h = await prepared(`best${prefixes++}`);
    // evaluated and checkpointed every 3 steps, paused at 7: the pause's checkpoint has no evaluation,
    // so the best on base is an older one (keepCkpt 1: the last and the best are kept)
    const start = { settings: { ...SETTINGS, evalEvery: 3, ckptEvery: 3 }, options: { keepCheckpoints: 1 } };
    const whole = await h.call('startRun', start);
    await runEnd(h, whole.id);
    await h.call('workspace', {}); // the loop has ended by the time this is answered
    const run = await h.call('startRun', start);
    await h.next((e) => e.kind === 'step' && e.runId === run.id && e.step === 7);
    const paused = await h.call('pause', {});
    const best = bestOnBase(paused.checkpoints)!;
    expect(best.step).toBeLessThan(paused.checkpointStep!);
    await expect(h.call('resume', { runId: run.id, step: 5 })).rejects.toThrow(
      `keeps no checkpoint at step 5 (it keeps steps ${paused.checkpoints.map((c) => c.step).join(', ')})`,
    );
    const seen = h.events.length;
    const resumed = await h.call('resume', { runId: run.id, step: best.step });
    expect(resumed.step).toBe(best.step);
    expect(resumed.checkpoints.map((c) => c.step)).toEqual([best.step]);
    expect(resumed.history.every((p) => p.step <= best.step)).toBe(true);
    await runEnd(h, run.id);
    const steps = h.events.slice(seen).filter((e) => e.kind === 'step' && e.runId === run.id) as { step: number; loss: number }[];
    expect(steps[0]!.step).toBe(best.step + 1);
    const lossWhole = lossesOf(h, whole.id);
    for (const e of steps) expect(e.loss, `step ${e.step}`).toBe(lossWhole.get(e.step));
    expect((await h.storage().loadCheckpoint(run.id, paused.checkpointStep!))?.step).not.toBe(paused.checkpointStep);
  }, 120_000);

  it('a read-only studio (another tab keeps the data) changes nothing: it leaves a running run as it is and refuses writes', async () => {
    const prefix = `ro${prefixes++}`;
    const writer = await prepared(prefix);
    const run = await writer.call('startRun', { settings: { ...SETTINGS, epochs: 20 } });
    await writer.next((e) => e.kind === 'step' && e.runId === run.id && e.step === 1);
    const reader = harness(prefix);
    const ws = await reader.call('init', { backend: 'wasm', readOnly: true });
    expect(ws.runs.find((r) => r.id === run.id)!.status).toBe('running'); // not marked interrupted: it runs in the other tab
    await expect(reader.call('deleteRun', { runId: run.id })).rejects.toThrow(/open in another tab, which keeps its data/);
    await expect(reader.call('importFiles', { role: 'unlabeled', name: 'x', files: [] })).rejects.toThrow(/this tab only shows it/);
    expect((await writer.call('stop', {})).status).toBe('stopped');
  }, 60_000);

  it('deletes a running run: it stops first, then it and its checkpoint are gone', async () => {
    const h = await prepared(`del${prefixes++}`);
    const run = await h.call('startRun', { settings: { ...SETTINGS, epochs: 20 } });
    await h.next((e) => e.kind === 'step' && e.runId === run.id && e.step === 2);
    const ws = await h.call('deleteRun', { runId: run.id });
    expect(ws.runs.map((r) => r.id)).not.toContain(run.id);
    expect(ws.activeRunId).toBeNull();
    expect(await h.storage().loadCheckpoint(run.id)).toBeUndefined();
    const steps = h.events.filter((e) => e.kind === 'step' && e.runId === run.id).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.events.filter((e) => e.kind === 'step' && e.runId === run.id).length).toBe(steps); // no step after it
  }, 60_000);

  it('a full disk pauses the run with the last checkpoint intact', async () => {
    const prefix = `quota${prefixes++}`;
    await prepared(prefix);
    // a fresh page on a disk with room for about three checkpoints of the demo student (~70 kB each)
    const h = harness(prefix);
    await h.call('init', { backend: 'wasm' });
    const unlimit = limitIndexedDbWrites(200_000);
    const run = await h.call('startRun', { settings: { ...SETTINGS, ckptEvery: 1 } });
    const end = await runEnd(h, run.id).finally(unlimit);
    expect(end).toMatchObject({ status: 'paused' });
    const err = h.events.find((e) => e.kind === 'error');
    expect(err).toMatchObject({
      error: {
        kind: 'quota',
        message: expect.stringMatching(
          /The browser refused to keep the checkpoint at step \d+ \(QuotaExceededError: .*\) and gives no storage estimate.*paused.*last checkpoint \(step \d+\) is intact/s,
        ),
      },
    });
    const ckpt = await h.storage().loadCheckpoint(run.id);
    const lastGood = h.events.filter((e) => e.kind === 'checkpoint' && e.runId === run.id).at(-1) as { step: number };
    expect(ckpt!.step).toBe(lastGood.step);
    expect((end as { step: number }).step).toBeGreaterThan(lastGood.step);
  }, 60_000);

  it('a lost GPU pauses the run; resuming continues on WASM to the end', async () => {
    const h = await prepared(`gpu${prefixes++}`);
    const run = await h.call('startRun', { settings: SETTINGS, options: { backend: 'webgpu' } });
    await h.next((e) => e.kind === 'step' && e.runId === run.id && e.step === 4);
    h.studio.deviceLost('the test destroyed it'); // what the worker calls when onnxruntime's device is lost
    const end = await runEnd(h, run.id);
    expect(end).toMatchObject({ status: 'paused', message: expect.stringMatching(/GPU device was lost.*paused/) });
    expect(h.events.some((e) => e.kind === 'deviceLost')).toBe(true);
    expect(h.events.find((e) => e.kind === 'error')).toMatchObject({ error: { kind: 'device' } });
    const ckptStep = (await h.storage().loadCheckpoint(run.id))!.step;
    expect(ckptStep).toBeGreaterThanOrEqual(3);
    const resumed = await h.call('resume', { runId: run.id });
    expect(resumed.options.backend).toBe('wasm');
    expect(resumed.step).toBe(ckptStep);
    expect(await runEnd(h, run.id)).toMatchObject({ status: 'done' });
  }, 60_000);

  it("a fresh worker (the app starts one after a lost GPU) resumes a WebGPU run on the backend asked for, else on the run's own", async () => {
    const prefix = `gpu${prefixes++}`;
    const h = await prepared(prefix);
    const run = await h.call('startRun', { settings: SETTINGS, options: { backend: 'webgpu' } });
    await h.next((e) => e.kind === 'step' && e.runId === run.id && e.step === 2);
    await h.call('pause', {});

    const fresh = harness(prefix);
    await fresh.call('init', { backend: 'wasm' });
    expect((await fresh.call('resume', { runId: run.id })).options.backend).toBe('webgpu');
    await fresh.call('pause', {});
    expect((await fresh.call('resume', { runId: run.id, backend: 'wasm' })).options.backend).toBe('wasm');
    await fresh.call('stop', {});
  }, 60_000);

  it('exported prompts start a new run at the same accuracy; the ONNX classifier predicts what the studio does', async () => {
    const h = await prepared(`exp${prefixes++}`);
    const run = await h.call('startRun', { settings: SETTINGS });
    await runEnd(h, run.id);
    const finalEval = h.events.filter((e) => e.kind === 'eval' && e.runId === run.id).at(-1);
    const results = await h.call('results', { runId: run.id });
    expect(results.accuracy.hm).toBe((finalEval as { hm: number }).hm);
    expect(results.gallery.length).toBe(8);

    const prompts = await h.call('exportPrompts', { runId: run.id });
    expect(JSON.parse(prompts.config).classes).toEqual(CLASSES);
    // the PyTorch export carries the same tensors, and the run's completed epochs
    const pth = await readTorchCheckpoint(new Blob([prompts.pth as Uint8Array<ArrayBuffer>]));
    const tensors = await loadSafetensors(new Blob([prompts.safetensors as Uint8Array<ArrayBuffer>]));
    expect([...pth.tensors.keys()].sort()).toEqual([...tensors.keys(), 'VPT_image_trans.conv1.1.num_batches_tracked'].sort());
    expect(await pth.read([...tensors.keys()])).toEqual(tensors);
    expect((pth.root as PyDict).map.get('epoch')).toBe(Math.floor(results.step / run.stepsPerEpoch));
    const file = new File([prompts.safetensors as Uint8Array<ArrayBuffer>], 'prompts.safetensors');
    const again = await h.call('startRun', { settings: SETTINGS, initialPrompts: file });
    const first = h.events.find((e) => e.kind === 'eval' && e.runId === again.id);
    expect(first).toMatchObject({
      step: 0,
      base: (finalEval as { base: number }).base,
      new: (finalEval as { new: number }).new,
      hm: (finalEval as { hm: number }).hm,
    });
    await h.call('stop', {});

    const onnx = await h.call('exportOnnx', { runId: run.id, batch: 4 });
    const session = await node.load(onnx.bytes);
    const test = labeledSet((await h.storage().listDatasets()).find((d) => d.role === 'test')!, CLASSES);
    const predictions: number[] = [];
    for (let at = 0; at < test.itemIds.length; at += 4) {
      const px = await labeledPixels(h.storage(), test, [at, at + 1, at + 2, at + 3], onnx.imageSize, null);
      const logits = (await (await session.run({ [onnx.inputName]: px }))[onnx.outputName]!.read()).data as Float32Array;
      for (let r = 0; r < 4; r++) {
        const row = Array.from(logits.subarray(r * 4, r * 4 + 4));
        predictions.push(row.indexOf(Math.max(...row)));
      }
    }
    expect(predictions).toEqual(results.predictions);
    const report = JSON.parse((await h.call('report', { runId: run.id })).json);
    expect(report.run.id).toBe(run.id);
    expect(report.results.predictions).toEqual(results.predictions);
  }, 120_000);

  it('exports a kept checkpoint before the last (the best on base may be one); names the kept steps when asked for another', async () => {
    const h = await prepared(`exp${prefixes++}`);
    // evaluated and checkpointed together at steps 3, 6, 9, 12: the run keeps 6, 9, 12 and the best on base
    const settings = { ...SETTINGS, evalEvery: 3 };
    const run = await h.call('startRun', { settings });
    await runEnd(h, run.id);
    const saved = h.events.filter((e) => e.kind === 'checkpoint' && e.runId === run.id).at(-1) as Extract<
      EngineEvent,
      { kind: 'checkpoint' }
    >;
    expect(saved.step).toBe(12);
    const kept = saved.checkpoints.map((c) => c.step);
    expect(kept).toEqual(expect.arrayContaining([6, 9, 12]));
    expect((await h.call('workspace', {})).runs.find((r) => r.id === run.id)!.checkpoints).toEqual(saved.checkpoints);

    const atSix = h.events.find((e) => e.kind === 'eval' && e.runId === run.id && e.step === 6) as Extract<EngineEvent, { kind: 'eval' }>;
    const prompts = await h.call('exportPrompts', { runId: run.id, step: 6 });
    expect(prompts.fileName).toMatch(/-step6$/);
    expect(JSON.parse(prompts.config)).toMatchObject({ step: 6, accuracy: { step: 6, base: atSix.base, new: atSix.new, hm: atSix.hm } });
    // the exported prompts are step 6's: a run started from them scores what the run scored at step 6
    const again = await h.call('startRun', {
      settings,
      initialPrompts: new File([prompts.safetensors as Uint8Array<ArrayBuffer>], 'step6.safetensors'),
    });
    const first = h.events.find((e) => e.kind === 'eval' && e.runId === again.id);
    expect(first).toMatchObject({ step: 0, base: atSix.base, new: atSix.new, hm: atSix.hm });
    await h.call('stop', {});
    expect((await h.call('exportOnnx', { runId: run.id, step: 6 })).fileName).toMatch(/-step6\.onnx$/);

    const gone = [1, 2, 3, 4, 5].find((s) => !kept.includes(s))!;
    await expect(h.call('exportPrompts', { runId: run.id, step: gone })).rejects.toThrow(
      `keeps no checkpoint at step ${gone} (it keeps steps ${kept.join(', ')})`,
    );
  }, 120_000);
});
