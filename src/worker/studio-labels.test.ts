// The studio with teacher labels in force: labels made by `promptkd label` are imported (a merged file
// or every shard), a run distils from them with only the student loaded, step for step as the CLI's
// run from the same labels, and they are still in force after a reload; labels that cannot serve a
// run, an incomplete set and a file of the wrong kind are each named in one line.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPromptkdWith, writePng } from '../cli/run-cli.testkit.ts';
import { DEMO_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import type { EngineEvent, RunSettings } from './protocol.ts';
import { studioHarness } from './node-studio.testkit.ts';

const node = createNodeRuntime();
const CLASSES = ['bag', 'dress', 'sneaker'];
const SETTINGS: RunSettings = {
  ...DEMO_SETTINGS,
  epochs: 2,
  batchSize: 4,
  depth: 2,
  nCtx: 2,
  evalEvery: 0,
  ckptEvery: 0,
  seed: 3,
};
let root: string;
let prefixes = 0;

const filesOf = (dir: string) =>
  fs
    .readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(path.join(root, dir), path.join(e.parentPath, e.name)))
    .sort()
    .map((rel) => ({ file: new File([fs.readFileSync(path.join(root, dir, rel))], path.basename(rel)), path: rel }));
const labelFiles = (dir: string) =>
  fs.readdirSync(path.join(root, dir)).map((n) => new File([fs.readFileSync(path.join(root, dir, n))], n));
