// `npm run demo`: the embedded demo end to end on the CPU, offline. On the Fashion-MNIST subset in
// public/demo/ and the tiny CLIPs in models/ it evaluates the teacher zero-shot, the student
// zero-shot, and the student after PromptKD distillation from the teacher on the 3000 unlabeled
// train images (their labels are never read), and prints base / new / HM for each. The run is the
// studio's one-click demo: the same job (engine/promptkd/job.ts) with the same DEMO_SETTINGS.
//
//   npx tsx src/cli/demo.ts [--json] [--report FILE] [--epochs N] [--teacher DIR] [--student DIR] [--backend cpu|webgpu|cuda] [--threads N]
//
// With --json the report is also printed as the last line of stdout. On the CPU the demo runs
// single-threaded unless --threads says otherwise: onnxruntime's threaded kernels add partial sums in
// whatever order their threads finish, and two runs of one seed then differ by a few HM points.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoImageName, demoPixels, demoSeededViews, loadDemoData, type DemoSplit } from '../engine/demo/data.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import { DistillJob, type EpochSummary } from '../engine/promptkd/job.ts';
import { topOneAgreement } from '../engine/promptkd/top-one.ts';
import { DEMO_SETTINGS, type RunSettings } from '../engine/promptkd/run-settings.ts';
import { importTeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { evaluateTeacher, memoIn } from '../engine/promptkd/test-eval.ts';
import type { NodeBackend } from '../engine/runtime/node.ts';
import { openBackend, parseBackend } from './backend.ts';
import { TEACHER_PROMPTS_FILE } from './build-demo-models.ts';
import { type DemoRow, demoRow, demoTestImages } from './demo-test-set.ts';
import { loadModelDir } from './promptkd-models.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface DemoReport {
  /** the teacher the student is distilled from (tuned when stage-1 prompts exist) */
  teacher: DemoRow;
  teacherZeroShot: DemoRow;
  teacherTuned: DemoRow | null;
  studentZeroShot: DemoRow;
  distilled: DemoRow;
  settings: RunSettings;
  seconds: { total: number; distillation: number };
  [k: string]: unknown;
}

const allIndices = (s: DemoSplit) => Array.from({ length: s.count }, (_, i) => i);

