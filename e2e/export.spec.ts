// Exports of a demo run: the student classifier ONNX runs in plain onnxruntime-node (in this test
// process) and predicts every test image as the studio does; the exported prompts start a new run
// whose first evaluation has the exported run's accuracy. WASM: the workflow is under test.
import fs from 'node:fs';
import { expect, test, type Download, type Page } from '@playwright/test';
import { demoPixels, loadDemoData } from '../src/engine/demo/data.ts';
import { fsDemoReader } from '../src/engine/demo/node.ts';
import { createNodeRuntime } from '../src/engine/runtime/node.ts';
import type { Accuracy, RunResults, RunSummary } from '../src/worker/protocol.ts';
import { bestOnBase } from '../src/engine/promptkd/metrics.ts';
import { engineEvents, engineRequest } from './engine-hook.ts';
import { openStudio, stepShown } from './studio-page.ts';

async function downloads(page: Page, testId: string, count: number): Promise<Map<string, Buffer>> {
  const got: Download[] = [];
  const done = new Promise<void>((resolve) => {
    const on = (d: Download) => {
      got.push(d);
      if (got.length === count) {
        page.off('download', on);
        resolve();
      }
    };
    page.on('download', on);
  });
  await page.getByTestId(testId).click();
  await done;
  return new Map(await Promise.all(got.map(async (d) => [d.suggestedFilename(), fs.readFileSync((await d.path())!)] as const)));
}

const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));

test('the exported ONNX predicts as the studio does; exported prompts restart at the same accuracy', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = await openStudio(page, '/#backend=wasm&evalEvery=1000&ckptEvery=1000', { engineHook: true });
  const t0 = Date.now();
  const lap = (what: string) => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await page.getByTestId('demo-start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  lap('demo loaded, run started');
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(10);
  lap('step 10');
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');

  const prompts = await downloads(page, 'export-prompts', 2);
  const onnxFiles = await downloads(page, 'export-onnx', 1);
  const reportFiles = await downloads(page, 'export-report', 1);
  lap('paused and exported');
  const report = JSON.parse(reportFiles.values().next().value!.toString()) as { run: RunSummary; results: Omit<RunResults, 'gallery'> };
  const step = report.run.step;
  expect(step).toBeGreaterThanOrEqual(10);
  expect([...onnxFiles.keys()][0]).toMatch(new RegExp(`step${step}\\.onnx$`));
  const config = JSON.parse([...prompts].find(([n]) => n.endsWith('.json'))![1].toString());
  expect(config).toMatchObject({
    step,
    classes: report.run.classes,
    dims: { nCtx: report.run.settings.nCtx, depth: report.run.settings.depth },
  });

  // the ONNX file in onnxruntime-node on the demo's test images, preprocessed by the engine's own code
  const demo = await loadDemoData(fsDemoReader('public/demo'));
  const rt = createNodeRuntime();
  const session = await rt.load(new Uint8Array(onnxFiles.values().next().value!));
  expect(session.inputNames).toEqual(['pixels']);
  const tOnnx = Date.now();
  const predictions: number[] = [];
  for (let i = 0; i < demo.splits.test.count; i++) {
    const out = await session.run({ pixels: demoPixels(demo.splits.test, [i], 32) });
    predictions.push(argmax((await out.student_logits!.read()).data as Float32Array));
  }
  console.log(`onnxruntime-node: ${predictions.length} test images in ${Date.now() - tOnnx} ms`);
  await session.release();
  expect(report.results.predictions).toHaveLength(demo.splits.test.count);
  const differ = predictions.flatMap((p, i) => (p === report.results.predictions[i] ? [] : [i]));
  expect(differ, 'test images the ONNX classifier labels differently from the studio').toEqual([]);

  // the exported prompts, loaded into a new run from the page: its evaluation before any step is the
  // exported accuracy
  const safetensors = [...prompts].find(([n]) => n.endsWith('.safetensors'))!;
  const runsBefore = new Set((await engineEvents(page, 'step')).map((e) => e.runId));
  await page
    .getByTestId('run-start-prompts')
    .setInputFiles({ name: safetensors[0], mimeType: 'application/octet-stream', buffer: safetensors[1] });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  const newRun = async () => (await engineEvents(page, 'eval')).find((e) => !runsBefore.has(e.runId) && e.runId !== report.run.id);
  await expect.poll(newRun, { timeout: 60_000 }).toBeTruthy();
  lap('a new run from the exported prompts');
  const first = (await newRun())!;
  const exported: Accuracy = report.results.accuracy;
  expect(first.step).toBe(0);
  expect({ base: first.base, new: first.new, hm: first.hm }).toEqual(exported);
  await engineRequest(page, 'stop', {});
  expect(errors).toEqual([]);
});

test('the exports can take the best checkpoint on base, which Storage lists as the run writes it', async ({ page }) => {
  test.setTimeout(180_000);
  // evaluated and checkpointed every 5 steps, paused between two of them: the pause's checkpoint has no
  // evaluation, so the best on base is an older checkpoint whatever the training does (keepCkpt=1:
  // the last and the best are kept)
  const errors = await openStudio(page, '/#backend=wasm&evalEvery=5&ckptEvery=5&keepCkpt=1', { engineHook: true });
  await page.getByTestId('demo-start').click();
  const row = page.getByTestId('stored-run');
  // Storage follows the checkpoints while the run writes them (no reload, no pause)
  await expect(row).toContainText(/checkpoints at steps? [\d, ]*\b(10|15|20|25)\b/, { timeout: 120_000 });
  await expect
    .poll(
      async () => {
        const step = await stepShown(page);
        return step >= 16 && step % 5 === 1;
      },
      { timeout: 120_000, intervals: [100] },
    )
    .toBe(true);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');

  const run = (await engineRequest(page, 'workspace', {})).runs.at(-1)!;
  const best = bestOnBase(run.checkpoints)!;
  expect(run.checkpointStep! % 5, 'the pause came between two evaluations').not.toBe(0);
  expect(best.step).toBeLessThan(run.checkpointStep!);
  await expect(row).toContainText(`checkpoints at steps ${run.checkpoints.map((c) => c.step).join(', ')} (best on base: step ${best.step}`);

  await page.getByTestId('export-from-best').check();
  const bestPrompts = await downloads(page, 'export-prompts', 2);
  expect([...bestPrompts.keys()].sort()).toEqual([
    `promptkd-student-${run.id}-step${best.step}.json`,
    `promptkd-student-${run.id}-step${best.step}.safetensors`,
  ]);
  expect(JSON.parse(bestPrompts.get(`promptkd-student-${run.id}-step${best.step}.json`)!.toString())).toMatchObject({ step: best.step });
  expect([...(await downloads(page, 'export-onnx', 1)).keys()]).toEqual([`promptkd-student-${run.id}-step${best.step}.onnx`]);
  await page.getByTestId('export-from-last').check();
  expect([...(await downloads(page, 'export-prompts-pth', 1)).keys()]).toEqual([
    `promptkd-student-${run.id}-step${run.checkpointStep}.pth.tar`,
  ]);

  // Resume continues from the checkpoint chosen too: from the best, the steps after it dropped
  await page.getByTestId('export-from-best').check();
  const stepsBefore = (await engineEvents(page, 'step')).length;
  await page.getByTestId('run-resume').click();
  await expect.poll(async () => (await engineEvents(page, 'step')).length, { timeout: 60_000 }).toBeGreaterThan(stepsBefore);
  expect((await engineEvents(page, 'step'))[stepsBefore]!.step).toBe(best.step + 1);
  await engineRequest(page, 'stop', {});
  expect(errors).toEqual([]);
});
