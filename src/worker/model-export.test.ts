// The model folder of a demo run, exported by the studio's own handlers (onnxruntime-node, fake
// IndexedDB): transformers.js loads it from local files and labels the 1,000 demo test images as the
// studio does; fp16 is about half the size, with its agreement and HM difference in the model card;
// the snippets of the card run as they are shown (Python where python3 has onnxruntime, numpy and
// Pillow); an export while the run goes on is refused with a reason.
import 'fake-indexeddb/auto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoImage, loadDemoData, type DemoData } from '../engine/demo/data.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import { exportSnippets, SNIPPET_IMAGE } from '../engine/promptkd/export-snippets.ts';
import { DEMO_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import { readEntry, readZipDirectory } from '../engine/torch/zip.ts';
import type { ModelExport, RunResults } from './protocol.ts';
import { studioHarness, type Harness } from './node-studio.testkit.ts';

// under the repository, so that the snippets' `import '@huggingface/transformers'` resolves as a user's would
const WORK = path.resolve('.tmp/model-export-test');

function pngFile(img: { width: number; height: number; data: Uint8Array }, file: string): void {
  const p = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    p.data.set(img.data.subarray(3 * i, 3 * i + 3), 4 * i);
    p.data[4 * i + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(p));
}

/** the zip's folder, unpacked under `dir`; returns the folder's path */
async function unzip(e: ModelExport, dir: string): Promise<string> {
  const src = new Blob([e.bytes as Uint8Array<ArrayBuffer>]);
  const zip = await readZipDirectory(src);
  for (const entry of zip.entries) {
    const to = path.join(dir, entry.name);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, await readEntry(src, zip, entry));
  }
  return path.join(dir, e.folder);
}

/** why python3 cannot run the Python snippet here, or null when it can */
function pythonMissing(): string | null {
  const r = spawnSync('python3', ['-c', 'import onnxruntime, numpy, PIL'], { encoding: 'utf8' });
  if (r.error) return `no python3 (${r.error.message})`;
  return r.status === 0
    ? null
    : `python3 lacks ${/No module named '([^']+)'/.exec(r.stderr)?.[1] ?? 'a module'} (pip install onnxruntime numpy pillow)`;
}

