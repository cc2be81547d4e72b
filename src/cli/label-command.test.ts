// `promptkd label` end to end on folders of PNGs written here, with the demo CLIPs: the labels serve
// a distillation step for step as the online teacher would; shards from flags and from a job
// engine's variables are the same files, and their merge is the file one machine writes; a killed
// shard finishes what it had not written; bad inputs are one line each and leave stored files alone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runPromptkdWith, writePng } from './run-cli.testkit.ts';

const DEMO_TEACHER = path.resolve('models/demo-teacher');
const DEMO_STUDENT = path.resolve('models/demo-student');
const CLASSES = ['bag', 'dress', 'sneaker'];
/** a job engine's variables from the environment the tests run in must not pick the shard */
const NO_ENGINE = { SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '', AWS_BATCH_JOB_ARRAY_INDEX: '' };

let root: string;
const cli = (command: string, ...args: string[]) => runPromptkdWith(NO_ENGINE, root, command, ...args);
/** `promptkd label` of the small folders under a job engine's variables `env` */
const labelWith = (env: Record<string, string>, ...args: string[]) =>
  runPromptkdWith(env, root, 'label', '--unlabeled', 'unlabeled', '--teacher', DEMO_TEACHER, '--test', 'test', ...args);
const label = (...args: string[]) => labelWith(NO_ENGINE, '--teacher-batch', '4', ...args);
/** `promptkd distill` of the demo student from the folders `unlabeled` and `test` */
const distillFrom = (unlabeled: string, test: string, ...args: string[]) =>
  cli('distill', '--unlabeled', unlabeled, '--test', test, '--student', DEMO_STUDENT, '--depth', '2', ...args);
const distill = (...args: string[]) => distillFrom('unlabeled', 'test', '--n-ctx', '2', '--batch-size', '4', '--eval-batch', '6', ...args);
const online = ['--teacher', DEMO_TEACHER];
const report = (run: string) => JSON.parse(fs.readFileSync(path.join(root, run, 'report.json'), 'utf8'));
const bytes = (file: string) => fs.readFileSync(path.join(root, file));

/** an error is one line, and the last */
function errorLine(r: { code: number; stderr: string }): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('promptkd:'))).toHaveLength(1);
  return lines.at(-1)!;
}

