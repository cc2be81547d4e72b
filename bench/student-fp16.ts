// The float16 student on the demo: the final base/new/HM of the demo's distillation (its settings, centre
// views, seeds 1, 2, 3) with the student's frozen tower in float32 and in float16 (--student-fp16), both
// from the same float32 teacher labels, so that the student's precision is the only difference. Also
// the two runs' losses at the first step (the same state: float16's own error) and at their largest
// difference (the trajectories part as training goes on).
//
// On the CPU, onnxruntime computes the float16 tower's ops in float32 between casts it inserts, so the
// tower's weights and the values between ops are float16 as on a GPU with shader-f16, but not the
// arithmetic inside an op (a GPU's float16 kernels may accumulate in float16). Speed is not measured
// here: the casts make the CPU slower, and a GPU faster.
//
//   npm run bench:fp16     (about 2 minutes on 2 CPU cores: one labelling, 6 distillations)
// Work folder .tmp/student-fp16/ (emptied at start); results in bench/student-fp16.json and a Markdown
// table on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { writeDemoFolders } from '../src/cli/demo-folders.ts';
import { DEMO_SETTINGS } from '../src/engine/promptkd/run-settings.ts';
import { distill, label, mean, provenance, STUDENT, TEACHER, TEACHER_PROMPTS, type SeedResult } from './demo-runs.ts';

const WORK = '.tmp/student-fp16',
  RESULTS_FILE = 'bench/student-fp16.json';
const SEEDS = [1, 2, 3];
const EPOCHS = DEMO_SETTINGS.epochs;
const { seed: _seed, studentFp16: _studentFp16, ...demoSettings } = DEMO_SETTINGS;
const log = (line: string) => console.error(`[fp16] ${line}`);

/** the largest |a/b − 1| over the steps both ran */
const largestRelDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x / b[i]! - 1)));
const pct = (x: number) => (100 * x).toFixed(2);

async function main(): Promise<void> {
  const started = performance.now();
  fs.rmSync(WORK, { recursive: true, force: true });
  const data = await writeDemoFolders(path.join(WORK, 'demo'));
  log('labelling the centre views (once) …');
  const labels = await label(data, path.join(WORK, 'labels'), EPOCHS, ['--no-augment', '--seed', String(SEEDS[0])]);
  const perSeed: { seed: number; fp32: SeedResult; fp16: SeedResult; lossRelDiffFirst: number; lossRelDiffMax: number }[] = [];
  for (const seed of SEEDS) {
    const dir = (name: string) => path.join(WORK, `seed${seed}`, name);
    log(`seed ${seed}: float32 student …`);
    const fp32 = await distill(data, seed, EPOCHS, dir('fp32'), labels, ['--no-augment']);
    log(`seed ${seed}: float16 student …`);
    const fp16 = await distill(data, seed, EPOCHS, dir('fp16'), labels, ['--no-augment', '--student-fp16']);
    if (fp16.losses.length !== fp32.losses.length) throw new Error(`seed ${seed}: the two runs took different numbers of steps`);
    const lossRelDiffFirst = Math.abs(fp16.losses[0]! / fp32.losses[0]! - 1);
    perSeed.push({ seed, fp32, fp16, lossRelDiffFirst, lossRelDiffMax: largestRelDiff(fp16.losses, fp32.losses) });
  }
  const summary = (pick: (r: { fp32: SeedResult; fp16: SeedResult }) => SeedResult) => ({
    base: mean(perSeed.map((r) => pick(r).base)),
    new: mean(perSeed.map((r) => pick(r).new)),
    hm: mean(perSeed.map((r) => pick(r).hm)),
    secondsMean: mean(perSeed.map((r) => pick(r).seconds)),
  });
  const fp32 = summary((r) => r.fp32),
    fp16 = summary((r) => r.fp16);
  const hmDelta = perSeed.map((r) => r.fp16.hm - r.fp32.hm);
  const totalSeconds = (performance.now() - started) / 1000;
  const results = {
    ...provenance(),
    // the demo's settings but the two each run sets itself: the seed and the student's precision
    settings: {
      ...demoSettings,
      augment: false,
      seeds: SEEDS,
      teacher: TEACHER,
      teacherPrompts: TEACHER_PROMPTS,
      student: STUDENT,
      backend: 'cpu',
    },
    seeds: perSeed.map(({ seed, fp32, fp16, lossRelDiffFirst, lossRelDiffMax }) => ({
      seed,
      fp32: { base: fp32.base, new: fp32.new, hm: fp32.hm, seconds: fp32.seconds },
      fp16: { base: fp16.base, new: fp16.new, hm: fp16.hm, seconds: fp16.seconds },
      hmDelta: fp16.hm - fp32.hm,
      lossRelDiffFirst,
      lossRelDiffMax,
      steps: fp32.losses.length,
    })),
    fp32,
    fp16,
    hmDeltaMean: mean(hmDelta),
    hmDeltaLargest: Math.max(...hmDelta.map(Math.abs)),
    totalSeconds,
  };
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 1)}\n`);
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  console.log(line(['student tower', ...SEEDS.map((s) => `HM seed ${s} (%)`), 'base (mean, %)', 'new (mean, %)', 'HM (mean, %)']));
  console.log(line(Array(SEEDS.length + 4).fill('---')));
  for (const [name, pick, s] of [
    ['float32', (r: (typeof perSeed)[number]) => r.fp32, fp32],
    ['float16', (r: (typeof perSeed)[number]) => r.fp16, fp16],
  ] as const) {
    console.log(line([name, ...perSeed.map((r) => pct(pick(r).hm)), pct(s.base), pct(s.new), pct(s.hm)]));
  }
  console.log(
    `\nHM float16 − float32: ${hmDelta.map((d) => `${d >= 0 ? '+' : ''}${pct(d)}`).join(', ')} points (mean ${pct(results.hmDeltaMean)}); ` +
      `relative loss difference at step 1: ${perSeed.map((r) => r.lossRelDiffFirst.toExponential(2)).join(', ')}; ` +
      `largest over the run: ${perSeed.map((r) => r.lossRelDiffMax.toExponential(2)).join(', ')}`,
  );
  console.log(`total ${totalSeconds.toFixed(0)} s; results in ${RESULTS_FILE}`);
}

await main();
