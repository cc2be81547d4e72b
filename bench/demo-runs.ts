// The demo's teacher labelling and distillation, run in-process through the CLI's own functions on the
// CPU backend, for the benchmarks that compare demo runs (views.ts, student-fp16.ts): models/demo-teacher
// with its stage-1 prompts, models/demo-student, the demo's settings (DEMO_SETTINGS) at a given number
// of epochs.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { EvaluationSummary } from '../src/cli/evaluation-lines.ts';
import { parseLabelArgs, runLabel } from '../src/cli/label-command.ts';
import { parseDistillArgs } from '../src/cli/promptkd.ts';
import { runDistill } from '../src/cli/promptkd-distill.ts';
import { Progress } from '../src/cli/promptkd-progress.ts';
import { DEMO_SETTINGS } from '../src/engine/promptkd/run-settings.ts';

export const TEACHER = 'models/demo-teacher',
  TEACHER_PROMPTS = 'models/demo-teacher/prompts.safetensors',
  STUDENT = 'models/demo-student';
const LABEL_FILE = 'shard-0-of-1.safetensors';

const quiet = () => undefined;
const quietProgress = () => new Progress(new Writable({ write: (_c, _e, done) => done() }));

export interface Data {
  images: string;
  split: string;
}

/** one labelling: its folder and what it cost */
export interface Labelling {
  dir: string;
  viewsPerImage: number;
  teacherViews: number;
  seconds: number;
  bytes: number;
}

/** one distillation's result */
export interface SeedResult {
  seed: number;
  base: number;
  new: number;
  hm: number;
  seconds: number;
  /** views the teacher computed for this run: its labelling's, or the online teacher's */
  teacherViews: number;
  /** the label file it read; null for the online teacher */
  labelBytes: number | null;
  /** every step's loss, to compare runs */
  losses: number[];
}

/** `promptkd label` on the demo's train list (and its test list's centre views) */
export async function label(data: Data, out: string, epochs: number, flags: string[]): Promise<Labelling> {
  const t0 = performance.now();
  const r = await runLabel(
    parseLabelArgs(
      [
        '--unlabeled',
        data.images,
        '--split',
        data.split,
        '--teacher',
        TEACHER,
        '--teacher-prompts',
        TEACHER_PROMPTS,
        '--epochs',
        String(epochs),
        '--out',
        out,
        ...flags,
      ],
      {},
    ),
    quiet,
  );
  const seconds = (performance.now() - t0) / 1000;
  const header = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { recipe: { views: number } };
  return {
    dir: out,
    viewsPerImage: header.recipe.views,
    teacherViews: r.labelled,
    seconds,
    bytes: fs.statSync(path.join(out, LABEL_FILE)).size,
  };
}

/** the demo's recipe as distill flags: its batch, learning rate and prompts (DEMO_SETTINGS) */
export const demoRecipeFlags = (): string[] => [
  '--batch-size',
  String(DEMO_SETTINGS.batchSize),
  '--lr',
  String(DEMO_SETTINGS.lr),
  '--depth',
  String(DEMO_SETTINGS.depth),
  '--n-ctx',
  String(DEMO_SETTINGS.nCtx),
];

/** the demo's settings as distill flags, at `epochs` epochs */
const demoFlags = (data: Data, seed: number, epochs: number) => [
  '--unlabeled',
  data.images,
  '--split',
  data.split,
  '--student',
  STUDENT,
  '--epochs',
  String(epochs),
  '--seed',
  String(seed),
  ...demoRecipeFlags(),
  '--eval-every',
  String(DEMO_SETTINGS.evalEvery),
  '--ckpt-every',
  String(DEMO_SETTINGS.ckptEvery),
  '--eval-batch',
  '100',
];

/** `promptkd distill` with the demo's settings plus `flags`; the teacher from `labels`, or online when null */
export async function distill(
  data: Data,
  seed: number,
  epochs: number,
  out: string,
  labels: Labelling | null,
  flags: string[],
): Promise<SeedResult> {
  const teacher = labels ? ['--teacher-labels', labels.dir] : ['--teacher', TEACHER, '--teacher-prompts', TEACHER_PROMPTS];
  const t0 = performance.now();
  const report = await runDistill(
    parseDistillArgs([...demoFlags(data, seed, epochs), ...teacher, ...flags, '--out', out]),
    quiet,
    quietProgress(),
  );
  const seconds = (performance.now() - t0) / 1000;
  const final = report.final as { evaluation: EvaluationSummary; teacherPasses: number };
  const e = final.evaluation;
  if (!('hm' in e) || e.base === null || e.new === null || e.hm === null) throw new Error(`${out}: no base/new/HM in the last evaluation`);
  return {
    seed,
    base: e.base,
    new: e.new,
    hm: e.hm,
    seconds,
    teacherViews: labels ? labels.teacherViews : final.teacherPasses,
    labelBytes: labels ? labels.bytes : null,
    losses: (report.steps as { loss: number }[]).map((s) => s.loss),
  };
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** sample standard deviation (n − 1) */
export const sampleStd = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(xs.length - 1, 1));

/** when, where and at which commit a demo benchmark ran: the head of its results file */
export const provenance = () => ({
  date: new Date().toISOString(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
  commit: execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim(),
});
