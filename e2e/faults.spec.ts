// Faults made real from outside the app: a full disk (Chromium's quota for the origin is lowered
// through the DevTools protocol before the studio stores anything, so IndexedDB refuses its writes
// with QuotaExceededError) and a lost GPU device (the GPU process is crashed through the DevTools
// protocol, so onnxruntime's device reports its loss). Each is reported with a clear message and
// nothing stored is lost. (A full disk in the middle of a run, with its last checkpoint intact, is
// tested in src/worker/studio.test.ts.)
import { expect, test } from '@playwright/test';
import { engineEvents } from './engine-hook.ts';
import { openStudio, stepShown } from './studio-page.ts';

test('a disk too small for the demo says so, and nothing half-stored is listed', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  // Chromium counts what the origin holds against it: less than the studio's empty database (~150 kB,
  // measured) and less than one batch of the demo's images (64 images of 28×28 RGB per write)
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin, quotaSize: 100_000 });
  // the quota is below what the studio's empty database takes (~150 kB in Chromium) and far below the
  // offline copy: the studio still starts, online, says why it cannot work offline, and says no more
  // until something must be kept
  const errors = await openStudio(page, '/#backend=wasm');
  await expect(page.getByTestId('offline-status')).toHaveAttribute('data-state', 'unavailable');
  await expect(page.getByTestId('offline-status')).toContainText(
    /would not keep the offline copy .* storage is short .* Everything works while online/,
  );
  await expect(page.getByTestId('notice-quota')).toHaveCount(0);
  await page.getByTestId('demo-start').click();
  const notice = page.getByTestId('notice-quota');
  await expect(notice).toBeVisible({ timeout: 60_000 });
  // the quota override does not show in navigator.storage.estimate(): the studio must not call it full
  await expect(notice).toContainText(
    /The browser refused to keep the dataset .* \(QuotaExceededError[^)]*\) although it reports [\d.]+ MB of [\d.]+ MB used/,
  );
  await expect(notice).not.toContainText(/storage is full/i);
  await expect(page.getByTestId('storage-panel')).not.toContainText('Fashion-MNIST');
  expect(errors).toEqual([]);
  await context.close();
});

test('a lost GPU pauses the run with a clear message; resuming continues on WASM from the last checkpoint', async ({ page }) => {
  test.setTimeout(180_000);
  // SwiftShader runs the demo teacher at about one image a second: a first run on WASM fills the
  // stored teacher-logit cache for the first steps, and the test folder goes, so that the WebGPU run
  // below computes only student steps. The demo's stage 1 (the teacher's prompts tuned, e2e/demo.spec.ts)
  // is cut to one shot per class and one epoch: the GPU is lost here in stage 2, the distillation
  const errors = await openStudio(page, '/#backend=wasm&batch=8&ckptEvery=5&evalEvery=100000&teacherEpochs=1&shots=1', {
    engineHook: true,
  });
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok'); // WebGPU works here
  await page.getByTestId('demo-start').click();
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(12);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await page.getByRole('button', { name: 'Delete dataset Demo: Fashion-MNIST test' }).click();
  await expect(page.getByTestId('storage-panel')).not.toContainText('Fashion-MNIST test');

  await page.evaluate(() => {
    location.hash = '#backend=webgpu&batch=8&ckptEvery=5&evalEvery=100000';
  });
  const stepsBefore = (await engineEvents(page, 'step')).length;
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect.poll(async () => (await engineEvents(page, 'step')).length - stepsBefore, { timeout: 120_000 }).toBeGreaterThanOrEqual(7);

  const gpu = await page.context().browser()!.newBrowserCDPSession();
  await gpu.send('Browser.crashGpuProcess');
  await expect(page.getByTestId('notice-device').first()).toBeVisible();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'paused');
  await expect(status).toContainText(/The GPU device was lost \(.+\)\. The run is paused/);
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
