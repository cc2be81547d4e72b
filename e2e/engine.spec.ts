// The engine in a real browser: the same CLIP graphs and the same PromptKD train-step artifact as
// onnxruntime-node, on WebGPU (SwiftShader here) and on WASM, checked against the PyTorch fixture
// with the CLI's metric and tolerances; on WebGPU the student's state stays in GPU buffers.
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { FixtureRun } from '../src/harness/main.ts';

const FIXTURE_DIR = path.resolve('test-data/fixtures/clip-tiny-a');

test('a kernel the GPU rejects becomes an error, not silent zeros', async ({ page }) => {
  await page.goto('/harness.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  expect(await page.evaluate(() => window.harness.rejectedKernelSurfaces())).toMatch(/^the GPU rejected work of this run \(.*binding size/i);
});

for (const backend of ['webgpu', 'wasm'] as const) {
  test(`uploaded scalars and vectors reach the kernels and read back on ${backend}`, async ({ page }) => {
    await page.goto('/harness.html');
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
    const r = await page.evaluate((b) => window.harness.uploadedInputs(b), backend);
    expect(r.y.map((v) => Math.round(v * 1e4) / 1e4)).toEqual([2, 40, 600]);
    expect(r.readBack).toEqual([1, 10, 100]);
    expect(r.onDevice).toBe(backend === 'webgpu'); // reading back left it on the GPU
  });

  test(`fixture checks pass on ${backend}`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.route('**/fixtures/clip-tiny-a/**', async (route) => {
      const rel = new URL(route.request().url()).pathname.split('/fixtures/clip-tiny-a/')[1]!;
      const file = path.join(FIXTURE_DIR, rel);
      if (!file.startsWith(FIXTURE_DIR)) return route.fulfill({ status: 403 });
      return route.fulfill({ path: file }).catch(() => route.fulfill({ status: 404 }));
    });
    await page.goto('/harness.html');
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
    const run: FixtureRun = await page.evaluate((b) => window.harness.fixtureChecks(b, '/fixtures/clip-tiny-a/'), backend);

    const names = run.checks.map((c) => c.name);
    for (const naming of ['hf', 'openai']) {
      for (const kind of ['image_embeds', 'text_embeds', 'logits_per_image']) expect(names).toContain(`clip.${kind}.${naming}`);
    }
    for (const s of [1, 2]) for (const kind of ['loss', 'grads', 'params', 'running_var']) expect(names).toContain(`promptkd.${kind}_${s}`);
    for (const c of run.checks) {
      console.log(`${backend} ${c.name} ${c.maxRelError.toExponential(3)}`);
      expect(c.maxRelError, `${backend} ${c.name}`).toBeLessThanOrEqual(c.tolerance);
    }
    expect(run.studentStateOnDevice).toBe(backend === 'webgpu');
  });
}
