// A page closed in the middle of a write: of a checkpoint, and of an import. The studio ships
// unchanged; the test serves its engine worker with a few lines in front (a wrapper of
// IDBObjectStore.put) that, at the chosen put, make a synchronous request the test never answers.
// The worker then stands still inside the open transaction, and the test closes the page: the
// transaction never commits, as when a tab is killed mid-write. A new page of the same browser
// profile then finds the run at its previous checkpoint, and the import listed as interrupted,
// never as a complete dataset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type BrowserContext } from '@playwright/test';
import { PNG } from 'pngjs';
import { engineEvents, installEngineHook } from './engine-hook.ts';
import { collectPageErrors, openStudio } from './studio-page.ts';

// the service worker would answer the worker script from its precache, past the route
test.use({ serviceWorkers: 'block' });

const HELD = '/__torn-write-held';

/**
 * Serves the engine worker with a put wrapper in front: the first put that `trigger` (the body of a
 * function of store, value, key) accepts stops the worker inside its transaction. Resolves, with the
 * request the worker stands in, once it does.
 */
async function holdWorkerAtPut(context: BrowserContext, trigger: string): Promise<{ held: Promise<void>; release: () => Promise<void> }> {
  let onHeld!: () => void;
  const held = new Promise<void>((resolve) => {
    onHeld = resolve;
  });
  await context.route(`**${HELD}`, () => onHeld()); // never answered: the worker waits until its page goes
  const workerScript = '**/assets/engine.worker-*.js';
  await context.route(workerScript, async (route) => {
    const response = await route.fetch();
    const wrapper = `{
      const put = IDBObjectStore.prototype.put;
      let fired = false;
      IDBObjectStore.prototype.put = function (value, key) {
        const request = put.call(this, value, key);
        if (!fired && ((store, value, key) => { ${trigger} })(this.name, value, key)) {
          fired = true;
          const x = new XMLHttpRequest();
          x.open('POST', '${HELD}', false);
          try { x.send(); } catch {}
        }
        return request;
      };
    }\n`;
    await route.fulfill({ response, body: wrapper + (await response.text()) });
  });
  return {
    held,
    release: async () => {
      await context.unroute(workerScript);
      await context.unroute(`**${HELD}`);
    },
  };
}

test('a page closed while a checkpoint is written: the run resumes from the checkpoint before it', async ({ context }) => {
  test.setTimeout(420_000);
  // checkpoints at 0, 3, 6, 9 are written whole; the one at step 12 is cut off after its put
  const hold = await holdWorkerAtPut(context, "return store === 'ckpt' && value.step === 12;");
  const first = await context.newPage();
  await openStudio(first, '/#backend=wasm&ckptEvery=3&evalEvery=1000&keepCkpt=2', { engineHook: true });
  await first.getByTestId('demo-start').click();
  await hold.held;
  const checkpoints = (await engineEvents(first, 'checkpoint')).map((e) => e.step);
  expect(checkpoints).toEqual([0, 3, 6, 9]);
  const reached = Math.max(...(await engineEvents(first, 'step')).map((e) => e.step));
  expect(reached).toBe(12);
  await first.close();
  await hold.release();

  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await installEngineHook(page);
  await page.goto('/#backend=wasm');
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toBeVisible({ timeout: 60_000 });
  await expect(offer).toHaveAttribute('data-step', '9');
  // kept: the last 2; no best on base, as the only evaluation before the cut was the untrained
  // student's at step 0, which is never the best (Dassl's best_val selects among trained models)
  const run = page.getByTestId('stored-run');
  await expect(run).toContainText('checkpoints at steps 6, 9');
  await expect(run).not.toContainText('best on base');
  // the demo's datasets are whole
  const storage = page.getByTestId('storage-panel');
  for (const text of ['3,000 images', '1,000 images', '80 images']) await expect(storage).toContainText(text);
  await expect(page.getByTestId('interrupted-import')).toHaveCount(0);

  await page.getByTestId('resume-offer-accept').click();
  await expect.poll(async () => (await engineEvents(page, 'step')).length, { timeout: 180_000 }).toBeGreaterThanOrEqual(4);
  expect((await engineEvents(page, 'step'))[0]!.step).toBe(10);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  // the checkpoint at 12 is written this time; each new one retires the oldest beyond the last 2
  // (that the best on base is never retired: src/storage/retention.test.ts, e2e/export.spec.ts)
  const since = (await engineEvents(page, 'checkpoint')).map((e) => e.step);
  expect(since[0]).toBe(12);
  await page.reload();
  await expect(run).toContainText(`checkpoints at steps ${[9, ...since].slice(-2).join(', ')}`, { timeout: 60_000 });
  await expect(run).not.toContainText('best on base');
  expect(errors).toEqual([]);
});

/** a folder of `n` small PNGs of different greys */
function pngFolder(dir: string, n: number): string {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: 16, height: 12 });
    png.data.fill((i * 7) % 256);
    for (let p = 3; p < png.data.length; p += 4) png.data[p] = 255;
    fs.writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
  }
  return dir;
}

test('a page closed while an import is written: the folder is listed as interrupted, and choosing it again completes it', async ({
  context,
}) => {
  test.setTimeout(180_000);
  // not under the test-results folder, which another test run may empty meanwhile
  const folder = pngFolder(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torn-import-')), 'shots-150'), 150);
  // batches of 64: the first is written whole, the second is cut off inside its transaction
  const hold = await holdWorkerAtPut(context, "return store === 'images' && String(key).endsWith('/i100');");
  const first = await context.newPage();
  await openStudio(first, '/#backend=wasm', { engineHook: true });
  await first.getByTestId('folder-input').setInputFiles(folder);
  await hold.held;
  await first.close();
  await hold.release();

  const page = await context.newPage();
  const errors = await openStudio(page, '/#backend=wasm', { engineHook: true });
  const cut = page.getByTestId('interrupted-import');
  await expect(cut).toHaveAttribute('data-imported', '64');
  await expect(cut).toHaveAttribute('data-files', '150');
  await expect(cut).toContainText('“shots-150”: import interrupted');
  // not listed as a dataset, nor counted
  await expect(page.locator('#step-data .step-status')).toHaveText('no images yet');
  await expect(page.getByTestId('storage-panel')).not.toContainText('shots-150');

  await page.getByTestId('interrupted-folder-input').setInputFiles(folder);
  const report = page.getByTestId('import-report');
  await expect(report).toHaveAttribute('data-imported', '150', { timeout: 60_000 });
  await expect(cut).toHaveCount(0);
  await expect(page.locator('#step-data .step-status')).toHaveText('150 unlabeled images');
  await expect(page.getByTestId('storage-panel')).toContainText('shots-150');
  expect(errors).toEqual([]);
});