/** every file below `dir` with its bytes, to see that nothing stored changed */
const snapshot = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const p = path.join(e.parentPath, e.name);
        return [p, fs.readFileSync(p).toString('base64')];
      }),
  );

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-label-'));
  for (let i = 0; i < 18; i++)
    writePng(path.join(root, 'unlabeled', i < 10 ? `a${String(i).padStart(2, '0')}.png` : `sub/b${i}.png`), i, i % 3);
  fs.writeFileSync(path.join(root, 'unlabeled', 'notes.txt'), 'not an image');
  CLASSES.forEach((c, k) => {
    for (let i = 0; i < 2; i++) writePng(path.join(root, 'test', c, `${i}.png`), 100 + 10 * k + i, k);
  });
  for (let i = 0; i < 160; i++) writePng(path.join(root, 'many', `${String(i).padStart(3, '0')}.png`), 500 + i, i % 3);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('promptkd label', () => {
  it("labels every crop; a run from the labels takes the online run's steps bit for bit, with the teacher's reference from them", async () => {
    const made = await label('--epochs', '3', '--seed', '5', '--out', 'labels-aug');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/shard 0\/1 in labels-aug\/shard-0-of-1\.safetensors: 18 images \(1 skipped\), 60 views labelled/); // 18 × 3 crops + 6 test images
    const [a, b] = [
      await distill(...online, '--epochs', '3', '--seed', '5', '--out', 'on'),
      await distill('--teacher-labels', 'labels-aug', '--epochs', '3', '--seed', '5', '--out', 'off'),
    ];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const [on, off] = [report('on'), report('off')];
    expect(on.steps.length).toBe(12);
    expect(off.steps).toEqual(on.steps);
    expect(off.evaluations).toEqual(on.evaluations);
    expect(off.teacher.evaluation).toEqual(on.teacher.evaluation);
    expect(off.teacher).toMatchObject({
      kind: 'labels',
      modelId: on.teacher.modelId,
      images: 18,
      recipe: { seed: 5, epochs: 3, augment: true, views: 3 },
    });
    // online the teacher ran on every crop the run drew (4 steps of 4 of the 18 images per epoch), from the labels never
    expect(on.final.teacherPasses).toBeGreaterThan(3 * 16 - 1);
    expect(off.final.teacherPasses).toBe(0);
  });

  it('--views 2 labels two crops per image and a run with --views 2 reuses them over its epochs, as the online run does', async () => {
    expect((await label('--epochs', '3', '--views', '2', '--out', 'labels-v2')).code).toBe(0);
    const common = ['--epochs', '3', '--views', '2'];
    expect((await distill(...online, ...common, '--out', 'on-v2')).code).toBe(0);
    expect((await distill('--teacher-labels', 'labels-v2', ...common, '--out', 'off-v2')).code).toBe(0);
    expect(report('off-v2').steps).toEqual(report('on-v2').steps);
    expect(report('on-v2').final.teacherPasses).toBeLessThanOrEqual(36); // at most 18 images × 2 crops, over 3 epochs
    // a run that draws a new crop every epoch needs 3 crops per image
    expect(errorLine(await distill('--teacher-labels', 'labels-v2', '--epochs', '3', '--out', 'off-v0'))).toContain(
      'epochs 3 > 2 labelled',
    );
  });

  it("shards from --shard and from Slurm's variables are the same files, and their merge is the file of one machine", async () => {
    for (const i of [0, 1]) {
      expect((await label('--no-augment', '--shard', `${i}/2`, '--out', 'by-flag')).code).toBe(0);
      const slurm = await labelWith(
        { SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: '2' },
        '--teacher-batch',
        '4',
        '--no-augment',
        '--out',
        'by-slurm',
      );
      expect(slurm.stderr).toContain(`shard ${i}/2 (SLURM_ARRAY_TASK_ID=${i})`);
      expect(bytes(`by-slurm/shard-${i}-of-2.safetensors`).equals(bytes(`by-flag/shard-${i}-of-2.safetensors`))).toBe(true);
    }
    expect(bytes('by-slurm/manifest.json').equals(bytes('by-flag/manifest.json'))).toBe(true);
    expect((await label('--no-augment', '--out', 'whole')).code).toBe(0);
    const merged = await cli('label', 'merge', 'by-slurm', '--out', 'merged.safetensors');
    expect(merged.code, merged.stderr).toBe(0);
    expect(bytes('merged.safetensors').equals(bytes('whole/shard-0-of-1.safetensors'))).toBe(true);
    // a shard that is done is not labelled again
    expect((await label('--no-augment', '--shard', '1/2', '--out', 'by-flag')).stderr).toContain('shard 1/2 is labelled already');
  });

  it('a shard killed halfway, run again, labels only what it had not committed and ends with the same file', async () => {
    const args = [
      '--unlabeled',
      'many',
      '--teacher',
      DEMO_TEACHER,
      '--classes',
      CLASSES.join(','),
      '--epochs',
      '12',
      '--chunk',
      '8',
      '--teacher-batch',
      '4',
    ];
    expect((await cli('label', ...args, '--out', 'straight')).code).toBe(0);
    // the same shard, killed once its second chunk is on disk
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'label', ...args, '--out', 'killed'], {
        cwd: root,
        env: { ...process.env, ...NO_ENGINE },
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/chunk 2\/20/.test(err)) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`the label run ended (${code}) before it was killed: ${err}`)),
      );
    });
    const committed = fs
      .readdirSync(path.join(root, 'killed', 'shard-0-of-1.parts'))
      .filter((f) => /^chunk-\d+-\d+\.safetensors$/.test(f)).length;
    expect(committed).toBeGreaterThanOrEqual(2);
    expect(committed).toBeLessThan(20);
    const again = await cli('label', ...args, '--out', 'killed');
    expect(again.code, again.stderr).toBe(0);
    // 160 images in chunks of 8, 12 crops each: only the chunks not committed are labelled
    expect(again.stdout).toContain(`${(160 - 8 * committed) * 12} views labelled in this run (${committed} chunks were already written)`);
    expect(bytes('killed/shard-0-of-1.safetensors').equals(bytes('straight/shard-0-of-1.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'killed', 'shard-0-of-1.parts'))).toBe(false);
  });

  it('names what is wrong in one line, and leaves what is stored alone', async () => {
    expect((await label('--no-augment', '--shard', '0/2', '--out', 'set')).code).toBe(0);
    expect((await label('--no-augment', '--shard', '1/2', '--out', 'set')).code).toBe(0);
    const stored = snapshot('set');

    // shard indices and array variables
    expect(errorLine(await label('--no-augment', '--shard', '2/2', '--out', 'set'))).toBe(
      'promptkd: --shard 2/2: shard index 2 is outside 0..1 (shards count from 0)',
    );
    expect(errorLine(await labelWith({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '' }, '--out', 'set'))).toContain(
      'SLURM_ARRAY_TASK_ID is 1 but SLURM_ARRAY_TASK_COUNT is unset',
    );
    expect(errorLine(await labelWith({ ...NO_ENGINE, JOB_COMPLETION_INDEX: '3' }, '--shards', '3', '--out', 'set'))).toContain(
      'JOB_COMPLETION_INDEX=3: shard index 3 is outside 0..2',
    );
    // another labelling into the same folder: another recipe, another teacher
    expect(errorLine(await label('--seed', '9', '--shard', '0/2', '--out', 'set'))).toMatch(
      /set holds another labelling \(its recipe differs\); its files are kept/,
    );
    expect(
      errorLine(
        await label('--no-augment', '--teacher-prompts', path.join(DEMO_TEACHER, 'prompts.safetensors'), '--shard', '0/2', '--out', 'set'),
      ),
    ).toContain('its teacher differs');

    // label sets that are not whole
    const copy = (to: string, ...files: string[]) => {
      fs.mkdirSync(path.join(root, to), { recursive: true });
      for (const [from, name] of files.map((f) => f.split('>')))
        fs.copyFileSync(path.join(root, 'set', from!), path.join(root, to, name ?? from!));
    };
    copy('missing', 'shard-0-of-2.safetensors');
    expect(errorLine(await distill('--teacher-labels', 'missing', '--no-augment', '--out', 'r1'))).toContain(
      'shard 1/2 is missing (found 0); run promptkd label --shard 1/2 with the same flags',
    );
    copy('twice', 'shard-0-of-2.safetensors', 'shard-1-of-2.safetensors', 'shard-0-of-2.safetensors>shard-0-of-2 (copy).safetensors');
    expect(errorLine(await distill('--teacher-labels', 'twice', '--no-augment', '--out', 'r2'))).toMatch(
      /shard 0\/2 is there twice \(.*shard-0-of-2 \(copy\)\.safetensors and .*shard-0-of-2\.safetensors\); keep one/,
    );
    copy('truncated', 'shard-0-of-2.safetensors', 'shard-1-of-2.safetensors');
    fs.truncateSync(
      path.join(root, 'truncated', 'shard-1-of-2.safetensors'),
      fs.statSync(path.join(root, 'truncated', 'shard-1-of-2.safetensors')).size - 40,
    );
    expect(errorLine(await distill('--teacher-labels', 'truncated', '--no-augment', '--out', 'r3'))).toMatch(
      /shard-1-of-2\.safetensors is truncated or damaged .*; label it again/,
    );
    // shards of two teachers
    expect(
      (await label('--no-augment', '--teacher-prompts', path.join(DEMO_TEACHER, 'prompts.safetensors'), '--shard', '1/2', '--out', 'tuned'))
        .code,
    ).toBe(0);
    fs.mkdirSync(path.join(root, 'mixed'));
    fs.copyFileSync(path.join(root, 'set', 'shard-0-of-2.safetensors'), path.join(root, 'mixed', 'shard-0-of-2.safetensors'));
    fs.copyFileSync(path.join(root, 'tuned', 'shard-1-of-2.safetensors'), path.join(root, 'mixed', 'shard-1-of-2.safetensors'));
    expect(errorLine(await cli('label', 'merge', 'mixed', '--out', 'mixed.safetensors'))).toMatch(
      /are labels of different runs \(another teacher\)/,
    );

    // labels that do not fit the run
    expect(
      errorLine(await distill('--teacher-labels', 'set', '--classes', 'bag,dress,sneaker', '--test', 'test', '--out', 'r4')),
    ).toContain('augmentation is off in the labels (centre views only) and on in this run');
    expect((await label('--epochs', '2', '--seed', '1', '--out', 'seeded')).code).toBe(0);
    expect(errorLine(await distill('--teacher-labels', 'seeded', '--epochs', '2', '--seed', '2', '--out', 'r5'))).toContain(
      'the labels are for seed 1, this run uses seed 2',
    );
    expect(errorLine(await distill('--teacher-labels', 'seeded', '--epochs', '4', '--seed', '1', '--out', 'r6'))).toContain(
      'epochs 4 > 2 labelled',
    );
    fs.mkdirSync(path.join(root, 'other-test', 'bag'), { recursive: true });
    for (const c of ['bag', 'coat']) writePng(path.join(root, 'other-test', c, '0.png'), 7, 0);
    expect(errorLine(await distillFrom('unlabeled', 'other-test', '--teacher-labels', 'set', '--no-augment', '--out', 'r7'))).toContain(
      'the labels are for other classes: 3 (bag, dress, sneaker), this run has 2 (bag, coat)',
    );
    writePng(path.join(root, 'grown', 'extra.png'), 99, 1);
    fs.cpSync(path.join(root, 'unlabeled'), path.join(root, 'grown'), { recursive: true });
    expect(errorLine(await distillFrom('grown', 'test', '--teacher-labels', 'set', '--no-augment', '--out', 'r8'))).toContain(
      'image extra.png is not labelled',
    );

    // a label file where a prompt file or a checkpoint is expected
    expect(errorLine(await distill(...online, '--teacher-prompts', 'set/shard-0-of-2.safetensors', '--out', 'r9'))).toContain(
      'set/shard-0-of-2.safetensors is a teacher-label file (made by promptkd label), not teacher prompts',
    );
    expect(errorLine(await distill(...online, '--resume', 'set/shard-0-of-2.safetensors', '--out', 'r10'))).toContain(
      'is a teacher-label file (made by promptkd label), not a student checkpoint',
    );
    expect(errorLine(await distill('--teacher-labels', 'set', ...online, '--out', 'r11'))).toContain(
      '--teacher-labels take the place of the teacher: leave --teacher out',
    );
    // a prompt file where labels are expected
    expect(errorLine(await distill('--teacher-labels', path.join(DEMO_TEACHER, 'prompts.safetensors'), '--out', 'r12'))).toContain(
      'is not a teacher-label file (`promptkd label` writes them): it looks like a prompt file',
    );

    expect(snapshot('set')).toEqual(stored);
  });
});
