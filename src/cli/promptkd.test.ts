// `promptkd distill` end to end on folders of PNGs written here, with the fixture's tiny CLIP as
// both teacher and student (its vision tower is the student; its text tower names the classes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vulkanEnv } from '../../scripts/vulkan-env.mjs';
import { loadSafetensors } from '../engine/clip/safetensors.ts';
import { exportTeacherPrompts, initTeacherPrompts, planTeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { initPhraseEmbedding } from '../engine/promptkd/teacher-text.ts';
import { rng } from '../engine/random.ts';
import { readTorchCheckpoint } from '../engine/torch/checkpoint.ts';
import type { PyDict } from '../engine/torch/pickle.ts';
import { runPromptkd, writePng } from './run-cli.testkit.ts';
import { loadModelDir } from './promptkd-models.ts';

const MODEL = path.resolve('test-data/fixtures/clip-tiny-a');
const DEMO_TEACHER = path.resolve('models/demo-teacher');
const DEMO_STUDENT = path.resolve('models/demo-student');

let root: string;
const CLASSES = ['apple', 'boat', 'cloud'];

const distill = (...args: string[]) => runPromptkd(root, 'distill', ...args);

/** informational lines (skipped files) may come first; an error is one line, and the last */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('promptkd:'))).toHaveLength(1);
  return lines[lines.length - 1]!;
}

