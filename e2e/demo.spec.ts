// The classroom demo: one click runs both stages (the teacher's prompts tuned on the demo's shots,
// then distillation), and the student's HM on the test photos rises above the HM it had before
// distillation (its own zero-shot HM), both read from the page. It runs on the backend the
// studio picks: WebGPU on a GPU; WASM on a software adapter (SwiftShader on CI machines), where
// WebGPU is correct but ~75-200x slower (measured), far too slow for a one-click demo. Training on
// WebGPU is checked by engine.spec (fixture train steps) and faults.spec (a run on WebGPU).
import { expect, test, type Page } from '@playwright/test';
import { openStudio } from './studio-page.ts';

const number = async (page: Page, testId: string): Promise<number> => Number(await page.getByTestId(testId).textContent());

test(`the demo starts with one click and distillation lifts HM above the student's zero-shot HM`, async ({ page }) => {
  test.setTimeout(420_000);
  const errors = await openStudio(page, '/');
  const backend = await page.getByTestId('backend').textContent();
  const software = (await page.getByTestId('adapter').textContent())!.includes('software fallback adapter');
  expect(backend).toBe(software ? 'wasm' : 'webgpu');

  const started = Date.now();
  await page.getByTestId('demo-start').click();
  const classroom = page.getByTestId('classroom');
  await expect(classroom).toBeVisible();
  await expect(classroom).toContainText('Get the pictures');
  // stage 1: the teacher's prompts are tuned first (about 40 s of CPU time on WASM)
  await expect(classroom).toHaveAttribute('data-stage', 'tune', { timeout: 60_000 });
  await expect(classroom).toContainText('Stage 1: the teacher practises');

  // stage 2, the run, is live: steps count up and the explanation moves on with it
  await expect(page.getByTestId('run-status'), `the demo run did not start on ${backend} within 180 s`).toHaveAttribute(
    'data-status',
    'running',
    { timeout: 180_000 },
  );
  await expect(page.getByTestId('teacher-info')).toContainText('PromptSRC prompts tuned on 80 labeled images of 5 base classes');
  console.log(`demo (${backend}) running after ${Date.now() - started} ms`);
  await expect.poll(() => number(page, 'metric-step'), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect(classroom).toHaveAttribute('data-stage', /teacher|student|compare/);

  // the references come from the page: the untrained student's HM and the teacher's
  await expect(page.getByTestId('ref-student-hm')).not.toHaveText('–', { timeout: 60_000 });
  const zeroShot = await number(page, 'ref-student-hm');
  const teacher = await number(page, 'ref-teacher-hm');
  expect(zeroShot).toBeGreaterThan(0);
  expect(teacher).toBeGreaterThan(zeroShot); // the demo teacher is the stronger CLIP

  // by more than the noise of 1,000 test images (a standard error of about 1.6 points at 50%)
  const margin = 3;
  await expect
    .poll(
      async () => {
        const hm = (await page.getByTestId('metric-hm').textContent()) ?? '–';
        return hm === '–' ? 0 : Number(hm);
      },
      { message: `HM more than ${margin} points above the zero-shot ${zeroShot}`, timeout: 120_000, intervals: [1000] },
    )
    .toBeGreaterThan(zeroShot + margin);
  const hm = await number(page, 'metric-hm');
  console.log(
    `demo (${backend}): HM ${hm} > zero-shot ${zeroShot} (teacher ${teacher}) at step ${await number(page, 'metric-step')}, ${Date.now() - started} ms after the click`,
  );
  expect(Number.isFinite(await number(page, 'metric-loss'))).toBe(true);
  await expect(classroom).toContainText(`the student started at ${zeroShot.toFixed(2)}%`);

  // the whole demo, timed (the budget: 2 minutes on WASM on 2 idle cores; not asserted, as
  // a loaded test machine says nothing about it)
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  console.log(
    `demo (${backend}) done after ${Date.now() - started} ms: HM ${await number(page, 'metric-hm')}, teacher ${teacher}, zero-shot ${zeroShot}`,
  );
  await expect(classroom).toHaveAttribute('data-stage', 'compare');
  expect(errors).toEqual([]);
});

test('a bad setting in the link is named on the page, and its default is used', async ({ page }) => {
  await page.goto('/#backend=wasm&epochs=zero&lr=0.002&colour=blue');
  const problems = page.getByTestId('settings-problems');
  await expect(problems).toContainText('epochs=zero is not valid: use a whole number from 1 to 1000; using the default 3');
  await expect(problems).toContainText('unknown setting "colour" ignored');
  await expect(page.getByTestId('setting-epochs')).toHaveValue('3');
  await expect(page.getByTestId('setting-lr')).toHaveValue('0.002');
  // editing a setting writes it into the link
  await page.getByTestId('setting-epochs').fill('2');
  await page.getByTestId('setting-epochs').press('Enter');
  await expect(page).toHaveURL(/#epochs=2&lr=0\.002&backend=wasm$/);
});
