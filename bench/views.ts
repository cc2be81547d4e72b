// Views per image on the demo: the final base/new/HM of a distillation that reuses K random crops per
// image (--views K: epoch e shows the crop of epoch e mod K, so the teacher labels K views per image)
// for K = 1, 2, 4 and K = E = 8 epochs, over seeds 1, 2, 3, with augmentation on and the demo's other
// settings (models/demo-teacher with its stage-1 prompts, models/demo-student). Reference rows:
//   centre views  augmentation off (the demo's default), from labels made once with --no-augment;
//   fp16 labels   K = E from labels stored in float16;
//   online        K = E with the teacher model in the loop (no labels); its per-step losses are
//                 checked to equal the float32 labels run's at K = E exactly.
// Each seed is labelled once with 8 views (float32, and again in float16); K = 1, 2, 4, 8 all read
// the float32 labels. The CLI's functions run in-process on the CPU backend.
//
//   npm run bench:views      (about 7 minutes on 2 CPU cores: 21 distillations of 744 steps, 7 labellings)
// Work folder .tmp/views/ (emptied at start); results in bench/views.json and a Markdown table on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { writeDemoFolders } from '../src/cli/demo-folders.ts';
import { DEMO_SETTINGS } from '../src/engine/promptkd/run-settings.ts';
import {
  distill,
  label,
  mean,
  provenance,
  sampleStd,
  STUDENT,
  TEACHER,
  TEACHER_PROMPTS,
  type Labelling,
  type SeedResult,
} from './demo-runs.ts';

const WORK = '.tmp/views',
  RESULTS_FILE = 'bench/views.json';
const log = (line: string) => console.error(`[views] ${line}`);
const EPOCHS = 8,
  SEEDS = [1, 2, 3],
  KS = [1, 2, 4];

interface Row {
  name: string;
  /** distinct views per image the run trains on (what a labelling for it needs) */
  viewsPerImage: number;
  /** views per image held by the labels it read; null for the online teacher */
  labelledViewsPerImage: number | null;
  seeds: Omit<SeedResult, 'losses'>[];
  hmMean: number;
  hmStd: number;
  secondsMean: number;
}

function rowOf(name: string, viewsPerImage: number, labelledViewsPerImage: number | null, results: readonly SeedResult[]): Row {
  const hms = results.map((r) => r.hm);
  return {
    name,
    viewsPerImage,
    labelledViewsPerImage,
    seeds: results.map(({ losses: _, ...rest }) => rest),
    hmMean: mean(hms),
    hmStd: sampleStd(hms),
    secondsMean: mean(results.map((r) => r.seconds)),
  };
}

const sameLosses = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

const pct = (x: number) => (100 * x).toFixed(2);

