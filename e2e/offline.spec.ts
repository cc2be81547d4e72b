// Offline after the first load: the service worker (vite.config.ts) saves the studio, onnxruntime's
// WASM and the demo while the first visit runs; with the network gone, a reload still starts the demo
// and trains. Playwright's offline mode cuts the page and its worker off the network (checked below)
// but not the service worker's own fetches, so the test also checks that the reload came from it.
import { expect, test } from '@playwright/test';
import { collectPageErrors, stepShown } from './studio-page.ts';

const fetchOutcome = (url: string) =>
  fetch(url, { cache: 'no-store' }).then(
    (r) => `HTTP ${r.status}`,
    () => 'failed',
  );

test('the studio says when it is ready to work offline, and then runs the demo without the network', async ({ page, context }) => {
  test.setTimeout(240_000);
  const errors = collectPageErrors(page);

  await page.goto('/');
  const status = page.getByTestId('offline-status');
  await expect(status).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  await expect(status).toContainText('Ready to work offline');

  await context.setOffline(true);
  const reload = await page.reload();
  expect(reload?.fromServiceWorker(), 'the reloaded page comes from the service worker').toBe(true);
  // the saved responses keep their COOP/COEP headers: WASM threads stay available
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(status).toHaveAttribute('data-state', 'ready');
  // the network is gone for the page and the engine's worker: what they load must come from the copy
  expect(await page.evaluate(fetchOutcome, '/demo/README.md')).toBe('failed');

  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  await expect.poll(() => page.workers().length, { message: 'the engine worker is running' }).toBeGreaterThan(0);
  expect(await page.workers()[0]!.evaluate(fetchOutcome, '/demo/README.md')).toBe('failed');
  await page.getByTestId('demo-start').click();
  await expect(page.getByTestId('run-status'), 'the demo did not start offline').toHaveAttribute('data-status', 'running', {
    timeout: 120_000,
  });
  await expect.poll(() => stepShown(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  expect(errors).toEqual([]);
});
