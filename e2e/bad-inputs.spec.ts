// Bad inputs a user gives the studio, each answered on the page with what was wrong: files that are
// not images (or are damaged, empty, hidden, of a format browsers do not read, or claim a 30000×30000
// picture), labeled folders without class folders, an empty folder, repeated class names and a file
// that is not a CoOp split file. The files are made here, into the test's output folder. docs/bad-inputs.md
// lists these beside the unit tests' kinds.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { openStudio } from './studio-page.ts';

const u32be = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const pngChunk = (type: string, data: Buffer) => {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), td, u32be(zlib.crc32(td))]);
};
/** a valid PNG signature and IHDR claiming width × height, with a token of pixel data */
const pngHeader = (width: number, height: number) =>
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', Buffer.concat([u32be(width), u32be(height), Buffer.from([8, 2, 0, 0, 0])])),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);

function write(root: string, files: Record<string, Buffer | string>): string {
  fs.rmSync(root, { recursive: true, force: true });
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), data);
  }
  return root;
}

async function skipReasons(page: Page): Promise<Record<string, string>> {
  const items = await page.getByTestId('import-report').getByTestId('skipped-file').all();
  return Object.fromEntries(
    await Promise.all(items.map(async (li) => [await li.getAttribute('data-name'), (await li.locator('.reason').textContent())!] as const)),
  );
}

test('every file of a folder that is not a usable image is listed with its reason; an empty folder says so', async ({ page }) => {
  const photo = fs.readFileSync('test-data/photos/sklearn/flower.jpg');
  const dir = write(test.info().outputPath('odd-files'), {
    'good/flower.jpg': photo,
    'good/rgb.png': fs.readFileSync('test-data/images/rgb.png'),
    'huge.png': pngHeader(30000, 30000),
    'cut.jpg': photo.subarray(0, 600), // the headers and a little of the scan: most of the picture is missing
    'garbage.jpg': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(2000, 0x5a)]),
    'empty.jpg': Buffer.alloc(0),
    'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    'IMG_0001.HEIC': Buffer.concat([u32be(24), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(200)]),
    'readme.txt': 'photos from the trip',
    '.DS_Store': Buffer.alloc(64, 1),
    'Thumbs.db': Buffer.alloc(64, 2),
    '__MACOSX/good/._flower.jpg': Buffer.alloc(64, 3),
    'good/.hidden.jpg': photo,
  });
  const errors = await openStudio(page, '/#backend=wasm'); // nothing here needs the GPU
  await page.getByTestId('folder-input').setInputFiles(dir);
  const report = page.getByTestId('import-report');
  await expect(report).toHaveAttribute('data-imported', '2');
  const reasons = await skipReasons(page);
  expect(Object.keys(reasons).sort()).toEqual([
    '.DS_Store',
    'IMG_0001.HEIC',
    'Thumbs.db',
    '__MACOSX/good/._flower.jpg',
    'cut.jpg',
    'empty.jpg',
    'garbage.jpg',
    'good/.hidden.jpg',
    'huge.png',
    'logo.svg',
    'readme.txt',
  ]);
  for (const hidden of ['.DS_Store', 'Thumbs.db', '__MACOSX/good/._flower.jpg', 'good/.hidden.jpg'])
    expect(reasons[hidden]).toBe('hidden or system file');
  expect(reasons['empty.jpg']).toBe('the file is empty');
  expect(reasons['readme.txt']).toMatch(/^it is not a PNG, JPEG, WebP, GIF or BMP image \(unrecognised file header\)$/);
  expect(reasons['logo.svg']).toMatch(
    /^it is an SVG drawing or another XML file, not a PNG, JPEG, WebP, GIF or BMP image; save it as PNG or JPEG$/,
  );
  expect(reasons['IMG_0001.HEIC']).toMatch(/^it is a HEIC\/HEIF photo \(the iPhone camera format\), not a PNG/);
  expect(reasons['huge.png']).toBe(
    'its header says 30000×30000 pixels (900 megapixels), more than the 100 megapixels the studio decodes; scale it down',
  );
  for (const broken of ['cut.jpg', 'garbage.jpg'])
    expect(reasons[broken], broken).toMatch(/^the browser could not decode it; the file may be damaged \(.+\)$/);
  await expect(page.locator('#step-data .step-status')).toHaveText('2 unlabeled images');

  // a folder with nothing in it
  const empty = test.info().outputPath('empty-folder');
  fs.rmSync(empty, { recursive: true, force: true });
  fs.mkdirSync(empty);
  await page.getByTestId('folder-input').setInputFiles(empty);
  await expect(page.getByTestId('notice-input')).toContainText(
    /Nothing to import from .*: it holds no files\. Drop a folder of PNG or JPEG images\./,
  );
  expect(errors).toEqual([]);
});

test('a labeled folder needs class folders: loose images are listed, one class or none is refused; class names and split files are checked', async ({
  page,
}) => {
  const png = fs.readFileSync('test-data/images/rgb.png');
  const jpg = fs.readFileSync('test-data/images/rgb.jpg');
  const errors = await openStudio(page, '/#backend=wasm');
  await page.getByTestId('role-test').check();

  // images beside the class folders belong to no class
  const mixed = write(test.info().outputPath('mixed'), { 'cat/1.png': png, 'dog/2019/2.jpg': jpg, 'loose.png': png });
  await page.getByTestId('folder-input').setInputFiles(mixed);
  await expect(page.getByTestId('import-report')).toHaveAttribute('data-imported', '2');
  expect(await skipReasons(page)).toEqual({ 'loose.png': 'not inside a class folder (a labeled folder holds one subfolder per class)' });

  // no class folder at all, and a single class: refused, naming the folder
  const flat = write(test.info().outputPath('flat'), { '1.png': png, '2.jpg': jpg });
  await page.getByTestId('folder-input').setInputFiles(flat);
  const notice = page.getByTestId('notice-input');
  await expect(notice).toContainText(`a labeled test folder needs one subfolder per class, at least 2; "flat" has none`);
  const single = write(test.info().outputPath('single'), { 'cat/1.png': png, 'cat/2.jpg': jpg });
  await page.getByTestId('folder-input').setInputFiles(single);
  await expect(notice.filter({ hasText: 'single' })).toContainText(`"single" has only 'cat'`);

  // class names typed twice
  const classes = page.locator('#step-classes');
  await classes.getByRole('button', { name: 'Edit names' }).click();
  await classes.locator('textarea').fill('cat\ndog\ncat');
  await classes.getByRole('button', { name: 'Save classes' }).click();
  await expect(classes.getByRole('alert')).toHaveText('"cat" is named twice; each class needs its own name.');
  await classes.getByRole('button', { name: 'Cancel' }).click();

  // a file that is not CoOp's split file
  await classes
    .getByTestId('split-file-input')
    .setInputFiles({ name: 'split_zhou_Pets.json', mimeType: 'application/json', buffer: Buffer.from('{"train": [') });
  await expect(classes.getByRole('alert')).toHaveText(
    /^split_zhou_Pets\.json is not JSON \(.+\); a CoOp split file is \{"train": \[\[path, label, classname\], …\], "val": \[…\], "test": \[…\]\}$/,
  );
  await classes
    .getByTestId('split-file-input')
    .setInputFiles({ name: 'labels.json', mimeType: 'application/json', buffer: Buffer.from('{"train": [], "test": []}') });
  await expect(classes.getByRole('alert')).toHaveText('labels.json has no "val" list: not a CoOp split file');
  expect(errors).toEqual([]);
});