function markdownTable(rows: readonly Row[]): string {
  const head = [
    'setting',
    'teacher views per image',
    'label file (MB)',
    ...SEEDS.map((s) => `HM seed ${s} (%)`),
    'HM mean ± std (%)',
    'distill s (mean)',
  ];
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const body = rows.map((r) => {
    const bytes = r.seeds[0]!.labelBytes;
    const views =
      r.labelledViewsPerImage !== null && r.labelledViewsPerImage !== r.viewsPerImage
        ? `${r.viewsPerImage} (of ${r.labelledViewsPerImage} labelled)`
        : String(r.viewsPerImage);
    return line([
      r.name,
      views,
      bytes === null ? '—' : (bytes / 1e6).toFixed(2),
      ...r.seeds.map((s) => pct(s.hm)),
      `${pct(r.hmMean)} ± ${pct(r.hmStd)}`,
      r.secondsMean.toFixed(1),
    ]);
  });
  return [line(head), line(head.map(() => '---')), ...body].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  fs.rmSync(WORK, { recursive: true, force: true });
  const data = await writeDemoFolders(path.join(WORK, 'demo'));
  log('labelling the centre views (once) …');
  const centreLabels = await label(data, path.join(WORK, 'labels-centre'), EPOCHS, ['--no-augment', '--seed', String(SEEDS[0])]);
  const labellings: (Labelling & { name: string; seed: number | null })[] = [{ name: 'centre', seed: null, ...centreLabels }];

  const runs = new Map<string, SeedResult[]>();
  const add = (name: string, r: SeedResult) => runs.set(name, [...(runs.get(name) ?? []), r]);
  const lossesEqual: Record<number, boolean> = {};
  for (const seed of SEEDS) {
    const dir = (name: string) => path.join(WORK, `seed${seed}`, name);
    log(`seed ${seed}: labelling ${EPOCHS} views per image, float32 and float16 …`);
    const f32 = await label(data, dir('labels-f32'), EPOCHS, ['--augment', '--seed', String(seed)]);
    const f16 = await label(data, dir('labels-f16'), EPOCHS, ['--augment', '--seed', String(seed), '--fp16']);
    labellings.push({ name: 'f32', seed, ...f32 }, { name: 'f16', seed, ...f16 });
    const on = (k: number) => ['--augment', '--views', String(k)];
    log(`seed ${seed}: centre views …`);
    add('centre', await distill(data, seed, EPOCHS, dir('run-centre'), centreLabels, ['--no-augment']));
    for (const k of [...KS, EPOCHS]) {
      log(`seed ${seed}: K = ${k} …`);
      add(`K${k}`, await distill(data, seed, EPOCHS, dir(`run-K${k}`), f32, on(k)));
    }
    log(`seed ${seed}: K = E from float16 labels …`);
    add('fp16', await distill(data, seed, EPOCHS, dir('run-fp16'), f16, on(EPOCHS)));
    log(`seed ${seed}: K = E with the online teacher …`);
    const online = await distill(data, seed, EPOCHS, dir('run-online'), null, on(EPOCHS));
    add('online', online);
    lossesEqual[seed] = sameLosses(online.losses, runs.get(`K${EPOCHS}`)!.at(-1)!.losses);
    log(`seed ${seed}: online losses ${lossesEqual[seed] ? 'equal' : 'differ from'} the labels run's (${online.losses.length} steps)`);
  }

  const rows: Row[] = [
    rowOf('centre views (no augment)', 1, 1, runs.get('centre')!),
    ...KS.map((k) => rowOf(`K=${k}`, k, EPOCHS, runs.get(`K${k}`)!)),
    rowOf(`K=E=${EPOCHS}`, EPOCHS, EPOCHS, runs.get(`K${EPOCHS}`)!),
    rowOf(`K=E fp16 labels`, EPOCHS, EPOCHS, runs.get('fp16')!),
    rowOf(`online teacher K=E`, EPOCHS, null, runs.get('online')!),
  ];
  const totalSeconds = (performance.now() - started) / 1000;
  const results = {
    ...provenance(),
    settings: {
      epochs: EPOCHS,
      seeds: SEEDS,
      batchSize: DEMO_SETTINGS.batchSize,
      lr: DEMO_SETTINGS.lr,
      depth: DEMO_SETTINGS.depth,
      nCtx: DEMO_SETTINGS.nCtx,
      evalEvery: DEMO_SETTINGS.evalEvery,
      ckptEvery: DEMO_SETTINGS.ckptEvery,
      evalBatch: 100,
      teacher: TEACHER,
      teacherPrompts: TEACHER_PROMPTS,
      student: STUDENT,
      backend: 'cpu',
    },
    onlineLossesEqualLabels: Object.values(lossesEqual).every(Boolean),
    onlineLossesEqualLabelsPerSeed: lossesEqual,
    labellings,
    rows,
    totalSeconds,
  };
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 1)}\n`);
  console.log(markdownTable(rows));
  console.log(`\nonline teacher's per-step losses equal the float32 labels run's at K=E: ${results.onlineLossesEqualLabels}`);
  console.log(`total ${totalSeconds.toFixed(0)} s; results in ${RESULTS_FILE}`);
}

await main();
