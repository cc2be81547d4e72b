// Teacher labels made on the command line (`promptkd label`, two shards), imported as a folder into
// the Teacher step: the run distils with the student alone, and not one request for a teacher file
// reaches the server. A setting the labels cannot serve is named before Start; after a reload the
// labels are still in force.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { writePng } from '../src/cli/run-cli.testkit.ts';
import { openStudio } from './studio-page.ts';

const CLASSES = ['bag', 'dress', 'sneaker'];

test('labels from the CLI: a run from them loads only the student and fetches nothing of the teacher; they survive a reload', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-labels-e2e-'));
  for (let i = 0; i < 16; i++) writePng(path.join(dir, 'photos', `p${String(i).padStart(2, '0')}.png`), i, i % 3);
  CLASSES.forEach((c, k) => {
    for (let i = 0; i < 2; i++) writePng(path.join(dir, 'test', c, `${i}.png`), 100 + 10 * k + i, k);
  });
  for (const shard of ['0/2', '1/2']) {
    const made = spawnSync(
      process.execPath,
      [
        'bin/promptkd.mjs',
        'label',
        '--unlabeled',
        path.join(dir, 'photos'),
        '--test',
        path.join(dir, 'test'),
        '--teacher',
        'models/demo-teacher',
        '--no-augment',
        '--shard',
        shard,
        '--out',
        path.join(dir, 'labels'),
      ],
      { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '' } },
    );
    expect(made.status, made.stderr).toBe(0);
  }

  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const errors = await openStudio(page, '/#backend=wasm&epochs=2&batch=4&depth=2&nctx=2&augment=0&evalEvery=2&seed=3');
  await page.getByTestId('folder-input').setInputFiles(path.join(dir, 'photos'));
  await expect(page.getByTestId('import-report')).toHaveAttribute('data-imported', '16');
  await page.getByTestId('role-test').check();
  await page.getByTestId('folder-input').setInputFiles(path.join(dir, 'test'));
  await expect(page.getByTestId('import-report')).toHaveAttribute('data-imported', '6');

  const teacher = page.locator('#step-teacher');
  await teacher.getByText('Teacher labels', { exact: true }).click();
  await teacher.getByTestId('labels-folder-input').setInputFiles(path.join(dir, 'labels'));
  const info = page.getByTestId('labels-info');
  await expect(info).toContainText('Teacher labels in force: labels');
  await expect(info).toContainText('16 images, the centre view of each, over 3 classes, and 6 test images');
  await expect(page.locator('#step-teacher .step-status')).toHaveText('teacher labels');

  // step 3 asks for the student only
  await expect(page.getByTestId('teacher-from-labels')).toBeVisible();
  await page.getByRole('button', { name: 'Load models' }).click();
  await expect(page.getByTestId('model-student')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('#step-models .step-status')).toHaveText('labels labels → demo-student');

  // a setting the labels cannot serve is named before Start, and Start waits
  const note = page.getByTestId('labels-note');
  await expect(note).toContainText('The teacher is the labels labels');
  await page.getByTestId('setting-augment').check();
  await expect(page.getByTestId('labels-problem')).toContainText(
    'augmentation is off in the labels (centre views only) and on in this run',
  );
  await expect(page.getByTestId('run-start')).toBeDisabled();
  await page.getByTestId('setting-augment').uncheck();
  await expect(page.getByTestId('labels-problem')).toHaveCount(0);

  await page.getByTestId('run-start').click();
  await expect(page.locator('#step-distill .step-status')).toHaveText('done · step 8 of 8', { timeout: 120_000 });
  // the teacher's reference line comes from the labelled test images
  await expect(page.getByTestId('ref-teacher-hm')).toHaveText(/^\d+\.\d\d$/);
  expect(requested.filter((p) => p.includes('demo-teacher'))).toEqual([]);
  expect(requested.filter((p) => p.includes('demo-student')).length).toBeGreaterThan(0);

  await page.reload();
  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('labels-info')).toContainText('16 images');
  await expect(page.getByTestId('teacher-from-labels')).toBeVisible();
  expect(requested.filter((p) => p.includes('demo-teacher'))).toEqual([]);
  expect(errors).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});
