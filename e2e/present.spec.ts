// Presenting the demo to a class: the shortcuts list (`?`), visible keyboard focus, the demo's two
// stages, Space to pause and resume, and present mode (big numbers, the accuracy chart and the
// explanations only), which leaves the run and the page as they were.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { openStudio, stepShown } from './studio-page.ts';

const status = (page: Page) => page.getByTestId('run-status');

/** the focused element's outline, and the contrast of its colour with the background it is drawn on */
async function focusRing(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const css = getComputedStyle(el);
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    // the outline sits outside the element (offset > 0): on its parent's background
    let bg = [255, 255, 255];
    for (let p = el.parentElement; p; p = p.parentElement) {
      const [r, g, b, a = 1] = rgb(getComputedStyle(p).backgroundColor);
      if (a > 0) {
        bg = [r!, g!, b!];
        break;
      }
    }
    const lum = ([r, g, b]: number[]) => {
      const lin = (byte: number) => {
        const v = byte / 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const [l1, l2] = [lum(rgb(css.outlineColor)), lum(bg)].sort((a, b) => b - a);
    return {
      tag: el.tagName,
      style: css.outlineStyle,
      width: parseFloat(css.outlineWidth),
      offset: parseFloat(css.outlineOffset),
      contrast: (l1! + 0.05) / (l2! + 0.05),
    };
  });
}

/** Tab until a button has the focus (keyboard focus: what :focus-visible is for) */
async function tabToButton(page: Page): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.tagName === 'BUTTON')) return;
  }
  throw new Error('no button took the focus in 40 presses of Tab');
}

async function expectSteps(page: Page, above: number, message: string): Promise<void> {
  await expect.poll(() => stepShown(page), { message, timeout: 60_000 }).toBeGreaterThan(above);
}

const visible = async (...locators: Locator[]) => {
  for (const l of locators) await expect(l).toBeVisible();
};
const hidden = async (...locators: Locator[]) => {
  for (const l of locators) await expect(l).toBeHidden();
};

