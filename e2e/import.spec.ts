// A real folder dropped in through the folder picker: photos of different sizes and formats from
// Debian's sample-image packages, plus a TIFF, a damaged JPEG, a text file, an empty file and the
// folder's license notes. The good images are imported; every other file is listed with its reason.
import { expect, test } from '@playwright/test';
import { collectPageErrors, openStudio } from './studio-page.ts';

test('a folder of real photos imports the images and lists each bad file with its reason', async ({ page }) => {
  // the import does not depend on the GPU: WASM keeps the test quick
  const errors = await openStudio(page, '/#backend=wasm');
  await expect(page.getByTestId('role-unlabeled')).toBeChecked();

  const started = Date.now();
  await page.getByTestId('folder-input').setInputFiles('test-data/photos');
  const report = page.getByTestId('import-report');
  await expect(report).toBeVisible();
  console.log(`import of test-data/photos: ${Date.now() - started} ms`);

  await expect(report).toHaveAttribute('data-imported', '8');
  await expect(report).toContainText('8 images imported from “photos”');
  const skipped = report.getByTestId('skipped-file');
  const reasons = Object.fromEntries(
    await Promise.all(
      (await skipped.all()).map(async (li) => [await li.getAttribute('data-name'), (await li.locator('.reason').textContent())!] as const),
    ),
  );
  expect(Object.keys(reasons).sort()).toEqual(['LICENSES.md', 'broken.jpg', 'empty.png', 'notes.txt', 'skimage/multipage.tif']);
  expect(reasons['empty.png']).toMatch(/empty/);
  expect(reasons['notes.txt']).toMatch(/not a PNG, JPEG, WebP, GIF or BMP/);
  expect(reasons['LICENSES.md']).toMatch(/not a PNG, JPEG, WebP, GIF or BMP/);
  expect(reasons['skimage/multipage.tif']).toMatch(/not a PNG, JPEG, WebP, GIF or BMP/);
  expect(reasons['broken.jpg']).toMatch(/could not decode|damaged/);

  // the dataset is in the workspace and its images are counted
  await expect(page.locator('#step-data .step-status')).toHaveText('8 unlabeled images');
  await expect(page.getByTestId('storage-panel')).toContainText('photos');
  expect(errors).toEqual([]);
});

test('a folder chosen the moment the page opens waits for the studio, then imports', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto('/#backend=wasm', { waitUntil: 'commit' });
  // as soon as the folder field exists, before the workspace is ready (the demo button is still off)
  const input = page.getByTestId('folder-input');
  await input.waitFor({ state: 'attached' });
  const readyAlready = await page
    .getByTestId('demo-start')
    .isEnabled()
    .catch(() => false);
  console.log(`folder chosen ${readyAlready ? 'after' : 'before'} the workspace was ready`);
  await input.setInputFiles('test-data/photos');
  if (!readyAlready)
    await expect(page.getByTestId('imports-queued')).toContainText(
      /getting ready: the folder will be imported as soon as it is|more folder/,
    );
  const report = page.getByTestId('import-report');
  await expect(report).toHaveAttribute('data-imported', '8', { timeout: 60_000 });
  await expect(page.getByTestId('imports-queued')).toHaveCount(0);
  await expect(page.locator('#step-data .step-status')).toHaveText('8 unlabeled images');
  expect(errors).toEqual([]);
});
