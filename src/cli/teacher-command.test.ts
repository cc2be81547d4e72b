// `promptkd teacher` end to end on PNG folders written here, with the fixture's tiny CLIP as teacher.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClipConfig } from '../engine/clip/config.ts';
import { importTeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { rng } from '../engine/random.ts';
import { runPromptkd } from './run-cli.testkit.ts';
import { parseTeacherArgs } from './teacher-command.ts';

const MODEL = path.resolve('test-data/fixtures/clip-tiny-a');
const COLOURS: Record<string, [number, number, number]> = {
  blue: [30, 50, 230],
  green: [30, 200, 30],
  red: [230, 30, 30],
  yellow: [230, 230, 30],
};

let root: string;

function writePng(file: string, rgb: [number, number, number], seed: number): void {
  const r = rng(seed);
  const png = new PNG({ width: 40, height: 36 });
  for (let i = 0; i < 40 * 36; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! + 25 * r.normal())));
    png.data[i * 4 + 3] = 255;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

const teacher = (...args: string[]) => runPromptkd(root, 'teacher', ...args);

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'teacher-cli-'));
  Object.entries(COLOURS).forEach(([name, rgb], c) => {
    for (let k = 0; k < 6; k++) writePng(path.join(root, 'labeled', name, `${k}.png`), rgb, 100 * c + k);
    for (let k = 0; k < 3; k++) writePng(path.join(root, 'test', name, `${k}.png`), rgb, 1000 + 100 * c + k);
  });
  writePng(path.join(root, 'one', 'cat', '0.png'), [10, 10, 10], 1);
  fs.mkdirSync(path.join(root, 'empty', 'cat'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty', 'dog'), { recursive: true });
  writePng(path.join(root, 'empty', 'cat', '0.png'), [10, 10, 10], 1);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('promptkd teacher', () => {
  it('tunes prompts on the base classes, writes them under PromptSRC names and evaluates zero-shot vs tuned', async () => {
    const r = await teacher(
      '--labeled',
      'labeled',
      '--test',
      'test',
      '--teacher',
      MODEL,
      '--out',
      'out/prompts.safetensors',
      '--epochs',
      '3',
      '--batch-size',
      '4',
      '--shots',
      '4',
      '--n-ctx',
      '2',
      '--depth',
      '3',
    );
    expect(r.stderr).toContain('epoch 3/3');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: prompt depth 3 clamped to 2: the teacher's text tower has only 2 blocks/);
    expect(r.stderr).toMatch(/wrote out\/prompts.safetensors \(8 few-shot images of 2 classes/);
    expect(r.stderr).toMatch(/teacher zero-shot: base \d+\.\d\d% {2}new \d+\.\d\d% {2}HM/);
    expect(r.stderr).toMatch(/teacher tuned: {5}base \d+\.\d\d%/);
    const cfg = parseClipConfig(JSON.parse(fs.readFileSync(path.join(MODEL, 'config.json'), 'utf8')));
    const prompts = await importTeacherPrompts(await fs.openAsBlob(path.join(root, 'out/prompts.safetensors')), cfg);
    expect(prompts.nCtx).toBe(2);
    expect(prompts.textDeep).toHaveLength(1);
    expect(prompts.visionDeep).toHaveLength(2);
  }, 120_000);

  it('refuses a folder with one class, an empty class folder and a missing model with one clear line', async () => {
    const one = await teacher('--labeled', 'one', '--teacher', MODEL);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/labeled folder one has only one class folder \('cat'\)/);
    const empty = await teacher('--labeled', 'empty', '--teacher', MODEL);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/labeled folder empty: class folder 'dog' has no PNG or JPEG images/);
    const noModel = await teacher('--labeled', 'labeled', '--teacher', 'nowhere');
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/teacher model folder nowhere has no config.json/);
  }, 60_000);

  it('needs at least 3 classes for a base split of 2, or --all-classes', async () => {
    fs.cpSync(path.join(root, 'labeled', 'blue'), path.join(root, 'two', 'blue'), { recursive: true });
    fs.cpSync(path.join(root, 'labeled', 'red'), path.join(root, 'two', 'red'), { recursive: true });
    const r = await teacher('--labeled', 'two', '--teacher', MODEL, '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/so 1 base class; base-to-new needs at least 3 classes \(or tune on all classes\)/);
  }, 60_000);

  it('parses flags and names bad values', () => {
    const a = parseTeacherArgs(['--labeled', 'x', '--teacher', 'y', '--no-gpa', '--no-regularisers', '--all-classes', '--lr', '0.01']);
    expect(a.config.gpa).toBeNull();
    expect(a.config.loss).toEqual({ textL1Weight: 0, imageL1Weight: 0, zeroShotKl: false });
    expect(a.config.classes).toBe('all');
    expect(a.config.lr).toBe(0.01);
    expect(() => parseTeacherArgs(['--labeled', 'x', '--teacher', 'y', '--epochs', '2.5'])).toThrow(
      '--epochs 2.5 is not valid: use a whole number from 1 to 1000',
    );
    expect(() => parseTeacherArgs(['--teacher', 'y'])).toThrow(/--labeled is required/);
  });
});