/** the runs' small sizes: depth 2, batch 3, centre views, evaluation batch 4 */
const SMALL = ['--depth', '2', '--batch-size', '3', '--no-augment', '--eval-batch', '4'];
/** the tiny CLIP as teacher and student, at the small sizes: every flag but the folders */
const tinyRun = () => ['--student', MODEL, '--teacher', MODEL, '--n-ctx', '2', ...SMALL];
const common = () => ['--unlabeled', 'unlabeled', ...tinyRun()];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-cli-'));
  for (let i = 0; i < 7; i++) writePng(path.join(root, 'unlabeled', i < 4 ? `a${i}.png` : `sub/b${i}.png`), i, i % 3);
  fs.writeFileSync(path.join(root, 'unlabeled', 'notes.txt'), 'not an image');
  CLASSES.forEach((c, k) => {
    for (let i = 0; i < 2; i++) writePng(path.join(root, 'test', c, `${i}.png`), 100 + 10 * k + i, k);
  });
  // the demo teacher knows only Fashion-MNIST's words
  ['bag', 'dress', 'sneaker'].forEach((c, k) => {
    for (let i = 0; i < 2; i++) writePng(path.join(root, 'fm-test', c, `${i}.png`), 200 + 10 * k + i, k);
  });
  writePng(path.join(root, 'one-class', 'apple', '0.png'), 1, 0);
  fs.mkdirSync(path.join(root, 'empty-class', 'apple'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty-class', 'boat'), { recursive: true });
  writePng(path.join(root, 'empty-class', 'apple', '0.png'), 2, 0);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('promptkd distill', () => {
  it('distills, evaluates base/new/HM each epoch, writes a report and a checkpoint, then resumes', async () => {
    const r = await distill(...common(), '--test', 'test', '--epochs', '2', '--out', 'run');
    expect(r.stderr).toContain('skipped 1 file in unlabeled that are not PNG/JPEG images: notes.txt');
    // three classes: the new half is one class, whose accuracy says nothing
    expect(r.stderr).toContain(
      'evaluation: the new half holds one class (cloud): its test images are scored among that class alone, so its accuracy is 100 % whatever the student learns; name more classes, or choose cross-dataset, which scores every image among all 3',
    );
    expect(r.stderr).toMatch(/teacher \(zero-shot\): base \d+\.\d\d% {2}new \d+\.\d\d% {2}HM \d+\.\d\d%/);
    expect(r.stderr).toMatch(/epoch 1\/2 {2}mean loss \d+\.\d+ {2}base \d+\.\d\d% {2}new/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/done: report in run\/report\.json; final base/);
    const report = JSON.parse(fs.readFileSync(path.join(root, 'run', 'report.json'), 'utf8'));
    expect(report.classes).toEqual({ names: CLASSES, base: ['apple', 'boat'], new: ['cloud'] });
    expect(report.data.unlabeled).toMatchObject({ images: 7, skipped: [{ file: 'notes.txt' }] });
    expect(report.data).toMatchObject({ stepsPerEpoch: 2, totalSteps: 4 });
    expect(report.epochs).toHaveLength(2);
    // the best on base of the evaluations, beside the last (Dassl's best_val)
    const bestBase = Math.max(...report.epochs.map((e: { evaluation: { base: number } }) => e.evaluation.base));
    expect(report.final.bestOnBase.base).toBe(bestBase);
    expect(report.epochs[report.final.bestOnBase.epoch - 1].evaluation.base).toBe(bestBase);
    expect(r.stderr).toMatch(/best on base: epoch [12] \(step [24]\): base/);
    for (const e of report.epochs) {
      expect(Number.isFinite(e.meanLoss)).toBe(true);
      for (const k of ['base', 'new', 'hm']) expect(e.evaluation[k]).toBeGreaterThanOrEqual(0);
      expect(e.evaluation.counts).toEqual({ base: 4, new: 2 });
    }
    // without augmentation the teacher saw each image once, however many epochs
    // (epoch 1 trains on 6 distinct images; epoch 2 can add only the one epoch 1 dropped)
    expect(report.epochs[0].teacherPasses).toBe(6);
    expect(report.final.teacherPasses).toBeLessThanOrEqual(7);
    expect(fs.existsSync(path.join(root, 'run', 'checkpoint.safetensors'))).toBe(true);
    // the final student for the official PromptKD code, with the checkpoint's prompts
    expect(report.final.pytorchCheckpoint).toMatch(/run[\\/]student-prompts\.pth\.tar$/);
    const pth = await readTorchCheckpoint(await fs.openAsBlob(path.join(root, 'run', 'student-prompts.pth.tar')));
    expect((pth.root as PyDict).map.get('epoch')).toBe(2);
    const saved = await loadSafetensors(await fs.openAsBlob(path.join(root, 'run', 'checkpoint.safetensors')), ['image_encoder.VPT']);
    expect((await pth.read(['image_encoder.VPT'])).get('image_encoder.VPT')).toEqual(saved.get('image_encoder.VPT'));

    // a second run into the same folder is refused; a resume continues from step 4 to 6
    const again = await distill(...common(), '--test', 'test', '--epochs', '2', '--out', 'run');
    expect(again.code).toBe(1);
    expect(errorLine(again.stderr)).toBe(
      `promptkd: run already holds a run (checkpoint.safetensors); continue it with --resume ${path.join('run', 'checkpoint.safetensors')} or choose another --out`,
    );
    const resumed = await distill(...common(), '--test', 'test', '--epochs', '3', '--out', 'run', '--resume', 'run/checkpoint.safetensors');
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = JSON.parse(fs.readFileSync(path.join(root, 'run', 'report.json'), 'utf8'));
    expect(after.resumedFrom).toMatchObject({ step: 4, epoch: 2 });
    expect(after.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([2]);
    expect(after.final.step).toBe(6);

    // an incompatible checkpoint is named, and the run folder is left as it was
    const before = fs.readFileSync(path.join(root, 'run', 'checkpoint.safetensors'));
    const bad = await distill(
      ...common().map((a) => (a === '2' ? '3' : a)),
      '--test',
      'test',
      '--out',
      'run',
      '--resume',
      'run/checkpoint.safetensors',
    );
    expect(bad.code).toBe(1);
    expect(errorLine(bad.stderr)).toBe(
      'promptkd: cannot resume from run/checkpoint.safetensors: checkpoint has n_ctx 2 but this run uses 3',
    );
    expect(fs.readFileSync(path.join(root, 'run', 'checkpoint.safetensors')).equals(before)).toBe(true);
  });

  it('with augmentation the teacher runs once per view: a fresh crop of every image each epoch', async () => {
    const args = common().filter((a) => a !== '--no-augment');
    const r = await distill(...args, '--classes', CLASSES.join(','), '--epochs', '2', '--out', 'aug');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(root, 'aug', 'report.json'), 'utf8'));
    expect(report.config.augment).toBe(true);
    expect(report.epochs.map((e: { teacherPasses: number }) => e.teacherPasses)).toEqual([6, 12]);
    expect(report.final.evaluation).toBeNull(); // no test folder
  });

  it('distills from a teacher with tuned prompts, and names a prompt file that does not fit', async () => {
    const teacher = await loadModelDir(MODEL, 'teacher', ['vision', 'text']);
    const plan = planTeacherPrompts(teacher.config, { nCtx: 4, depth: 2 });
    fs.writeFileSync(
      path.join(root, 'prompts.safetensors'),
      exportTeacherPrompts(initTeacherPrompts(plan, initPhraseEmbedding(teacher), rng(3))),
    );
    const r = await distill(...common(), '--test', 'test', '--epochs', '1', '--out', 'tuned', '--teacher-prompts', 'prompts.safetensors');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/teacher \(tuned prompts\): base \d+\.\d\d%/);
    const report = JSON.parse(fs.readFileSync(path.join(root, 'tuned', 'report.json'), 'utf8'));
    expect(report.teacher).toMatchObject({ kind: 'tuned prompts', prompts: path.join(root, 'prompts.safetensors') });

    fs.writeFileSync(path.join(root, 'not-prompts.safetensors'), 'hello');
    const bad = await distill(...common(), '--test', 'test', '--out', 'tuned-bad', '--teacher-prompts', 'not-prompts.safetensors');
    expect(bad.code).toBe(1);
    expect(errorLine(bad.stderr)).toMatch(/^promptkd: cannot use not-prompts\.safetensors as teacher prompts: /);
  });

  /** the demo models on the demo folders, batch 3, centre views, `epochs` epochs */
  const demoArgs = (epochs = 1) => [
    '--unlabeled',
    'unlabeled',
    '--test',
    'fm-test',
    '--student',
    DEMO_STUDENT,
    '--teacher',
    DEMO_TEACHER,
    ...SMALL,
    '--epochs',
    String(epochs),
  ];

  it('runs the demo models on webgpu: the report names the backend and the adapter, and the losses match the cpu run', async () => {
    const demo = (backend: string, out: string) => distill(...demoArgs(2), '--backend', backend, '--out', out);
    const cpu = await demo('cpu', 'demo-cpu');
    expect(cpu.code, cpu.stderr).toBe(0);
    const gpu = await demo('webgpu', 'demo-webgpu');
    if (vulkanEnv() === null) return expect(gpu.stderr).toMatch(/libvulkan/); // no Vulkan here: the line says what to install
    expect(gpu.code, gpu.stderr).toBe(0);
    const report = (dir: string) => JSON.parse(fs.readFileSync(path.join(root, dir, 'report.json'), 'utf8'));
    const [onCpu, onGpu] = [report('demo-cpu'), report('demo-webgpu')];
    expect(gpu.stderr).toContain(`computing on webgpu: ${onGpu.device.adapter}`);
    expect(onGpu.device).toMatchObject({ backend: 'webgpu', adapter: expect.stringMatching(/\S/) });
    expect(onCpu.device.backend).toBe('cpu');
    // float32 on two backends, whose kernels round differently: the first epoch's mean loss agrees to
    // 1e-5 (measured 1e-7); by the second the differences have been trained on for an epoch (measured
    // 1.27e-5 since the fused backward kernels, 8.8e-6 before), so it is held to the fixture checks'
    // 1e-4 against float64, which both backends meet step by step (src/engine/checks)
    const drift = (e: number) => Math.abs(onGpu.epochs[e].meanLoss / onCpu.epochs[e].meanLoss - 1);
    expect(drift(0)).toBeLessThan(1e-5);
    expect(drift(1)).toBeLessThan(1e-4);
  });

  it("runs the teacher's image tower in float16 on request, and refuses it on an adapter without shader-f16", async () => {
    const r = await distill(...common(), '--test', 'test', '--epochs', '1', '--teacher-fp16', '--out', 'fp16');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'fp16', 'report.json'), 'utf8')).teacher).toMatchObject({
      precision: 'float16',
      modelId: expect.stringMatching(/@float16$/),
    });
    if (vulkanEnv() === null) return;
    const gpu = await distill(...common(), '--test', 'test', '--epochs', '1', '--teacher-fp16', '--backend', 'webgpu', '--out', 'fp16-gpu');
    expect(errorLine(gpu.stderr)).toMatch(
      /^promptkd: --teacher-fp16 needs a GPU with shader-f16, and .*swiftshader.* has none; leave the flag out$/i,
    );
  });

  it("trains with the student's frozen tower in float16 on request, and refuses it on an adapter without shader-f16", async () => {
    const half = await distill(...common(), '--test', 'test', '--epochs', '1', '--student-fp16', '--out', 'student-fp16');
    expect(half.code, half.stderr).toBe(0);
    const report = (dir: string) => JSON.parse(fs.readFileSync(path.join(root, dir, 'report.json'), 'utf8'));
    expect(report('student-fp16').student.precision).toBe('float16');
    expect(report('student-fp16').settings.studentFp16).toBe(true);
    // the same run in float32: float16 moves the losses a little, not a lot (src/engine/checks holds the tolerance)
    expect((await distill(...common(), '--test', 'test', '--epochs', '1', '--out', 'student-fp32')).code).toBe(0);
    const loss = (dir: string) => report(dir).epochs[0].meanLoss as number;
    expect(loss('student-fp16')).not.toBe(loss('student-fp32'));
    expect(Math.abs(loss('student-fp16') / loss('student-fp32') - 1)).toBeLessThan(0.05);
    if (vulkanEnv() === null) return;
    const gpu = await distill(...common(), '--test', 'test', '--epochs', '1', '--student-fp16', '--backend', 'webgpu', '--out', 'fp16-gpu');
    expect(errorLine(gpu.stderr)).toMatch(
      /^promptkd: --student-fp16 needs a GPU with shader-f16, and .*swiftshader.* has none; leave the flag out$/i,
    );
  });

  it('takes a CoOp split file: its labels order the classes and split base/new, its lists are the train and test sets', async () => {
    // label order on purpose unlike the sorted names
    const classes = ['cloud', 'apple', 'boat'];
    const item = (set: string, c: number, i: number) => [`images/${classes[c]}/${set}${i}.png`, c, classes[c]];
    const train = [0, 1, 2].flatMap((c) => [0, 1, 2].map((i) => item('train', c, i)));
    const testList = [0, 1, 2].flatMap((c) => [0, 1].map((i) => item('test', c, i)));
    for (const [rel, c] of [...train, ...testList] as [string, number][]) writePng(path.join(root, 'dataset', rel), rel.length * 7 + c, c);
    fs.writeFileSync(
      path.join(root, 'split_zhou_Made.json'),
      JSON.stringify({ train, val: [], test: [...testList, ['images/boat/gone.png', 2, 'boat']] }),
    );
    const args = tinyRun();
    const r = await distill('--unlabeled', 'dataset', '--split', 'split_zhou_Made.json', ...args, '--epochs', '1', '--out', 'split-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('split split_zhou_Made.json: 3 classes (2 base), 9 train images to distill on, 6 test images');
    expect(r.stderr).toContain('images/boat/gone.png');
    const report = JSON.parse(fs.readFileSync(path.join(root, 'split-run', 'report.json'), 'utf8'));
    expect(report.classes).toEqual({ names: classes, base: ['cloud', 'apple'], new: ['boat'] });
    expect(report.data).toMatchObject({ split: path.join(root, 'split_zhou_Made.json'), unlabeled: { images: 9 }, test: { images: 6 } });
    expect(report.final.evaluation.counts).toEqual({ base: 4, new: 2 });

    const bad = await distill('--unlabeled', 'dataset', '--split', 'split_zhou_Made.json', '--test', 'test', ...args, '--out', 'split-bad');
    expect(errorLine(bad.stderr)).toBe('promptkd: --split gives the test images (its test list); leave --test out');
    expect(
      errorLine((await distill('--unlabeled', 'unlabeled', '--split', 'split_zhou_Made.json', ...args, '--out', 'split-bad3')).stderr),
    ).toBe(
      "promptkd: none of the split file's 9 train images is in unlabeled (the first it lists is 'images/cloud/train0.png'); give --unlabeled the folder its paths are relative to",
    );
    fs.writeFileSync(path.join(root, 'not-split.json'), '{"train": []}');
    expect(errorLine((await distill('--unlabeled', 'dataset', '--split', 'not-split.json', ...args, '--out', 'split-bad2')).stderr)).toBe(
      'promptkd: not-split.json has no "val", "test" list: not a CoOp split file',
    );
  });

  const readReport = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(root, ...parts, 'report.json'), 'utf8'));

  it('--seeds runs each seed in its own folder and reports the per-seed base/new/HM and their mean ± std', async () => {
    const r = await distill(...demoArgs(), '--seeds', '1,2,3', '--out', 'seeds');
    expect(r.code, r.stderr).toBe(0);
    const report = readReport('seeds');
    expect(report).toMatchObject({ seeds: [1, 2, 3], protocol: 'base2new', metrics: ['base', 'new', 'hm'] });
    const runs = [1, 2, 3].map((seed) => readReport('seeds', `seed${seed}`));
    runs.forEach((run, i) => {
      expect(run.settings.seed).toBe(i + 1);
      const { base, new: nw, hm } = run.final.evaluation;
      expect(report.runs[i]).toMatchObject({ seed: i + 1, out: path.join(root, 'seeds', `seed${i + 1}`), scores: { base, new: nw, hm } });
    });
    // the seeds are really different runs: their first losses differ
    expect(new Set(runs.map((run) => run.steps[0].loss)).size).toBe(3);
    for (const m of ['base', 'new', 'hm']) {
      const xs: number[] = runs.map((run) => run.final.evaluation[m]);
      const mu = xs.reduce((a, b) => a + b) / 3;
      expect(report.mean[m]).toBeCloseTo(mu, 12);
      expect(report.std[m]).toBeCloseTo(Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / 2), 12);
    }
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^seed\s+base\s+new\s+HM$/);
    expect(lines[1]).toMatch(/^1\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d\d%$/);
    expect(lines[4]).toMatch(/^mean ± std\s+\d+\.\d\d ± \d+\.\d\d%/);
    expect(r.stdout).toContain(`done: report in ${path.join('seeds', 'report.json')}`);

    expect(errorLine((await distill(...demoArgs(), '--seeds', '1,1', '--out', 'seeds-bad')).stderr)).toBe(
      "promptkd: --seeds names a seed twice: '1,1'",
    );
    expect(errorLine((await distill(...demoArgs(), '--seeds', '1,2', '--seed', '4', '--out', 'seeds-bad')).stderr)).toBe(
      'promptkd: --seeds runs each seed it names; leave --seed out',
    );
  });

  it('--protocol cross-dataset evaluates every test image among all classes and reports one accuracy', async () => {
    const r = await distill(...demoArgs(), '--protocol', 'cross-dataset', '--out', 'cross');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/teacher \(zero-shot\): accuracy \d+\.\d\d% \(all 3 classes\)/);
    const report = readReport('cross');
    expect(report.protocol).toBe('cross-dataset');
    expect(report.classes).toEqual({ names: ['bag', 'dress', 'sneaker'] });
    const last = report.final.evaluation;
    expect(Object.keys(last).sort()).toEqual(['accuracy', 'confusion', 'count', 'perClass']);
    expect(last.count).toBe(6);
    // one subset: the confusion's rows spread over all 3 classes, and the accuracy is its diagonal
    const right = last.confusion.reduce((a: number, row: number[], c: number) => a + row[c]!, 0);
    expect(last.accuracy).toBe(right / 6);
    expect(last.confusion.map((row: number[]) => row.reduce((a, b) => a + b))).toEqual([2, 2, 2]);
    expect(report.final.bestOnBase).toBeNull();
    expect(r.stdout).toMatch(/final accuracy \d+\.\d\d% \(all 3 classes\)/);
    // the model folder says the protocol, and scores it with one accuracy
    const model = path.join(root, 'cross', 'model');
    expect(fs.readdirSync(path.join(model, 'onnx')).sort()).toEqual(['model.onnx', 'model_fp16.onnx']);
    expect(JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')).promptkd.protocol).toBe('cross-dataset');
    const card = fs.readFileSync(path.join(model, 'README.md'), 'utf8');
    expect(card).toContain('Protocol: **cross-dataset**');
    expect(card).toContain('| model | accuracy (all classes, %) |');
    expect(card).not.toContain('HM (%)');
    expect(readReport('cross').model.fp16.images).toBe(6);
    // the folder's report is the run's whole report, its measured model and time included
    expect(readReport('cross', 'model')).toEqual(readReport('cross'));
    expect(errorLine((await distill(...demoArgs(), '--protocol', 'xd', '--out', 'cross-bad')).stderr)).toBe(
      "promptkd: --protocol must be one of base2new, cross-dataset, got 'xd'",
    );
  });

  it('says in one line what is wrong with the input', async () => {
    expect(errorLine((await distill(...common(), '--test', 'one-class', '--out', 'x1')).stderr)).toBe(
      "promptkd: test folder one-class has only one class folder ('apple'); base/new evaluation needs at least 2 classes in ImageFolder layout (class_name/image.jpg)",
    );
    expect(errorLine((await distill(...common(), '--test', 'empty-class', '--out', 'x2')).stderr)).toBe(
      "promptkd: test folder empty-class: class folder 'boat' has no PNG or JPEG images",
    );
    expect(errorLine((await distill(...common(), '--out', 'x3')).stderr)).toBe(
      'promptkd: name at least 2 classes: give a labeled --test folder or --classes a,b,…',
    );
    expect(errorLine((await distill(...common(), '--classes', 'a,b', '--depth', '5', '--out', 'x4')).stderr)).toBe(
      'promptkd: prompt depth 5 needs 5 vision layers, but the student has 3; lower the depth',
    );
    expect(errorLine((await distill(...common(), '--classes', 'a,b', '--student', 'nowhere', '--out', 'x5')).stderr)).toBe(
      'promptkd: student model folder nowhere has no config.json (expected a Hugging Face CLIP folder: config.json + model.safetensors, or a Hub id owner/name)',
    );
    expect(errorLine((await distill(...common(), '--classes', 'a,b', '--lr', 'fast')).stderr)).toBe(
      'promptkd: --lr fast is not valid: use a number above 0 up to 10',
    );
    expect(
      errorLine(
        (await distill(...common(), '--student', DEMO_STUDENT, '--teacher', DEMO_TEACHER, '--classes', 'cat,coffee,rocket', '--out', 'x8'))
          .stderr,
      ),
    ).toMatch(
      /^promptkd: the teacher cannot tell any of the classes apart by name: 'cat', 'coffee', 'rocket' get the same text features .* rename them/,
    );
    expect(errorLine((await distill(...common(), '--classes', 'a,b', '--backend', 'tpu')).stderr)).toBe(
      "promptkd: --backend must be one of cpu, webgpu, cuda, got 'tpu'",
    );
    expect(errorLine((await distill(...common(), '--classes', 'a,b', '--backend', 'cuda', '--out', 'x7')).stderr)).toMatch(
      /^promptkd: --backend cuda needs onnxruntime's CUDA 12 provider beside .*, which npm skips here: run `node node_modules\/onnxruntime-node\/script\/install\.js --onnxruntime-node-install=cuda12`/,
    );
    expect(errorLine((await distill(...common(), '--classes', 'a,b', '--batch-size', '9', '--out', 'x6')).stderr)).toBe(
      'promptkd: 7 training images are fewer than the batch size 9; add images or lower the batch size',
    );
  });
});
