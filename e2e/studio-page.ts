// The steps most specs begin with: collect the page's uncaught errors (and the onnxruntime files it
// fetches), open the studio at a page address and wait until its workspace is ready; and the step
// count the Distill step shows.
import { expect, type Locator, type Page } from '@playwright/test';
import { installEngineHook } from './engine-hook.ts';

/** the page's uncaught errors from now on, as a list that grows (a test ends with `expect(errors).toEqual([])`) */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** the paths of onnxruntime's files (/ort/…) the page and its workers fetch from now on, as a list that grows */
export function collectOrtRequests(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/ort/')) paths.push(path);
  });
  return paths;
}

/**
 * Opens the studio at `address` (a path and hash, as for page.goto: '/#backend=wasm&ckptEvery=5') and
 * waits until the workspace is ready, which the demo button's being enabled shows. With `engineHook`,
 * the worker's events are recorded from the start (engine-hook.ts). Returns the page's errors,
 * collected from before it loaded.
 */
export async function openStudio(page: Page, address: string, options: { engineHook?: boolean } = {}): Promise<string[]> {
  const errors = collectPageErrors(page);
  if (options.engineHook) await installEngineHook(page);
  await page.goto(address);
  await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 60_000 });
  return errors;
}

/** the step the Distill step shows (the run's metric-step) */
export async function stepShown(page: Page): Promise<number> {
  return Number(await page.getByTestId('metric-step').textContent());
}

const MODEL_HEADINGS = { teacher: 'Teacher (large CLIP)', student: 'Student (small CLIP)' } as const;

/** the models step's chooser of `role` */
export const modelChooser = (page: Page, role: 'teacher' | 'student'): Locator =>
  page.locator('.model-role').filter({ hasText: MODEL_HEADINGS[role] });

/** the teacher's and the student's source set to `test/demo-<role>` on the Hub-layout server at `server`, and Load models pressed */
export async function loadDemoModelsFromHub(page: Page, server: string): Promise<void> {
  for (const role of ['teacher', 'student'] as const) {
    const chooser = modelChooser(page, role);
    await chooser.getByLabel('Hugging Face Hub').check();
    await chooser.getByLabel('Model id').fill(`test/demo-${role}`);
    await chooser.getByLabel('Server').fill(server);
  }
  await page.getByRole('button', { name: 'Load models' }).click();
}
