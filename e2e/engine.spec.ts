// The engine in a real browser: the same CLIP graphs and the same PromptKD train-step artifact as
// onnxruntime-node, on WebGPU (SwiftShader here) and on WASM, checked against the PyTorch fixture
// with the CLI's metric and tolerances; on WebGPU the student's state stays in GPU buffers.
// WebGPU runs on both of onnxruntime-web's WebGPU backends: JSEP (the studio's) and the native EP
// (onnxruntime-web/webgpu), each with CPU fallback disabled, so an op either backend lacks fails here.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { GeometryJson } from '../bench/geometry.ts';
import type { Timing } from '../bench/workloads.ts';
import type { OrtWebEntry } from '../src/engine/runtime/web.ts';
import type { FixtureRun } from '../bench/harness/main.ts';

const FIXTURE_DIR = path.resolve('test-data/fixtures/clip-tiny-a');

/** the (backend, entry) pairs under test; WASM is the same build either way, so it runs once */
const RUNS: { backend: 'webgpu' | 'wasm'; entry: OrtWebEntry; label: string }[] = [
  { backend: 'webgpu', entry: 'jsep', label: 'webgpu' },
  { backend: 'webgpu', entry: 'native', label: 'webgpu (native EP)' },
  { backend: 'wasm', entry: 'jsep', label: 'wasm' },
];

async function openHarness(page: Page): Promise<void> {
  await page.route('**/fixtures/clip-tiny-a/**', async (route) => {
    const rel = new URL(route.request().url()).pathname.split('/fixtures/clip-tiny-a/')[1]!;
    const file = path.join(FIXTURE_DIR, rel);
    if (!file.startsWith(FIXTURE_DIR)) return route.fulfill({ status: 403 });
    return route.fulfill({ path: file }).catch(() => route.fulfill({ status: 404 }));
  });
  await page.goto('/harness.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
}

test('a kernel the GPU rejects becomes an error, not silent zeros', async ({ page }) => {
  await openHarness(page);
  expect(await page.evaluate(() => window.harness.rejectedKernelSurfaces())).toMatch(
    /^the GPU rejected work of this run \(.*binding size/i,
  );
});

for (const { backend, entry, label } of RUNS) {
  test(`uploaded scalars and vectors reach the kernels and read back on ${label}`, async ({ page }) => {
    await openHarness(page);
    const r = await page.evaluate(([b, e]) => window.harness.uploadedInputs(b, e), [backend, entry] as const);
    expect(r.y.map((v) => Math.round(v * 1e4) / 1e4)).toEqual([2, 40, 600]);
    expect(r.readBack).toEqual([1, 10, 100]);
    expect(r.onDevice).toBe(backend === 'webgpu'); // reading back left it on the GPU
  });

  test(`fixture checks pass on ${label}`, async ({ page }) => {
    test.setTimeout(240_000);
    await openHarness(page);
    const run: FixtureRun = await page.evaluate(([b, e]) => window.harness.fixtureChecks(b, '/fixtures/clip-tiny-a/', e), [
      backend,
      entry,
    ] as const);

    expect(run.entry).toBe(entry);
    const names = run.checks.map((c) => c.name);
    for (const naming of ['hf', 'openai']) {
      for (const kind of ['image_embeds', 'text_embeds', 'logits_per_image']) expect(names).toContain(`clip.${kind}.${naming}`);
    }
    for (const s of [1, 2]) for (const kind of ['loss', 'grads', 'params', 'running_var']) expect(names).toContain(`promptkd.${kind}_${s}`);
    for (const c of run.checks) {
      console.log(`${label} ${c.name} ${c.maxRelError.toExponential(3)}`);
      expect(c.maxRelError, `${label} ${c.name}`).toBeLessThanOrEqual(c.tolerance);
    }
    expect(run.studentStateOnDevice).toBe(backend === 'webgpu');
  });
}

// Both WebGPU entries in one page, alternating, on the student train step at the fixture's CLIP size
// (random weights). On SwiftShader this compares the entries' overheads, not what a GPU would do.
test('the student step runs on both WebGPU entries in one page (timings logged)', async ({ page }) => {
  test.setTimeout(240_000);
  await openHarness(page);
  const config: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8'));
  const geometry: GeometryJson = { name: 'clip-tiny-a', student: config, teacher: config, classes: 6 }; // the fixture's 6 classes
  const opts = { batch: 5, steady: 5 }; // the fixture's train batch
  const timings: Record<OrtWebEntry, Timing[]> = { jsep: [], native: [] };
  for (let round = 0; round < 2; round++) {
    for (const entry of ['jsep', 'native'] as const) {
      timings[entry].push(
        await page.evaluate(([g, o, e]) => window.harness.benchWorkload('webgpu', 'student-step', g, o, e), [
          geometry,
          opts,
          entry,
        ] as const),
      );
    }
  }
  for (const entry of ['jsep', 'native'] as const) {
    for (const t of timings[entry]) {
      // numbers are logged, not asserted: timings belong to the benchmark
      expect(t.runsMs).toHaveLength(opts.steady);
      expect(t.medianMs).toBeGreaterThan(0);
    }
    console.log(
      `${entry}: warm-up ${timings[entry].map((t) => t.warmupMs.toFixed(0)).join(' / ')} ms, steady median ${timings[entry].map((t) => t.medianMs.toFixed(1)).join(' / ')} ms`,
    );
  }
  const best = (e: OrtWebEntry, k: 'warmupMs' | 'medianMs') => Math.min(...timings[e].map((t) => t[k]));
  console.log(
    `native / jsep: warm-up ${(best('native', 'warmupMs') / best('jsep', 'warmupMs')).toFixed(2)}, steady ${(best('native', 'medianMs') / best('jsep', 'medianMs')).toFixed(2)}`,
  );
});
