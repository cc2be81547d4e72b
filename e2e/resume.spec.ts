// Reload in the middle of a run: the studio offers to resume it from its last checkpoint, the run
// continues from that checkpoint's step on the same trajectory (the same losses as before the
// reload), and nothing imported is lost. The workflow, not the GPU, is under test: WASM.
import { expect, test } from '@playwright/test';
import { engineEvents } from './engine-hook.ts';
import { openStudio, stepShown } from './studio-page.ts';

test('a reload mid-run offers to resume from the last checkpoint and continues the same trajectory', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = await openStudio(page, '/#backend=wasm&ckptEvery=10&evalEvery=1000', { engineHook: true });
  const t0 = Date.now();
  await page.getByTestId('demo-start').click();
  // past a few checkpoints and a few steps beyond the last one (so that steps are taken again), the page goes away
  await expect
    .poll(
      async () => {
        const step = await stepShown(page);
        return step >= 25 && step % 10 >= 2 && step % 10 <= 6;
      },
      { timeout: 120_000 },
    )
    .toBe(true);
  const before = await engineEvents(page, 'step');
  const checkpoints = (await engineEvents(page, 'checkpoint')).map((e) => e.step);
  console.log(`demo start → step ${Math.max(...before.map((e) => e.step))}: ${Date.now() - t0} ms; checkpoints ${checkpoints.join(',')}`);
  await page.reload();

  const offer = page.getByTestId('resume-offer');
  await expect(offer).toBeVisible({ timeout: 60_000 });
  const from = Number(await offer.getAttribute('data-step'));
  const reachedBefore = Math.max(...before.map((e) => e.step));
  expect(from % 10).toBe(0);
  expect(from).toBeGreaterThanOrEqual(Math.max(...checkpoints));
  expect(from).toBeLessThanOrEqual(reachedBefore);

  // nothing imported is lost: the demo's three datasets are still stored
  const storage = page.getByTestId('storage-panel');
  for (const text of ['3,000 images', '1,000 images', '80 images']) await expect(storage).toContainText(text);

  await page.getByTestId('resume-offer-accept').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  await expect.poll(async () => (await engineEvents(page, 'step')).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
  const after = await engineEvents(page, 'step');
  expect(after[0]!.step).toBe(from + 1);
  // the same trajectory: the steps taken again after the checkpoint have the losses they had before
  const lossBefore = new Map(before.map((e) => [e.step, e.loss]));
  const again = after.filter((e) => lossBefore.has(e.step));
  expect(again.length).toBeGreaterThan(0);
  for (const e of again) expect(e.loss, `loss at step ${e.step}`).toBeCloseTo(lossBefore.get(e.step)!, 4);
  await expect.poll(() => stepShown(page)).toBeGreaterThan(from);

  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  expect(errors).toEqual([]);
});