const cli = (...args: string[]) => runPromptkdWith({ SLURM_ARRAY_TASK_ID: '' }, root, args[0]!, ...args.slice(1));

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-studio-labels-'));
  for (let i = 0; i < 14; i++) writePng(path.join(root, 'unlabeled', `p${String(i).padStart(2, '0')}.png`), i, i % 3);
  CLASSES.forEach((c, k) => {
    for (let i = 0; i < 2; i++) writePng(path.join(root, 'test', c, `${i}.png`), 100 + 10 * k + i, k);
  });
  const common = [
    '--unlabeled',
    'unlabeled',
    '--teacher',
    'models/demo-teacher',
    '--test',
    'test',
    '--no-augment',
    '--teacher-batch',
    '4',
  ].map((a) => (a.startsWith('models/') ? path.resolve(a) : a));
  for (const [out, extra] of [
    ['labels', []],
    ['sharded', ['--shard', '0/2']],
    ['sharded', ['--shard', '1/2']],
  ] as const) {
    const r = await cli('label', ...common, ...extra, '--out', out);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const run = await cli(
    'distill',
    '--unlabeled',
    'unlabeled',
    '--test',
    'test',
    '--student',
    path.resolve('models/demo-student'),
    '--teacher-labels',
    'labels',
    '--epochs',
    '2',
    '--batch-size',
    '4',
    '--depth',
    '2',
    '--n-ctx',
    '2',
    '--lr',
    String(SETTINGS.lr),
    '--no-augment',
    '--seed',
    '3',
    '--eval-batch',
    '6',
    '--out',
    'cli-run',
  );
  if (run.code !== 0) throw new Error(run.stderr);
}, 120_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the studio with teacher labels', () => {
  it('distils from imported shards with the student alone, as the CLI does from the same labels, and keeps them over a reload', async () => {
    const prefix = `labels-${prefixes++}`;
    const h = studioHarness(prefix, node);
    await h.call('init', { backend: 'wasm' });
    await h.call('importFiles', { role: 'unlabeled', name: 'unlabeled', files: filesOf('unlabeled') });
    await h.call('importFiles', { role: 'test', name: 'test', files: filesOf('test') });
    // the folder of shards, manifest and all
    const ws = await h.call('importTeacherLabels', { name: 'sharded', files: labelFiles('sharded') });
    expect(ws.teacherLabels).toMatchObject({
      name: 'sharded',
      classes: CLASSES,
      images: 14,
      testImages: 6,
      recipe: { augment: false, views: 1 },
    });
    expect(ws.teacherLabels!.coverage).toMatchObject({ problem: null });
    expect(ws.classes).toEqual(CLASSES);
    const loaded = await h.call('setModels', { student: { kind: 'demo' } });
    expect(loaded.models).toEqual({ student: expect.objectContaining({ name: 'demo-student' }), teacher: null });

    const done = h.next((e) => e.kind === 'runStatus' && e.status === 'done');
    const record = await h.call('startRun', { settings: SETTINGS });
    expect(record.models.teacher).toBeNull();
    expect(record.teacher.mode).toBe('labels');
    await done;
    const cliReport = JSON.parse(fs.readFileSync(path.join(root, 'cli-run', 'report.json'), 'utf8'));
    const steps = h.events.filter((e): e is Extract<EngineEvent, { kind: 'step' }> => e.kind === 'step').map((e) => e.loss);
    expect(steps).toHaveLength(cliReport.steps.length);
    steps.forEach((loss, i) => {
      expect(loss, `step ${i + 1}`).toBeCloseTo(cliReport.steps[i].loss, 4);
    });
    // the teacher's reference line from the labelled test images, as the CLI reports it
    const refs = h.events.find((e): e is Extract<EngineEvent, { kind: 'references' }> => e.kind === 'references')!;
    expect(refs.teacher!.hm).toBeCloseTo(cliReport.teacher.evaluation.hm, 6);
    const results = await h.call('results', { runId: record.id });
    expect(results.gallery.every((g) => g.teacher !== null)).toBe(true);

    // a reload: the labels are still in force, and no teacher is loaded
    const again = studioHarness(prefix, node);
    const reopened = await again.call('init', { backend: 'wasm' });
    expect(reopened.teacherLabels).toMatchObject({ name: 'sharded', images: 14 });
    expect(reopened.models.teacher).toBeNull();
    expect((await again.call('report', { runId: record.id })).json).toContain('"mode": "labels"');

    const cleared = await again.call('clearTeacherLabels', {});
    expect(cleared.teacherLabels).toBeNull();
    await expect(again.call('results', { runId: record.id })).rejects.toThrow(
      /distils from the teacher labels sharded, which are not in force now; import them again/,
    );
  });

  it('names labels that cannot serve the run before it starts, and refuses incomplete sets and files of the wrong kind', async () => {
    const h = studioHarness(`labels-${prefixes++}`, node);
    await h.call('init', { backend: 'wasm' });
    await expect(
      h.call('importTeacherLabels', { name: 'half', files: [labelFiles('sharded').find((f) => f.name === 'shard-0-of-2.safetensors')!] }),
    ).rejects.toThrow('"half" cannot be used as teacher labels: shard 1/2 is missing (found 0)');
    const prompts = new File([fs.readFileSync('models/demo-teacher/prompts.safetensors')], 'prompts.safetensors');
    await expect(h.call('importTeacherLabels', { name: 'prompts.safetensors', files: [prompts] })).rejects.toThrow(
      /is not a teacher-label file .*it looks like a prompt file/,
    );
    await expect(h.call('importTeacherLabels', { name: 'notes', files: [new File(['x'], 'notes.txt')] })).rejects.toThrow(
      'holds no .safetensors file',
    );

    await h.call('importFiles', {
      role: 'unlabeled',
      name: 'more',
      files: [...filesOf('unlabeled'), { file: filesOf('test')[0]!.file, path: 'extra.png' }],
    });
    const ws = await h.call('importTeacherLabels', { name: 'labels', files: labelFiles('labels') });
    expect(ws.teacherLabels!.coverage!.problem).toBe('image extra.png is not labelled; label this folder');
    await h.call('setModels', { student: { kind: 'demo' } });
    await expect(h.call('startRun', { settings: SETTINGS })).rejects.toThrow(
      'these teacher labels cannot serve this run: image extra.png is not labelled',
    );
    await expect(h.call('startRun', { settings: { ...SETTINGS, augment: true } })).rejects.toThrow('augmentation is off in the labels');
    // a teacher model is for later: the labels are in force
    await expect(h.call('teacher', { mode: 'zero-shot' })).rejects.toThrow('teacher labels are in force (step 4)');
    await expect(h.call('loadDemo', {})).rejects.toThrow('teacher labels are in force (step 4)');
    // and a label file where teacher prompts go
    await h.call('clearTeacherLabels', {});
    await h.call('setModels', { student: { kind: 'demo' }, teacher: { kind: 'demo' } });
    await expect(
      h.call('teacher', { mode: 'import', file: labelFiles('labels').find((f) => f.name.endsWith('.safetensors'))! }),
    ).rejects.toThrow('is a teacher-label file (made by promptkd label), not teacher prompts');
  });
});
