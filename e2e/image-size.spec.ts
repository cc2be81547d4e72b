// The Data step's stored image size: the choice goes into the page address and into the import
// request the worker gets (src/worker/import-size.test.ts checks what the worker then stores).
import { expect, test } from '@playwright/test';
import { openStudio } from './studio-page.ts';

test('full resolution is chosen in the Data step, kept in the address and sent with the import', async ({ page }) => {
  // record the size each import request asks for
  await page.addInitScript(() => {
    const sizes: (string | null)[] = [];
    (window as unknown as { importSizes: (string | null)[] }).importSizes = sizes;
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, m: unknown, ...rest: unknown[]) {
      if ((m as { kind?: string }).kind === 'importFiles') sizes.push((m as { images?: string }).images ?? null);
      return (post as (...a: unknown[]) => void).call(this, m, ...rest);
    } as Worker['postMessage'];
  });
  const errors = await openStudio(page, '/#backend=wasm');
  await expect(page.getByTestId('image-size-256')).toBeChecked();
  await expect(page.getByTestId('image-size')).toContainText('36 MB for a 12-megapixel photo');

  await page.getByTestId('image-size-full').check();
  await expect(page).toHaveURL(/#backend=wasm&images=full$/);
  await page.getByTestId('folder-input').setInputFiles('test-data/photos');
  await expect(page.getByTestId('import-report')).toHaveAttribute('data-imported', '8');
  expect(await page.evaluate(() => (window as unknown as { importSizes: unknown[] }).importSizes)).toEqual(['full']);

  // the default leaves the address
  await page.getByTestId('image-size-256').check();
  await expect(page).toHaveURL(/#backend=wasm$/);
  // a link with images=full opens with it chosen
  await page.goto('/#images=full&backend=wasm');
  await page.reload();
  await expect(page.getByTestId('image-size-full')).toBeChecked();
  expect(errors).toEqual([]);
});
