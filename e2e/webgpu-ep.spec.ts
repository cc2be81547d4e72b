// The studio's WebGPU runs on onnxruntime-web's native WebGPU EP; where that cannot start or fails
// the self-test it falls back to JSEP, and where both fail to WASM, saying each time which and why.
// The failures are made real from outside the app: the native EP's files are refused by the server
// (the route answers 404), or the engine worker's GPU adapter refuses to create a device (its script
// is served with a line in front that makes requestDevice reject, as a blocklisted GPU would).
import { expect, test, type Page } from '@playwright/test';
import { collectOrtRequests, collectPageErrors, openStudio } from './studio-page.ts';

const ep = (page: Page) => page.getByTestId('webgpu-ep');

// the offline service worker would fetch the ORT files itself, past page.route, and its cache would
// answer the worker: the routes below must see every request
test.use({ serviceWorkers: 'block' });

test('WebGPU computes on the native EP by default, from its own build', async ({ page }) => {
  const errors = collectPageErrors(page);
  const ortFiles = collectOrtRequests(page);
  await page.goto('/');
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok');
  await expect(ep(page)).toHaveAttribute('data-entry', 'native');
  await expect(ep(page)).toHaveText("WebGPU computes on onnxruntime-web's native WebGPU EP.");
  expect(Number(await page.getByTestId('selftest-webgpu-err').textContent())).toBeLessThan(1e-5);
  expect(ortFiles).toContain('/ort/ort-wasm-simd-threaded.asyncify.wasm');
  expect(errors).toEqual([]);
});

test('without the native EP, WebGPU falls back to JSEP and says why', async ({ page }) => {
  await page.route('**/ort/ort-wasm-simd-threaded.asyncify.*', (route) => route.fulfill({ status: 404, body: 'not here' }));
  await page.goto('/');
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok');
  await expect(ep(page)).toHaveAttribute('data-entry', 'jsep');
  await expect(ep(page)).toContainText('JSEP (native WebGPU EP failed:');
  await expect(page.getByTestId('selftest-webgpu-ondevice')).toHaveText('yes');
});

test('a GPU that gives no device fails both WebGPU backends: the studio computes on WASM and says why', async ({ page }) => {
  await page.route('**/assets/engine.worker-*.js', async (route) => {
    // the original response's headers stay: a cross-origin-isolated page loads no worker script without COEP
    const response = await route.fetch();
    const refuse = "GPUAdapter.prototype.requestDevice = () => Promise.reject(new Error('device refused by the test'));\n";
    await route.fulfill({ response, body: refuse + (await response.text()) });
  });
  await page.goto('/#backend=webgpu');
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  const notice = page.getByTestId('backend-notice');
  await expect(notice).toContainText('WebGPU failed on every onnxruntime-web backend: native WebGPU EP:');
  await expect(notice).toContainText('; JSEP:');
  await expect(notice).toContainText('device refused by the test');
  await expect(page.getByTestId('selftest-wasm')).toHaveAttribute('data-status', 'ok');
});

test('#ep=jsep puts JSEP first', async ({ page }) => {
  await openStudio(page, '/#ep=jsep');
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok');
  await expect(ep(page)).toHaveAttribute('data-entry', 'jsep');
  await expect(ep(page)).toHaveText("WebGPU computes on onnxruntime-web's JSEP (the page address asks for JSEP first: ep=jsep).");
  await expect(page.getByTestId('settings-problems')).toHaveCount(0);
});
