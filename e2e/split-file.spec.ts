// A CoOp split file (split_zhou_<Dataset>.json) in the studio: read in the Classes step, it sets the
// class order by label and so base/new; its image folder, chosen in the Data step, becomes the
// labeled test set (the file's test list) and the unlabeled images (its train list).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { expect, test } from '@playwright/test';
import { openStudio } from './studio-page.ts';

// label order on purpose unlike the names' sorted order; 5 classes: the first 3 labels are base
const CLASSES = ['tabby', 'pug', 'emu', 'beagle', 'axolotl'];

function png(seed: number): Buffer {
  const img = new PNG({ width: 12, height: 10 });
  for (let i = 0; i < img.data.length; i++) img.data[i] = i % 4 === 3 ? 255 : (seed * 37 + i * 11) % 256;
  return PNG.sync.write(img);
}

test('a split file sets the class order and base/new, and its folder imports the test and train lists', async ({ page }) => {
  // flat paths, as OxfordPets' split lists its images/ folder
  const item = (list: string, label: number, i: number): [string, number, string] => [
    `${CLASSES[label]}_${list}${i}.png`,
    label,
    CLASSES[label]!,
  ];
  const split = {
    train: CLASSES.flatMap((_, c) => [0, 1, 2].map((i) => item('train', c, i))),
    val: [item('val', 0, 0)],
    test: CLASSES.flatMap((_, c) => [0, 1].map((i) => item('test', c, i))),
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'split-'));
  const images = path.join(dir, 'images');
  fs.mkdirSync(images);
  // the folder lacks one listed test image and holds a file the split does not list
  [...split.train, ...split.test]
    .filter(([p]) => p !== 'emu_test1.png')
    .forEach(([p], k) => {
      fs.writeFileSync(path.join(images, p), png(k));
    });
  fs.writeFileSync(path.join(images, 'unlisted.png'), png(99));

  const errors = await openStudio(page, '/#backend=wasm');

  await page
    .getByTestId('split-file-input')
    .setInputFiles({ name: 'split_zhou_Made.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(split)) });
  const classes = page.getByTestId('class-list').locator('li');
  await expect(classes).toHaveCount(5);
  expect(await classes.locator('.class-name').allTextContents()).toEqual(CLASSES);
  expect(await classes.locator('.tag').allTextContents()).toEqual(['base', 'base', 'base', 'new', 'new']);
  await expect(page.locator('#step-classes .step-status')).toHaveText('5 classes: 3 base, 2 new');
  await expect(page.getByTestId('split-in-force')).toContainText('split_zhou_Made.json');

  const box = page.getByTestId('split-import');
  await expect(box).toContainText('15 train images, 1 val image and 10 test images of 5 classes (3 base)');
  await page.getByTestId('split-folder-input').setInputFiles(images);
  await expect(page.getByTestId('split-missing')).toContainText(
    '1 listed file is not in that folder (0 train, 1 test), e.g. emu_test1.png',
  );

  // the test list (9 of 10 present), labelled by the file: every class has images
  const data = page.locator('#step-data');
  await expect(data.getByText('split_zhou_Made.json: test')).toBeVisible();
  await expect(data.locator('li', { hasText: 'split_zhou_Made.json: test' })).toContainText('9 images · 5 classes');
  await expect(data.locator('.step-status')).toHaveText('15 unlabeled images');
  // the class order stays the file's
  expect(await classes.locator('.class-name').allTextContents()).toEqual(CLASSES);
  await expect(page.getByTestId('split-in-force')).toBeVisible();

  // a file that is not a split file is named, and the classes stay
  await page
    .getByTestId('split-file-input')
    .setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"train": []}') });
  await expect(page.locator('#step-classes [role=alert]')).toHaveText('other.json has no "val", "test" list: not a CoOp split file');
  expect(await classes.locator('.class-name').allTextContents()).toEqual(CLASSES);

  // the split file in force survives a reload: step 1 names it, step 2 offers its folder again
  await page.reload();
  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('split-in-force')).toContainText('split_zhou_Made.json');
  await expect(page.getByTestId('split-import')).toContainText('15 train images, 1 val image and 10 test images of 5 classes (3 base)');
  expect(errors).toEqual([]);
});
