// Teacher labels in the benchmark, on the demo (its Fashion-MNIST images as PNG folders, its CLIPs):
// - labelling speed per backend: `promptkd label` end to end (decode, crop, teacher, commit), views/s;
// - time per distillation step from labels against the online teacher, in one run on one backend,
//   for the CLI (`promptkd distill`) and for the studio's worker code (the Studio over onnxruntime-node
//   and fake IndexedDB: the browser's own figures are the real-size e2e's);
// - the label files' size per 1,000 labelled views, float32 and float16.
// Nothing is asserted: compare the rows of one run.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { writeDemoFolders } from '../src/cli/demo-folders.ts';
import { parseLabelArgs, runLabel } from '../src/cli/label-command.ts';
import { parseDistillArgs } from '../src/cli/promptkd.ts';
import { runDistill } from '../src/cli/promptkd-distill.ts';
import { Progress } from '../src/cli/promptkd-progress.ts';
import { DEMO_SETTINGS } from '../src/engine/promptkd/run-settings.ts';
import type { NodeBackend } from '../src/engine/runtime/node.ts';
import { createNodeRuntime } from '../src/engine/runtime/node.ts';
import { studioHarness } from '../src/worker/node-studio.testkit.ts';
import type { EngineEvent } from '../src/worker/protocol.ts';
import { demoRecipeFlags, STUDENT, TEACHER } from './demo-runs.ts';
import { firstLine } from './measure.ts';
import type { LabelsBench } from './report.ts';

/** images labelled per backend row: a software adapter labels a few hundred views a minute */
const LABEL_IMAGES: Record<NodeBackend, number> = { cpu: 3000, webgpu: 256, cuda: 3000 };
const silent = () => undefined;

/** a CLI progress bar that prints nothing and keeps the time of every step */
class StepClock extends Progress {
  readonly at: number[] = [];
  constructor() {
    super(new Writable({ write: (_c, _e, done) => done() }));
  }
  override update(done: number, detail: string): void {
    this.at.push(performance.now());
    super.update(done, detail);
  }
}

/** seconds per step between the first step's end and the last's (set-up and evaluations left out) */
const perStep = (at: readonly number[]) => (at.at(-1)! - at[0]!) / 1000 / (at.length - 1);

/** the demo's settings as flags, one epoch, evaluated only after the last step */
const demoFlags = () => [
  '--student',
  STUDENT,
  '--epochs',
  '1',
  ...demoRecipeFlags(),
  '--no-augment',
  '--seed',
  String(DEMO_SETTINGS.seed),
  '--eval-every',
  '100000',
  '--ckpt-every',
  '100000',
  '--eval-batch',
  '100',
];

/** the first `n` train PNGs in a folder of their own */
function subset(images: string, n: number, into: string): string {
  fs.mkdirSync(into, { recursive: true });
  for (const f of fs.readdirSync(path.join(images, 'train')).sort().slice(0, n))
    fs.copyFileSync(path.join(images, 'train', f), path.join(into, f));
  return into;
}

export async function measureLabels(work: string, backends: readonly NodeBackend[], log: (line: string) => void): Promise<LabelsBench> {
  fs.rmSync(work, { recursive: true, force: true });
  const { images, split } = await writeDemoFolders(path.join(work, 'demo'));
  const classes = (JSON.parse(fs.readFileSync(path.join('public/demo/index.json'), 'utf8')) as { classNames: string[] }).classNames;
  const out: LabelsBench = { labelling: [], steps: [], fileBytes: [] };
  const train = path.join(images, 'train');

  for (const backend of backends) {
    const n = LABEL_IMAGES[backend];
    log(`labels: labelling ${n} demo images on ${backend} …`);
    try {
      const folder = n >= 3000 ? train : subset(images, n, path.join(work, `subset-${n}`));
      const t0 = performance.now();
      const r = await runLabel(
        parseLabelArgs(
          [
            '--unlabeled',
            folder,
            '--teacher',
            TEACHER,
            '--classes',
            classes.join(','),
            '--no-augment',
            '--backend',
            backend,
            '--out',
            path.join(work, `labels-${backend}`),
          ],
          {},
        ),
        silent,
      );
      const seconds = (performance.now() - t0) / 1000;
      out.labelling.push({ backend, views: r.labelled, seconds, viewsPerSec: r.labelled / seconds });
    } catch (e) {
      out.labelling.push({ backend, views: 0, seconds: 0, viewsPerSec: 0, note: `failed: ${firstLine(e)}` });
    }
  }

  // the file sizes, without test labels: float32 from the CPU row's labels, float16 labelled once more
  await runLabel(
    parseLabelArgs(
      [
        '--unlabeled',
        train,
        '--teacher',
        TEACHER,
        '--classes',
        classes.join(','),
        '--no-augment',
        '--fp16',
        '--out',
        path.join(work, 'labels-fp16'),
      ],
      {},
    ),
    silent,
  );
  for (const [dtype, dir] of [
    ['float32', path.join(work, 'labels-cpu')],
    ['float16', path.join(work, 'labels-fp16')],
  ] as const) {
    const bytes = fs.statSync(path.join(dir, 'shard-0-of-1.safetensors')).size;
    out.fileBytes.push({ dtype, classes: classes.length, views: 3000, bytes, bytesPer1000Views: (1000 * bytes) / 3000 });
  }

  // the runs' labels: the split file's train list, named as the studio's demo names its images
  const labels = path.join(work, 'labels-split');
  await runLabel(
    parseLabelArgs(['--unlabeled', images, '--split', split, '--teacher', TEACHER, '--no-augment', '--out', labels], {}),
    silent,
  );
  log('labels: CLI steps, online teacher and labels …');
  for (const teacher of ['online', 'labels'] as const) {
    const source = teacher === 'online' ? ['--teacher', TEACHER] : ['--teacher-labels', labels];
    const clock = new StepClock();
    await runDistill(
      parseDistillArgs(['--unlabeled', images, '--split', split, ...demoFlags(), ...source, '--out', path.join(work, `cli-${teacher}`)]),
      silent,
      clock,
    );
    out.steps.push({ shell: 'CLI', backend: 'cpu', teacher, steps: clock.at.length, secondsPerStep: perStep(clock.at) });
  }

  log("labels: the studio's steps, online teacher and labels …");
  const h = studioHarness(`bench-labels-${Date.now()}`, createNodeRuntime());
  await h.call('init', { backend: 'wasm' });
  await h.call('loadDemo', {});
  const settings = { ...DEMO_SETTINGS, epochs: 1, evalEvery: 100000, ckptEvery: 100000, backend: 'wasm' as const };
  const labelsFile = new File([fs.readFileSync(path.join(labels, 'shard-0-of-1.safetensors'))], 'shard-0-of-1.safetensors');
  for (const teacher of ['online', 'labels'] as const) {
    if (teacher === 'labels') await h.call('importTeacherLabels', { name: 'demo labels', files: [labelsFile] });
    const at: number[] = [];
    const done = h.next((e: EngineEvent) => {
      if (e.kind === 'step') at.push(performance.now());
      return e.kind === 'runStatus' && e.status === 'done';
    });
    await h.call('startRun', { settings });
    await done;
    await h.call('stop', {}); // returns once the run's loop has ended
    out.steps.push({ shell: 'studio worker (Node)', backend: 'cpu', teacher, steps: at.length, secondsPerStep: perStep(at) });
  }
  return out;
}
