// A browser without WebGPU still gets a working studio: a notice saying why, and the WASM result.
import { expect, test } from '@playwright/test';

test('without navigator.gpu the studio says why and runs on WASM', async ({ page }) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await page.goto('/');

  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await expect(page.getByTestId('backend-notice')).toContainText('navigator.gpu is missing');
  await expect(page.getByTestId('selftest-wasm')).toHaveAttribute('data-status', 'ok');
  expect(Number(await page.getByTestId('selftest-wasm-err').textContent())).toBeLessThan(1e-5);
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('adapter')).toHaveCount(0);
});