export interface DemoOptions {
  epochs?: number;
  /** changes to DEMO_SETTINGS (experiments; the demo's numbers use DEMO_SETTINGS, as the studio's demo does) */
  settings?: Partial<RunSettings>;
  /** model folders; default the shipped models/demo-teacher and models/demo-student */
  teacherDir?: string;
  studentDir?: string;
  /** default cpu */
  backend?: NodeBackend;
  /** onnxruntime's CPU threads per session (default 1: the same numbers on every run) */
  cpuThreads?: number;
  log: (line: string) => void;
}

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const data = await loadDemoData(fsDemoReader(path.join(ROOT, 'public/demo')));
  const rt = await openBackend(opts.backend ?? 'cpu', opts.log, { cpuThreads: opts.cpuThreads ?? 1 });
  const teacherDir = opts.teacherDir ?? path.join(ROOT, 'models/demo-teacher');
  const teacherW = await loadModelDir(teacherDir, 'teacher', ['vision', 'text']);
  const studentFull = await loadModelDir(opts.studentDir ?? path.join(ROOT, 'models/demo-student'), 'student', ['vision', 'text']);
  const settings: RunSettings = { ...DEMO_SETTINGS, ...opts.settings, ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}) };
  const classes = data.index.classNames;
  const show = (name: string, r: DemoRow) => opts.log(`${name}: base ${r.base}%  new ${r.new}%  HM ${r.hm}%`);
  const { train, test } = data.splits;

  const testImages = demoTestImages(test);
  // reference lines are computed once: without stage-1 prompts the distillation's teacher is this one
  const memo = memoIn(new Map());
  const teacherZsRow = demoRow(await evaluateTeacher(rt, teacherW, null, testImages, classes, { memo }));
  show('teacher zero-shot', teacherZsRow);
  // the distillation teacher: stage-1 prompts when models:build made them, else the zero-shot CLIP
  const promptsPath = path.join(teacherDir, TEACHER_PROMPTS_FILE);
  const prompts = fs.existsSync(promptsPath)
    ? await importTeacherPrompts(await fs.openAsBlob(promptsPath), teacherW.config, promptsPath)
    : null;

  // ---- distillation on the unlabeled train split (its labels are never read) ---------------------
  const job = await DistillJob.open({
    runtime: rt,
    student: studentFull,
    teacher: { kind: 'model', weights: teacherW, prompts },
    classes,
    settings,
    start: { kind: 'fresh' },
    evalBatch: 100,
    // teacher and student see the same view: the crop and flip drawn from the view's seed
    unlabeled: {
      id: 'demo-train',
      ids: allIndices(train).map((i) => demoImageName('train', i)),
      pixels: async (views, size) =>
        demoSeededViews(
          train,
          views.map((v) => ({ index: v.index, seed: v.augmentSeed })),
          size,
        ),
    },
    test: testImages,
  });
  try {
    const refs = await job.references(memo);
    const teacherTunedRow = prompts ? demoRow(refs.teacher!) : null;
    if (teacherTunedRow) show('teacher with stage-1 prompts', teacherTunedRow);
    const studentEval = demoRow(refs.studentZeroShot!);
    show('student zero-shot', studentEval);
    const distillStart = performance.now();
    const steps: { step: number; loss: number; lr: number }[] = [],
      epochs: EpochSummary[] = [];
    await job.evaluate();
    while (!job.done) {
      const p = await job.next();
      steps.push({ step: job.step, loss: p.loss, lr: p.lr });
      if (p.due.evaluate) await job.evaluate();
      if (p.epochEnd) {
        epochs.push(p.epochEnd);
        opts.log(`distillation epoch ${p.epochEnd.epoch + 1}/${settings.epochs}: mean loss ${p.epochEnd.meanLoss.toFixed(4)}`);
      }
    }
    const distillSeconds = (performance.now() - distillStart) / 1000;
    const distilled = demoRow(job.evaluations.at(-1)!.evaluation);
    // how closely the student fits its teacher on the (centre views of the) images it was trained on
    const trainTeacher = await job.teacher!.logits(demoPixels(train, allIndices(train), teacherW.config.vision.imageSize), classes);
    const trainStudent = await job.studentLogits(demoPixels(train, allIndices(train), studentFull.config.vision.imageSize));
    const trainAgreement =
      Math.round(10000 * topOneAgreement(trainStudent.data as Float32Array, trainTeacher.data as Float32Array, trainStudent.shape[1]!)) /
      100;
    opts.log(`distilled student agrees with the teacher on ${trainAgreement}% of the unlabeled train images`);
    show('distilled student', distilled);
    return {
      teacher: teacherTunedRow ?? teacherZsRow,
      teacherZeroShot: teacherZsRow,
      teacherTuned: teacherTunedRow,
      studentZeroShot: studentEval,
      distilled,
      distilledTrainAgreement: trainAgreement,
      settings,
      config: job.config,
      distillationTeacher: prompts ? 'stage-1 prompts' : 'zero-shot',
      steps,
      epochs,
      evaluations: job.evaluations.map(({ step, evaluation: e }) => ({ step, base: e.base, new: e.new, hm: e.hm })),
      data: {
        unlabeled: train.count,
        test: test.count,
        classes: data.index.classNames,
        base: data.index.baseClasses,
        new: data.index.newClasses,
      },
      seconds: { total: Math.round((performance.now() - started) / 100) / 10, distillation: Math.round(distillSeconds * 10) / 10 },
      device: rt.device,
    };
  } finally {
    await job.release();
  }
}

export function formatTable(r: DemoReport): string {
  const rows: [string, DemoRow | null][] = [
    ['teacher (zero-shot)', r.teacherZeroShot],
    ['teacher (stage-1 prompts)', r.teacherTuned],
    ['student (zero-shot)', r.studentZeroShot],
    ['student (PromptKD)', r.distilled],
  ];
  const cell = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)}`).padStart(7);
  return [
    `${'model'.padEnd(26)}${'base'.padStart(7)}${'new'.padStart(7)}${'HM'.padStart(7)}`,
    ...rows.map(([name, v]) => `${name.padEnd(26)}${cell(v?.base)}${cell(v?.new)}${cell(v?.hm)}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const flagValue = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const epochs = flagValue('--epochs') === undefined ? undefined : Number(flagValue('--epochs'));
  const reportPath = path.resolve(flagValue('--report') ?? path.join(ROOT, '.tmp/demo/report.json'));
  // progress goes to stderr under --json, so stdout's last line is the report
  const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const backend = parseBackend(flagValue('--backend'), (m) => new Error(m));
  const cpuThreads = flagValue('--threads') === undefined ? undefined : Number(flagValue('--threads'));
  const report = await runDemo({
    epochs,
    teacherDir: flagValue('--teacher'),
    studentDir: flagValue('--student'),
    backend,
    cpuThreads,
    log,
  });
  fs.mkdirSync(path.dirname(reportPath), { recursive: true });
  fs.writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatTable(report));
  console.log(`(${report.seconds.total} s; report: ${reportPath})`);
  if (json) console.log(JSON.stringify(report));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