describe('the demo run as a model folder', () => {
  let h: Harness, demo: DemoData, results: RunResults, runId: string;
  const exports: Partial<Record<'fp32' | 'fp16', { e: ModelExport; folder: string }>> = {};

  beforeAll(async () => {
    fs.rmSync(WORK, { recursive: true, force: true });
    fs.mkdirSync(path.join(WORK, 'images'), { recursive: true });
    demo = await loadDemoData(fsDemoReader('public/demo'));
    h = studioHarness('model-export', createNodeRuntime());
    await h.call('init', { backend: 'wasm' });
    await h.call('loadDemo', {});
    // the shipped stage-1 prompts, as `npm run demo` distils from them
    const prompts = new File([fs.readFileSync('models/demo-teacher/prompts.safetensors')], 'prompts.safetensors');
    await h.call('teacher', { mode: 'import', file: prompts });
    const run = await h.call('startRun', { settings: { ...DEMO_SETTINGS, epochs: 1, evalEvery: 0, ckptEvery: 0 } });
    runId = run.id;
    await h.next((e) => e.kind === 'runStatus' && e.runId === runId && e.status === 'done');
    results = await h.call('results', { runId });
    for (const precision of ['fp32', 'fp16'] as const) {
      const e = await h.call('exportModel', { runId, precision });
      exports[precision] = { e, folder: await unzip(e, path.join(WORK, precision)) };
    }
    for (let i = 0; i < demo.splits.test.count; i++) pngFile(demoImage(demo.splits.test, i), path.join(WORK, 'images', `${i}.png`));
  }, 600_000);
  afterAll(() => fs.rmSync(WORK, { recursive: true, force: true }));

  it('holds the Hugging Face layout: labels in the run’s order, CLIP preprocessing, a model card, the report and the page', () => {
    const { e, folder } = exports.fp32!;
    expect(e.fileName).toBe(`${e.folder}.zip`);
    expect(fs.readdirSync(folder).sort()).toEqual(
      ['README.md', 'classifier.mjs', 'config.json', 'index.html', 'onnx', 'ort', 'preprocessor_config.json', 'report.json'].sort(),
    );
    const config = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8'));
    expect(Object.values(config.id2label)).toEqual(results.classes);
    expect(config.label2id[results.classes[3]!]).toBe(3);
    expect(config.promptkd).toMatchObject({ student: 'demo-student', teacher: 'demo-teacher', protocol: 'base2new' });
    const pre = JSON.parse(fs.readFileSync(path.join(folder, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ size: { shortest_edge: 32 }, crop_size: { height: 32, width: 32 }, resample: 3 });
    const card = fs.readFileSync(path.join(folder, 'README.md'), 'utf8');
    expect(card).toContain(`| this student (step ${results.step}) | ${(100 * results.accuracy.base!).toFixed(2)} |`);
    expect(card).toMatch(/\| teacher \(prompts imported from a PromptSRC\/PromptKD file\) \| \d+\.\d\d \|/);
    expect(card).toContain('3000 unlabeled images to distil on, 1000 labeled test images');
    expect(card).not.toMatch(/\.png|\.u8/); // counts, never file names
    expect(JSON.parse(fs.readFileSync(path.join(folder, 'report.json'), 'utf8')).run.id).toBe(runId);
  });

  /**
   * the top-1 of transformers.js' pipeline on every demo test image (the 28-px PNGs as they are), against
   * the studio's; `resize` prepares each image as the snippet does, or leaves it to transformers.js
   */
  async function pipelineAgreement(resize: 'as the snippet' | 'by transformers.js'): Promise<number> {
    const { env, pipeline, RawImage } = await import('@huggingface/transformers');
    // the folder's own classifier.mjs, as the snippet imports it
    const { resizedAsStudio } = (await import(
      path.join(exports.fp32!.folder, 'classifier.mjs')
    )) as typeof import('../page/classifier-page.ts');
    env.allowRemoteModels = false;
    env.localModelPath = path.join(WORK, 'fp32');
    const classify = await pipeline('image-classification', exports.fp32!.e.folder);
    const N = demo.splits.test.count;
    let same = 0;
    for (let i = 0; i < N; i++) {
      const file = path.join(WORK, 'images', `${i}.png`);
      let image: string | InstanceType<typeof RawImage> = file;
      if (resize === 'as the snippet') {
        const { data, width, height } = resizedAsStudio(await RawImage.read(file), exports.fp32!.e.imageSize);
        image = new RawImage(data, width, height, 3);
      }
      const [top] = (await classify(image, { top_k: 1 })) as { label: string }[];
      if (top!.label === results.classes[results.predictions[i]!]) same++;
    }
    await classify.dispose();
    return same / N;
  }

  it("loads in transformers.js from local files and, resized as the snippet does, labels the demo's test images as the studio does", async () => {
    const agreement = await pipelineAgreement('as the snippet');
    console.log(
      `transformers.js, 28-px originals resized as the snippet does: top-1 equals the studio's on ${(100 * agreement).toFixed(2)} % of the demo test images`,
    );
    expect(agreement).toBeGreaterThanOrEqual(0.999);
  }, 300_000);

  it("left to transformers.js' own resize (libvips' affine bicubic in Node, not Pillow's), some answers change", async () => {
    const agreement = await pipelineAgreement('by transformers.js');
    console.log(
      `transformers.js, 28-px originals resized by itself: top-1 equals the studio's on ${(100 * agreement).toFixed(2)} % of the demo test images`,
    );
    // measured 96.70 %: the tiny demo student is sensitive to how 28 px are stretched to 32 (docs/export.md)
    expect(agreement).toBeGreaterThanOrEqual(0.96);
  }, 300_000);

  it('fp16 is about half the size; its agreement with fp32 and its HM difference are in the model card', () => {
    const fp32 = exports.fp32!.e,
      fp16 = exports.fp16!.e;
    const ratio = fp16.onnxBytes / fp32.onnxBytes;
    const cost = fp16.fp16Cost!;
    console.log(
      `onnx/model.onnx ${fp32.onnxBytes} B, onnx/model_fp16.onnx ${fp16.onnxBytes} B (${ratio.toFixed(3)}×); fp16 top-1 agreement ${(100 * cost.agreement).toFixed(2)} % on ${cost.images} images, HM ${(100 * cost.delta).toFixed(2)} points`,
    );
    expect(ratio).toBeLessThanOrEqual(0.55);
    expect(cost.images).toBe(demo.splits.test.count);
    expect(cost.agreement).toBeGreaterThan(0.98);
    expect(fs.existsSync(path.join(exports.fp16!.folder, 'onnx/model_fp16.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(exports.fp16!.folder, 'onnx/model.onnx'))).toBe(false);
    const card = fs.readFileSync(path.join(exports.fp16!.folder, 'README.md'), 'utf8');
    expect(card).toContain(
      `the same top-1 class on ${(100 * cost.agreement).toFixed(2)} % of them; HM ${cost.delta > 0 ? '+' : ''}${(100 * cost.delta).toFixed(2)} points`,
    );
    expect(fp32.fp16Cost).toBeNull();
    // the fp16 card's own row is the fp16 model's: fp32's HM moved by the measured difference
    const row = new RegExp(`\\| this student \\(step ${results.step}\\) \\| [\\d.]+ \\| [\\d.]+ \\| ([\\d.]+) \\|`).exec(card);
    expect(Number(row![1])).toBeCloseTo(100 * (results.accuracy.hm! + cost.delta), 2);
  });

  it('runs the transformers.js and Python snippets as the card shows them', (ctx) => {
    for (const precision of ['fp32', 'fp16'] as const) {
      const { e } = exports[precision]!;
      const dir = path.join(WORK, precision);
      // the snippet's image: a demo test image the studio labelled
      const i = 7;
      fs.copyFileSync(path.join(WORK, 'images', `${i}.png`), path.join(dir, SNIPPET_IMAGE));
      const expected = results.classes[results.predictions[i]!]!;
      const snippets = exportSnippets({ folder: e.folder, imageSize: e.imageSize, precision });
      expect(fs.readFileSync(path.join(dir, e.folder, 'README.md'), 'utf8')).toContain(snippets['transformers.js']);
      fs.writeFileSync(path.join(dir, 'snippet.mjs'), snippets['transformers.js']);
      // plain text as a terminal without colours prints it (npm test sets FORCE_COLOR for its own runners)
      const plain = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
      const js = execFileSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8', env: plain });
      expect(js).toContain(`label: '${expected}'`);
      const missing = pythonMissing();
      if (missing) {
        console.log(`Python snippet not run: ${missing}`);
        ctx.annotate(`Python snippet not run: ${missing}`);
        continue;
      }
      fs.writeFileSync(path.join(dir, 'snippet.py'), snippets.python);
      expect(execFileSync('python3', ['snippet.py'], { cwd: dir, encoding: 'utf8', env: plain }).trim()).toBe(expected);
    }
  }, 120_000);

  it('refuses an export while the run goes on, and says what to do', async () => {
    const run = await h.call('startRun', { settings: { ...DEMO_SETTINGS, epochs: 1 } });
    await expect(h.call('exportModel', { runId: run.id, precision: 'fp32' })).rejects.toThrow(
      'a run is going on and writing its checkpoints; pause or stop it before exporting the model',
    );
    await h.call('stop', {});
  }, 120_000);
});
