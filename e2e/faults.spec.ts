// Faults during a run, through the worker's real code paths: a full disk (the worker's storage is
// given a small simulated quota, so a write fails as QuotaExceededError would) and a lost GPU device
// (the worker's device-loss handler, as ORT's device.lost would call it). Both are reported with a
// clear message, the run is paused, and its last checkpoint is intact: the run resumes from it.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { engineEvents, engineRequest, installEngineHook } from './engine-hook.ts';

const stepOf = async (page: import('@playwright/test').Page) => Number(await page.getByTestId('metric-step').textContent());

/** bytes of the demo's stored images (the worker keeps each 28×28 image as RGB): what loading it writes */
function demoImageBytes(): number {
  const index = JSON.parse(fs.readFileSync('public/demo/index.json', 'utf8')) as { imageSize: number; splits: Record<string, { count: number }> };
  return Object.values(index.splits).reduce((n, s) => n + s.count, 0) * index.imageSize ** 2 * 3;
}

test('a full disk pauses the run with a clear message; it resumes from its intact last checkpoint', async ({ page }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // room for the demo's images and ~200 kB more: about two checkpoints of the demo student (~72 kB each)
  await installEngineHook(page, { quotaBytes: demoImageBytes() + 200_000 });
  await page.goto('/#backend=wasm&ckptEvery=5&evalEvery=1000');
  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  await page.getByTestId('demo-start').click();
  const notice = page.getByTestId('notice-quota');
  await expect(notice).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  const checkpoints = (await engineEvents(page, 'checkpoint')).map((e) => e.step);
  const last = checkpoints.at(-1)!;
  expect(checkpoints.length).toBeGreaterThanOrEqual(2);
  await expect(notice).toContainText(/storage is full/i);
  await expect(notice).toContainText(`The run is paused and its last checkpoint (step ${last}) is intact`);
  await expect(page.getByTestId('storage-usage')).toBeVisible();
  expect(await stepOf(page)).toBeGreaterThan(last);

  // the checkpoint really is intact: after a reload the run continues from it
  await page.reload();
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toHaveAttribute('data-step', String(last), { timeout: 60_000 });
  await page.getByTestId('resume-offer-accept').click();
  await expect.poll(async () => (await engineEvents(page, 'step')).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  expect((await engineEvents(page, 'step'))[0]!.step).toBe(last + 1);
  expect(errors).toEqual([]);
});

test('a lost GPU pauses the run with a clear message; resuming continues on WASM from the last checkpoint', async ({ page }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await installEngineHook(page);
  // SwiftShader runs the demo teacher at about one image a second: a first run on WASM fills the
  // stored teacher-logit cache for the first steps, and the test folder goes, so that the WebGPU run
  // below computes only student steps
  await page.goto('/#backend=wasm&batch=8&ckptEvery=5&evalEvery=100000');
  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok'); // WebGPU works here
  await page.getByTestId('demo-start').click();
  await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(12);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await page.getByRole('button', { name: 'Delete dataset Demo: Fashion-MNIST test' }).click();
  await expect(page.getByTestId('storage-panel')).not.toContainText('Fashion-MNIST test');

  await page.evaluate(() => { location.hash = '#backend=webgpu&batch=8&ckptEvery=5&evalEvery=100000'; });
  const stepsBefore = (await engineEvents(page, 'step')).length;
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect.poll(async () => (await engineEvents(page, 'step')).length - stepsBefore, { timeout: 120_000 }).toBeGreaterThanOrEqual(7);

  await engineRequest(page, 'simulateDeviceLost', {});
  await expect(page.getByTestId('notice-device').first()).toBeVisible();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'paused');
  await expect(status).toContainText(/The GPU device was lost \(simulated device loss \(test hook\)\)\. The run is paused/);
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  const last = (await engineEvents(page, 'checkpoint')).at(-1)!.step;
  await expect(status).toContainText(`its last checkpoint (step ${last}) is intact`);
  const before = (await engineEvents(page, 'step')).length;

  await page.getByTestId('run-resume').click();
  await expect(status).toHaveAttribute('data-status', 'running');
  await expect.poll(async () => (await engineEvents(page, 'step')).length, { timeout: 60_000 }).toBeGreaterThan(before + 2);
  const after = (await engineEvents(page, 'step')).slice(before);
  expect(after[0]!.step).toBe(last + 1);
  await page.getByTestId('run-pause').click();
  await expect(status).toHaveAttribute('data-status', 'paused');
  expect(errors).toEqual([]);
});
