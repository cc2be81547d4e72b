// The paper's cross-dataset protocol in the studio: chosen in step 5's settings, the demo run scores
// every test image among all ten classes; the metrics, the chart and the results show one accuracy
// (no base, new or HM), and the report and the exported model folder say which protocol it was.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { readEntry, readZipDirectory } from '../src/engine/torch/zip.ts';
import type { RunResults, RunSummary } from '../src/worker/protocol.ts';
import { openStudio, stepShown } from './studio-page.ts';

async function downloaded(page: import('@playwright/test').Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const got = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  const d = await got;
  return { name: d.suggestedFilename(), bytes: fs.readFileSync((await d.path())!) };
}

test('a cross-dataset run shows one accuracy, and its report and model folder say so', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = await openStudio(page, '/#backend=wasm&evalEvery=10&ckptEvery=1000');
  await page.getByTestId('setting-protocol').selectOption('cross-dataset');
  await expect(page).toHaveURL(/protocol=cross-dataset/);
  await page.getByTestId('demo-start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  await expect(page.getByTestId('metric-accuracy')).toHaveText(/^\d+\.\d\d$/, { timeout: 60_000 });
  await expect(page.getByTestId('metric-hm')).toHaveCount(0);
  await expect(page.getByTestId('metric-base')).toHaveCount(0);
  await expect(page.getByTestId('chart-accuracy')).toContainText('accuracy (all classes)');
  await expect(page.getByTestId('chart-accuracy')).not.toContainText('HM');
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(10);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');

  await page.locator('#step-results').getByRole('button', { name: 'Show results of the last checkpoint' }).click();
  await expect(page.getByTestId('results-accuracy')).toContainText('every image scored among all 10 classes (cross-dataset)');
  await expect(page.locator('#step-results .step-status')).toHaveText(/accuracy \d+\.\d\d%/);
  await expect(page.getByTestId('per-class').locator('.tag')).toHaveCount(0);

  const report = JSON.parse((await downloaded(page, 'export-report')).bytes.toString()) as {
    run: RunSummary;
    results: Omit<RunResults, 'gallery'>;
  };
  expect(report.run.settings.protocol).toBe('cross-dataset');
  expect(report.results.accuracy.new).toBeNull();
  expect(report.results.accuracy.hm).toBeNull();
  // every test image was scored among all classes: the confusion matrix has answers off the base/new halves
  const offHalf = report.results.confusion.some((row, t) => row.some((n, p) => n > 0 && t < 5 !== p < 5));
  expect(offHalf).toBe(true);

  const zip = await downloaded(page, 'export-model');
  const src = new Blob([new Uint8Array(zip.bytes)]);
  const dir = await readZipDirectory(src);
  const read = async (file: string) =>
    new TextDecoder().decode(await readEntry(src, dir, dir.byName.get(`${zip.name.replace(/\.zip$/, '')}/${file}`)!));
  expect(JSON.parse(await read('config.json')).promptkd.protocol).toBe('cross-dataset');
  const card = await read('README.md');
  expect(card).toContain('Protocol: **cross-dataset**');
  expect(card).toMatch(/\| this student \(step \d+\) \| \d+\.\d\d \|\n/);
  expect(card).not.toContain('HM (%)');
  expect(errors).toEqual([]);
});
