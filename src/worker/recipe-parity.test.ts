// The studio, the CLI and the demo run one recipe (engine/promptkd/job.ts): on the same images,
// models, settings and seed they report the same reference lines, take the same steps with the same
// losses, evaluate at the same steps with the same scores and close each epoch with the same mean
// loss; and the studio and the CLI label a nested labeled folder by the same rule (ImageFolder's:
// dress/2019/x.png is a dress).
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runDistill } from '../cli/promptkd-distill.ts';
import { Progress } from '../cli/promptkd-progress.ts';
import { TEACHER_PROMPTS_FILE } from '../cli/build-demo-models.ts';
import { type DemoReport, runDemo } from '../cli/demo.ts';
import { writeDemoFolders } from '../cli/demo-folders.ts';
import { DEMO_SETTINGS, PAPER_SETTINGS, type RunSettings } from '../engine/promptkd/run-settings.ts';
import { rng } from '../engine/random.ts';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import type { EngineEvent } from './protocol.ts';
import { studioHarness } from './node-studio.testkit.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'recipe-parity-'));
// the demo's 4,000 PNGs and three runs: on a busy machine removing them takes longer than a hook's default 10 s
afterAll(() => fs.rmSync(root, { recursive: true, force: true }), 60_000);

/** a 40×36 PNG leaning towards colour channel `tint` */
function pngBytes(seed: number, tint: number): Uint8Array {
  const r = rng(seed),
    p = new PNG({ width: 40, height: 36 });
  for (let i = 0; i < 40 * 36; i++) {
    for (let c = 0; c < 3; c++) p.data[i * 4 + c] = Math.min(255, Math.floor(r.next() * 120 + (c === tint ? 120 : 0)));
    p.data[i * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(p));
}

/** files as written under `dir` (sorted by path, as a folder picker gives them) */
function writeFolder(dir: string, files: Record<string, Uint8Array>): { file: File; path: string }[] {
  return Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([rel, bytes]) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), bytes);
      return { file: new File([bytes as Uint8Array<ArrayBuffer>], path.basename(rel)), path: rel };
    });
}

const unlabeled = writeFolder(
  path.join(root, 'unlabeled'),
  Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`img${i}.png`, pngBytes(i, i % 3)])),
);
// ImageFolder: 'dress/2019/…' belongs to dress; the loose file is in no class (words the demo teacher knows)
const test = writeFolder(path.join(root, 'test'), {
  'bag/a.png': pngBytes(100, 0),
  'bag/b.png': pngBytes(101, 0),
  'dress/2019/c.png': pngBytes(102, 1),
  'dress/d.png': pngBytes(103, 1),
  'sneaker/e.png': pngBytes(104, 2),
  'loose.png': pngBytes(105, 2),
});

const SETTINGS: RunSettings = {
  ...PAPER_SETTINGS,
  epochs: 5,
  batchSize: 3,
  depth: 2,
  nCtx: 2,
  seed: 3,
  evalEvery: 0,
  ckptEvery: 0,
};
const STEPS = 10;
const TEACHER_PROMPTS = path.join('models/demo-teacher', TEACHER_PROMPTS_FILE);

interface Scores {
  base: number | null;
  new: number | null;
  hm: number | null;
}
/** what the CLI's report and the demo's both hold of a run */
interface ShellReport {
  steps: { step: number; loss: number }[];
  evaluations: ({ step: number } & Scores)[];
  epochs: { epoch: number; meanLoss: number }[];
}
const round = (x: number | null) => Math.round(10000 * (x ?? 0)) / 100;
const quiet = new Progress(new Writable({ write: (_c, _e, done) => done() }));