test('the demo runs both stages; ? lists the shortcuts; Space pauses and resumes; present mode shows the numbers, chart and explanations only', async ({
  page,
}) => {
  test.setTimeout(300_000);
  // a short stage 1 (what is checked is that it runs, and is shown) and a run long enough to pause,
  // resume and present before it ends
  const errors = await openStudio(page, '/#teacherEpochs=1&epochs=10');

  // ? lists every shortcut, Esc closes the list
  await page.keyboard.press('?');
  const list = page.getByTestId('shortcuts');
  await expect(list).toBeVisible();
  await expect(list.getByTestId('shortcut-pauseOrResume')).toContainText('Space');
  await expect(list.getByTestId('shortcut-pauseOrResume')).toContainText('pause the run, or resume it');
  await expect(list.getByTestId('shortcut-togglePresent')).toContainText('present mode');
  await expect(list.getByTestId('shortcut-showShortcuts')).toContainText('?');
  await expect(list.getByTestId('shortcut-closeView')).toContainText('Esc');
  await page.keyboard.press('Escape');
  await expect(list).toBeHidden();

  // keyboard focus on a button draws a ring of 2 px or more at 3:1 or more against what is behind it
  await tabToButton(page);
  const ring = await focusRing(page);
  expect(ring.style, `the focused ${ring.tag}'s outline`).toBe('solid');
  expect(ring.width).toBeGreaterThanOrEqual(2);
  expect(ring.contrast).toBeGreaterThanOrEqual(3);
  await page.evaluate(() => (document.activeElement as HTMLElement).blur());

  // stage 1: the teacher's prompts are tuned on the demo's shots, then stage 2 runs
  const started = Date.now();
  await page.getByTestId('demo-start').click();
  const classroom = page.getByTestId('classroom');
  await expect(classroom, 'stage 1 (teacher tuning) is shown while it runs').toHaveAttribute('data-stage', 'tune', { timeout: 60_000 });
  await expect(classroom).toContainText('Stage 1: the teacher practises');
  await expect(classroom).toContainText('16 labeled photos of each base class');
  await expect(classroom).not.toHaveAttribute('data-stage', 'tune', { timeout: 180_000 });
  const stage1 = Date.now() - started;
  await expect(page.getByTestId('teacher-info')).toContainText(
    'PromptSRC prompts tuned on 80 labeled images of 5 base classes for 1 epoch',
  );
  await expect(status(page)).toHaveAttribute('data-status', 'running', { timeout: 90_000 });
  console.log(
    `demo on ${await page.getByTestId('backend').textContent()}: stage 1 and the teacher's test ${stage1} ms, running after ${Date.now() - started} ms`,
  );
  await expectSteps(page, 0, 'the run takes steps');

  // Space pauses (the demo button the mouse clicked is disabled now: Space is the shortcut's)
  await page.keyboard.press(' ');
  await expect(status(page)).toHaveAttribute('data-status', 'paused');
  const pausedAt = await stepShown(page);
  await page.waitForTimeout(1500);
  expect(await stepShown(page), 'no steps while paused').toBe(pausedAt);
  // ... and resumes, from the checkpoint
  await page.keyboard.press(' ');
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await expectSteps(page, pausedAt, 'steps go on after Space resumed the run');

  // Space on a focused button is that button's click alone: Pause pauses, and nothing resumes it
  await page.getByTestId('run-pause').focus();
  await page.keyboard.press(' ');
  await expect(status(page)).toHaveAttribute('data-status', 'paused');
  await page.waitForTimeout(1500);
  await expect(status(page), 'Space on the Pause button did not also run the shortcut').toHaveAttribute('data-status', 'paused');
  await page.keyboard.press(' '); // the Pause button is disabled now: the shortcut resumes
  await expect(status(page)).toHaveAttribute('data-status', 'running');

  // present mode: the numbers, the accuracy chart and the explanations; nothing else
  const pageWidth = await page
    .getByTestId('chart-accuracy')
    .locator('canvas')
    .evaluate((c) => c.getBoundingClientRect().width);
  await page.keyboard.press('p');
  await expect(page.getByTestId('app')).toHaveAttribute('data-presenting', 'true');
  await visible(
    page.getByTestId('metric-step'),
    page.getByTestId('metric-base'),
    page.getByTestId('metric-new'),
    page.getByTestId('metric-hm'),
    page.getByTestId('ref-teacher-hm'),
    page.getByTestId('ref-student-hm'),
    page.getByTestId('chart-accuracy'),
    classroom,
  );
  await hidden(
    page.locator('#step-classes'),
    page.locator('#step-data'),
    page.locator('#step-models'),
    page.locator('#step-teacher'),
    page.locator('#step-results'),
    page.getByTestId('demo-start'),
    page.getByTestId('storage-panel'),
    page.getByLabel('Compute backend'),
    page.getByTestId('run-start'),
    page.getByTestId('metric-loss'),
    page.getByTestId('chart-loss'),
    page.getByText('PromptKD Studio', { exact: true }),
  );
  // big type: in this 1280-px window the numbers are 2.5 times the page's 16-px text or more
  expect(
    await page.getByTestId('metric-hm').evaluate((e) => parseFloat(getComputedStyle(e).fontSize)),
    'HM in big type',
  ).toBeGreaterThanOrEqual(40);
  // the chart is made again for the projector and fills its column
  await expect
    .poll(() =>
      page
        .getByTestId('chart-accuracy')
        .locator('canvas')
        .evaluate((c) => c.getBoundingClientRect().width),
    )
    .toBeGreaterThan(pageWidth);
  expect(
    await page
      .getByTestId('chart-accuracy')
      .locator('canvas')
      .evaluate((c) => c.getBoundingClientRect().height),
  ).toBeGreaterThanOrEqual(260);
  // the run goes on, and Space still pauses it
  const presentedAt = await stepShown(page);
  await expectSteps(page, presentedAt, 'steps go on in present mode');
  await page.keyboard.press(' ');
  await expect(status(page)).toHaveAttribute('data-status', 'paused');
  // a focused control in present mode shows its ring too
  await tabToButton(page);
  expect((await focusRing(page)).contrast).toBeGreaterThanOrEqual(3);
  await page.keyboard.press(' '); // that button is Leave present mode, the only one shown

  // leaving finds the page as it was
  await expect(page.getByTestId('app')).toHaveAttribute('data-presenting', 'false');
  await visible(
    page.locator('#step-classes'),
    page.getByTestId('storage-panel'),
    page.getByTestId('chart-loss'),
    page.getByTestId('metric-loss'),
  );
  await expect(status(page)).toHaveAttribute('data-status', 'paused');
  // the focus stays on the Present button, whose own key Space is: a click on the page moves it away
  await page.getByRole('heading', { name: 'PromptKD Studio' }).click();
  await page.keyboard.press(' ');
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await page.keyboard.press('p');
  await expect(page.getByTestId('app')).toHaveAttribute('data-presenting', 'true');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('app')).toHaveAttribute('data-presenting', 'false');
  await page.getByTestId('run-stop').click();
  expect(errors).toEqual([]);
});
