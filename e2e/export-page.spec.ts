// The model folder a demo run exports, used as a person would: unzipped and served by a plain static
// server, its index.html classifies the demo's test images (chosen as files) exactly as the studio
// does, and the webcam (Chromium's fake camera); the onnxruntime-web and transformers.js snippets of the
// Results step run as shown and label a test image as the studio did; opened from file:// the page says
// to serve it. Step 4 shows the teacher the demo tuned.
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Download, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { findChromium } from '../scripts/find-chromium.mjs';
import { demoImage, loadDemoData } from '../src/engine/demo/data.ts';
import { fsDemoReader } from '../src/engine/demo/node.ts';
import { readEntry, readZipDirectory } from '../src/engine/torch/zip.ts';
import { engineRequest } from './engine-hook.ts';
import { openStudio, stepShown } from './studio-page.ts';

const require = createRequire(import.meta.url);

test.use({
  // a camera that shows a test pattern, granted without asking
  launchOptions: {
    executablePath: await findChromium(),
    args: ['--no-sandbox', '--disable-quic', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  },
  permissions: ['camera'],
});

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

/** `root` over HTTP on 127.0.0.1, as `npx serve` or `python3 -m http.server` would serve it */
async function serve(root: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

async function download(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const got = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  const d: Download = await got;
  return { name: d.suggestedFilename(), bytes: fs.readFileSync((await d.path())!) };
}

test('the exported page and the onnxruntime-web and transformers.js snippets predict as the studio does', async ({ page, context }) => {
  test.setTimeout(240_000);
  const errors = await openStudio(page, '/#backend=wasm&evalEvery=1000&ckptEvery=1000', { engineHook: true });
  await page.getByTestId('demo-start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  // the demo tuned the teacher's prompts: step 4 shows that teacher, not the zero-shot default
  await expect(page.locator('#step-teacher input[name=teacher-mode]:checked + .choice-title')).toHaveText('Tune prompts');
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(10);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');

  const zip = await download(page, 'export-model');
  await expect(page.getByTestId('model-exported')).toContainText(`${zip.name}: onnx/model.onnx`);
  const runId = (await engineRequest(page, 'workspace', {})).runs.at(-1)!.id;
  const results = await engineRequest(page, 'results', { runId });
  const folder = zip.name.replace(/\.zip$/, '');

  // unzipped beside the snippet's page and image
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'export-page-'));
  const src = new Blob([new Uint8Array(zip.bytes)]);
  const dir = await readZipDirectory(src);
  for (const e of dir.entries) {
    fs.mkdirSync(path.dirname(path.join(root, e.name)), { recursive: true });
    fs.writeFileSync(path.join(root, e.name), await readEntry(src, dir, e));
  }
  const demo = await loadDemoData(fsDemoReader('public/demo'));
  const images = path.join(root, 'images');
  fs.mkdirSync(images);
  const N = demo.splits.test.count;
  const files = Array.from({ length: N }, (_, i) => {
    const img = demoImage(demo.splits.test, i);
    const png = new PNG({ width: img.width, height: img.height });
    for (let p = 0; p < img.width * img.height; p++) {
      png.data.set(img.data.subarray(3 * p, 3 * p + 3), 4 * p);
      png.data[4 * p + 3] = 255;
    }
    const file = path.join(images, `${i}.png`);
    fs.writeFileSync(file, PNG.sync.write(png));
    return file;
  });
  const server = await serve(root);
  try {
    const app = await context.newPage();
    const appErrors: string[] = [];
    app.on('pageerror', (e) => appErrors.push(e.message));
    await app.goto(`${server.url}/${folder}/index.html`);
    await expect(app.locator('#serve-note')).toContainText('npx serve . (Node) or python3 -m http.server (Python)');
    await expect(app.locator('#status')).toContainText('Ready: onnx/model.onnx, 10 classes', { timeout: 60_000 });
    await app.locator('#files').setInputFiles(files);
    await expect(app.locator('#status')).toHaveText(`Classified ${N} images.`, { timeout: 120_000 });
    const shown = await app
      .locator('.prediction')
      .evaluateAll((rows) =>
        rows.map((r) => [(r as HTMLElement).dataset.name!, (r.querySelector('ol') as HTMLElement | null)?.dataset.top ?? '']),
      );
    expect(shown).toHaveLength(N);
    const differ = shown.filter(([name, top]) => top !== results.classes[results.predictions[Number.parseInt(name!, 10)]!]);
    expect(differ, 'images the page labels differently from the studio').toEqual([]);

    // the webcam: Chromium's fake camera, classified frame after frame
    await app.locator('#camera').click();
    await expect(app.locator('#camera-top')).toHaveAttribute('data-top', new RegExp(`^(${results.classes.join('|')})$`));
    expect(appErrors).toEqual([]);

    // the onnxruntime-web snippet as the Results step shows it, in a page whose import map names the folder's onnxruntime-web
    await page.getByTestId('snippets').locator('summary').click();
    const snippet = (await page.getByTestId('snippet-onnxruntime-web').textContent())!;
    expect(snippet).toContain(`./${folder}/onnx/model.onnx`);
    fs.copyFileSync(files[3]!, path.join(root, 'photo.jpg'));
    fs.writeFileSync(
      path.join(root, 'snippet.html'),
      `<!doctype html><script type="importmap">{"imports":{"onnxruntime-web":"./${folder}/ort/ort.wasm.bundle.min.mjs"}}</script><script type="module">${snippet}</script>`,
    );
    const snippetPage = await context.newPage();
    const printed = snippetPage.waitForEvent('console', { predicate: (m) => m.type() === 'log', timeout: 60_000 });
    await snippetPage.goto(`${server.url}/snippet.html`);
    expect((await printed).text()).toBe(results.classes[results.predictions[3]!]);

    // the transformers.js snippet as shown, in a page whose import map names transformers.js' browser
    // bundle; onnxruntime's wasm, which it would fetch from a CDN, is served from here (no network in tests)
    const tjsDist = path.dirname(require.resolve('@huggingface/transformers'));
    const tjsOrt = path.dirname(createRequire(path.join(tjsDist, 'index.js')).resolve('onnxruntime-web'));
    fs.mkdirSync(path.join(root, 'tjs'));
    fs.copyFileSync(path.join(tjsDist, 'transformers.js'), path.join(root, 'tjs', 'transformers.js'));
    for (const f of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'])
      fs.copyFileSync(path.join(tjsOrt, f), path.join(root, 'tjs', f));
    const tjsSnippet = (await page.getByTestId('snippet-transformers.js').textContent())!;
    expect(tjsSnippet).toContain(`from './${folder}/classifier.mjs'`);
    fs.writeFileSync(
      path.join(root, 'tjs-snippet.html'),
      [
        `<!doctype html><script type="importmap">{"imports":{"@huggingface/transformers":"./tjs/transformers.js"}}</script>`,
        `<script type="module">import { env } from '@huggingface/transformers'; const at = (f) => new URL('./tjs/' + f, location.href).href; env.backends.onnx.wasm.wasmPaths = { mjs: at('ort-wasm-simd-threaded.asyncify.mjs'), wasm: at('ort-wasm-simd-threaded.asyncify.wasm') };</script>`,
        `<script type="module">${tjsSnippet}</script>`,
      ].join('\n'),
    );
    const tjsPage = await context.newPage();
    const tjsErrors: string[] = [];
    tjsPage.on('pageerror', (e) => tjsErrors.push(e.message));
    const tjsPrinted = tjsPage.waitForEvent('console', { predicate: (m) => m.type() === 'log', timeout: 120_000 });
    await tjsPage.goto(`${server.url}/tjs-snippet.html`);
    const top = (await (await tjsPrinted).args()[0]!.jsonValue()) as { label: string; score: number }[];
    expect(tjsErrors).toEqual([]);
    expect(top).toHaveLength(3);
    expect(top[0]!.label).toBe(results.classes[results.predictions[3]!]);

    // opened as a file, the page says to serve it
    const asFile = await context.newPage();
    await asFile.goto(`file://${path.join(root, folder, 'index.html')}`);
    await expect(asFile.locator('#file-warning')).toBeVisible();
    await expect(asFile.locator('#file-warning')).toContainText('opened as a file');
    await expect(asFile.locator('#status')).toHaveText('The model is not loaded.');
  } finally {
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  expect(errors).toEqual([]);
});