describe('the studio and the CLI', () => {
  it('label a nested folder alike and take the same first 10 steps with the same losses and scores', async () => {
    const cli = await runDistill(
      {
        unlabeled: path.join(root, 'unlabeled'),
        test: path.join(root, 'test'),
        student: 'models/demo-student',
        teacher: 'models/demo-teacher',
        out: path.join(root, 'cli-run'),
        settings: SETTINGS,
        given: new Set(),
        evalBatch: 4,
        backend: 'cpu',
      },
      () => undefined,
      quiet,
    );
    expect((cli.classes as { names: string[] }).names).toEqual(['bag', 'dress', 'sneaker']);
    const cliLosses = (cli.steps as { loss: number }[]).slice(0, STEPS).map((s) => s.loss);
    expect(cliLosses).toHaveLength(STEPS);

    const h = studioHarness('parity', createNodeRuntime());
    await h.call('init', { backend: 'wasm' });
    await h.call('setModels', { student: { kind: 'demo' }, teacher: { kind: 'demo' } });
    await h.call('importFiles', { role: 'unlabeled', name: 'unlabeled', files: unlabeled });
    const imported = await h.call('importFiles', { role: 'test', name: 'test', files: test });
    expect(imported.classes).toEqual(['bag', 'dress', 'sneaker']);
    expect(imported.skipped.map((s) => s.name)).toEqual(['loose.png']);
    const tenth = h.next((e) => e.kind === 'step' && e.step === STEPS);
    await h.call('startRun', { settings: SETTINGS });
    await tenth;
    await h.call('pause', {});
    const studioLosses = h.events
      .filter((e): e is Extract<EngineEvent, { kind: 'step' }> => e.kind === 'step')
      .slice(0, STEPS)
      .map((e) => e.loss);
    // one runtime, one recipe, the same pixels: equal to float32 rounding
    studioLosses.forEach((l, i) => {
      expect(l, `step ${i + 1}`).toBeCloseTo(cliLosses[i]!, 4);
    });
    // and the same scores at every epoch end: the CLI evaluates in batches of 4, the studio in one
    // batch of the test folder's size (5), so padding changes nothing
    const cliEvals = (cli.evaluations as { step: number; base: number; new: number; hm: number }[]).map(({ step, base, new: nw, hm }) => ({
      step,
      base,
      new: nw,
      hm,
    }));
    const studioEvals = h.events
      .filter((e): e is Extract<EngineEvent, { kind: 'eval' }> => e.kind === 'eval' && e.step <= STEPS)
      .map(({ step, base, new: nw, hm }) => ({ step, base, new: nw, hm }));
    // both evaluate the student before training, then at every epoch end
    expect(cliEvals.filter((e) => e.step <= STEPS).map((e) => e.step)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(studioEvals).toEqual(cliEvals.filter((e) => e.step <= STEPS));
  }, 180_000);

  it('report, step, evaluate and close epochs alike with the demo on the demo data', async () => {
    const settings: RunSettings = { ...DEMO_SETTINGS, epochs: 1 };
    const quietLog = () => undefined;
    const demo = (await runDemo({ settings, log: quietLog })) as DemoReport & ShellReport;

    const folders = await writeDemoFolders(path.join(root, 'demo-folders'));
    const cli = (await runDistill(
      {
        unlabeled: folders.images,
        split: folders.split,
        student: 'models/demo-student',
        teacher: 'models/demo-teacher',
        teacherPrompts: TEACHER_PROMPTS,
        out: path.join(root, 'cli-demo-run'),
        settings,
        given: new Set(),
        evalBatch: 100,
        backend: 'cpu',
      },
      quietLog,
      quiet,
    )) as unknown as ShellReport & { teacher: { evaluation: Scores }; studentZeroShot: Scores };

    const h = studioHarness('parity-demo', createNodeRuntime());
    await h.call('init', { backend: 'wasm' });
    await h.call('loadDemo', {});
    const prompts = new File([new Uint8Array(fs.readFileSync(TEACHER_PROMPTS))], 'prompts.safetensors');
    await h.call('teacher', { mode: 'import', file: prompts });
    const run = await h.call('startRun', { settings });
    await h.next((e) => e.kind === 'runStatus' && e.runId === run.id && e.status === 'done');
    const studioSteps = h.events.filter((e): e is Extract<EngineEvent, { kind: 'step' }> => e.kind === 'step');
    const studioEvals = h.events.filter((e): e is Extract<EngineEvent, { kind: 'eval' }> => e.kind === 'eval');
    const studioRefs = h.events.find((e): e is Extract<EngineEvent, { kind: 'references' }> => e.kind === 'references')!;

    // the reference lines: the teacher with its stage-1 prompts and the zero-shot student (the demo rounds to 0.01 %)
    const rounded = (s: Scores | null) => s && { base: round(s.base), new: round(s.new), hm: round(s.hm) };
    expect(rounded(cli.teacher.evaluation)).toEqual(demo.teacher);
    expect(rounded(studioRefs.teacher)).toEqual(demo.teacher);
    expect(rounded(cli.studentZeroShot)).toEqual(demo.studentZeroShot);
    expect(rounded(studioRefs.studentZeroShot)).toEqual(demo.studentZeroShot);

    // the steps: one epoch of ⌊3000/32⌋ = 93, the same losses
    const demoLosses = demo.steps.map((s) => s.loss);
    expect(demoLosses).toHaveLength(93);
    expect(cli.steps.map((s) => s.loss)).toEqual(demoLosses);
    studioSteps.forEach((e, i) => {
      expect(e.loss, `studio step ${i + 1}`).toBeCloseTo(demoLosses[i]!, 4);
    });

    // evaluations before training, every 25 steps and after the last, with the same scores
    const scores = (es: readonly ({ step: number } & Scores)[]) => es.map(({ step, base, new: nw, hm }) => ({ step, base, new: nw, hm }));
    expect(scores(demo.evaluations).map((e) => e.step)).toEqual([0, 25, 50, 75, 93]);
    expect(scores(cli.evaluations)).toEqual(scores(demo.evaluations));
    expect(scores(studioEvals)).toEqual(scores(demo.evaluations));

    // the epoch's mean loss
    expect(demo.epochs).toHaveLength(1);
    expect(cli.epochs.map((e) => e.meanLoss)).toEqual(demo.epochs.map((e) => e.meanLoss));
    const studioMeans = studioSteps.filter((e) => e.epochMeanLoss !== null).map((e) => [e.step, e.epochMeanLoss]);
    expect(studioMeans).toHaveLength(1);
    expect(studioMeans[0]![0]).toBe(93);
    expect(studioMeans[0]![1]).toBeCloseTo(demo.epochs[0]!.meanLoss, 4);
  }, 300_000);
});
