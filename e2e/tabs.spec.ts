// Two tabs of the studio share one IndexedDB: the first keeps the data; a second opens read-only and
// says why; taking over works, and the first tab then pauses its run and turns read-only itself.
import { expect, test } from '@playwright/test';
import { openStudio, stepShown } from './studio-page.ts';

test('a second tab is read-only while the first trains; taking over pauses the first and makes it read-only', async ({ context }) => {
  test.setTimeout(180_000);
  const first = await context.newPage();
  await openStudio(first, '/#backend=wasm&evalEvery=1000&ckptEvery=5');
  await expect(first.getByTestId('read-only')).toHaveCount(0);
  await first.getByTestId('demo-start').click();
  await expect(first.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 90_000 });

  const second = await context.newPage();
  await second.goto('/#backend=wasm&evalEvery=1000&ckptEvery=5');
  const banner = second.getByTestId('read-only');
  await expect(banner).toBeVisible({ timeout: 60_000 });
  await expect(banner).toContainText('open in another tab, which keeps its data');
  await expect(second.getByTestId('demo-start')).toBeDisabled();
  // the first tab's run goes on, untouched by the second tab's start-up
  const step = await stepShown(first);
  await expect.poll(() => stepShown(first), { timeout: 60_000 }).toBeGreaterThan(step);
  await expect(first.getByTestId('run-status')).toHaveAttribute('data-status', 'running');

  await second.getByTestId('take-over').click();
  await expect(banner).toHaveCount(0, { timeout: 60_000 });
  await expect(first.getByTestId('read-only')).toBeVisible({ timeout: 60_000 });
  await expect(first.getByTestId('run-status')).toHaveAttribute('data-status', 'paused', { timeout: 60_000 });
  // the second tab now works: it can resume the run the first one paused
  await expect(second.getByTestId('resume-offer-accept')).toBeVisible({ timeout: 60_000 });
  await second.getByTestId('resume-offer-accept').click();
  await expect(second.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
});
