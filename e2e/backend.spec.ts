// The studio picks WebGPU when the browser has a GPU adapter, and the self-test proves the WebGPU EP
// computed the result (output kept in a GPU buffer, CPU fallback disabled) and agrees with WASM. On a
// software adapter (SwiftShader, as on CI machines) WebGPU works but trains far slower than WASM, so
// the studio computes on WASM, says why, and still uses WebGPU when the page address asks for it.
import { expect, test, type Page } from '@playwright/test';
import { collectOrtRequests, collectPageErrors } from './studio-page.ts';

const values = async (page: Page, backend: string): Promise<number[]> =>
  JSON.parse((await page.getByTestId(`selftest-${backend}-values`).getAttribute('data-values'))!);

test('self-test runs on WebGPU and on WASM with the same numbers', async ({ page }) => {
  const errors = collectPageErrors(page);
  const ortFiles = collectOrtRequests(page);

  await page.goto('/');
  const backend = page.getByTestId('backend');
  await expect(backend).not.toHaveAttribute('data-backend', '');
  await expect(page.getByTestId('adapter')).toBeVisible();
  const software = (await page.getByTestId('adapter').textContent())!.includes('software fallback adapter');
  // on failure, say why the studio fell back instead of only that it did
  const notice = (await page.getByTestId('backend-notice').allTextContents()).join(' ');
  expect(await backend.textContent(), notice).toBe(software ? 'wasm' : 'webgpu');
  if (software) expect(notice).toContain('only a software WebGPU adapter');

  for (const backend of ['webgpu', 'wasm']) {
    await expect(page.getByTestId(`selftest-${backend}`)).toHaveAttribute('data-status', 'ok');
    expect(Number(await page.getByTestId(`selftest-${backend}-err`).textContent())).toBeLessThan(1e-5);
  }
  // only the WebGPU EP hands outputs back as GPU buffers
  await expect(page.getByTestId('selftest-webgpu-ondevice')).toHaveText('yes');
  await expect(page.getByTestId('selftest-wasm-ondevice')).toHaveText('no');

  const gpu = await values(page, 'webgpu');
  const cpu = await values(page, 'wasm');
  expect(gpu).toHaveLength(32);
  const maxDiff = gpu.reduce((m, x, i) => Math.max(m, Math.abs(x - cpu[i]!)), 0);
  expect(maxDiff).toBeLessThan(1e-5);
  expect(gpu).not.toEqual(new Array(32).fill(gpu[0])); // a constant output would agree trivially

  // the built app serves ORT itself, from /ort/, and is cross-origin isolated (WASM threads)
  expect(ortFiles).toContain('/ort/ort-wasm-simd-threaded.jsep.wasm');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(errors).toEqual([]);
});

test('the page address can put runs on a usable WebGPU that is not the default', async ({ page }) => {
  await page.goto('/#backend=webgpu');
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok');
  const software = (await page.getByTestId('adapter').textContent())!.includes('software fallback adapter');
  test.skip(!software, 'on a hardware adapter WebGPU is the default already');
  await expect(page.getByTestId('backend-override')).toContainText('Runs use webgpu here');
});

test('a float16 student stays float32 where the adapter lacks shader-f16, and the settings say why', async ({ page }) => {
  await page.goto('/#backend=webgpu&studentFp16=1');
  await expect(page.getByTestId('selftest-webgpu')).toHaveAttribute('data-status', 'ok');
  test.skip((await page.getByTestId('shader-f16').textContent()) === 'yes', 'this adapter has shader-f16: the float16 student is kept');
  await expect(page.getByTestId('settings-problems')).toContainText(
    "a float16 student needs WebGPU with shader-f16, and this GPU's adapter lacks shader-f16: the student stays float32",
  );
  await expect(page.getByTestId('setting-studentFp16')).not.toBeChecked();
});
