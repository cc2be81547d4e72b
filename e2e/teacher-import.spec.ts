// An official-style PromptSRC teacher, as PyTorch saves it (torch.save of a Dassl checkpoint with
// prompts, token buffers, frozen weights, SGD and scheduler state), imported as the teacher's
// prompts through the Teacher step's file field. The file is made by PyTorch itself
// (src/engine/torch/torch_reference.py), so the test needs a python3 with torch (.ci/run installs
// Debian's python3-torch as root); without one it skips and says why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { findTorchPython } from '../src/engine/torch/torch.testkit.ts';
import { engineRequest, installEngineHook } from './engine-hook.ts';

const torch = findTorchPython();

test("a PromptSRC checkpoint saved by torch.save imports as the teacher's prompts", async ({ page }) => {
  test.skip('reason' in torch, 'reason' in torch ? torch.reason : '');
  const python = 'python' in torch ? torch.python : '';
  test.setTimeout(120_000);
  // the demo teacher: text width 32, vision width 96, 2 and 4 blocks: prompts of 4 tokens at depth 2, and 20 MB of frozen weights
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promptsrc-'));
  const made = spawnSync(python, ['src/engine/torch/torch_reference.py', 'promptsrc', dir, '32', '96', '4', '2', '20'], {
    encoding: 'utf8',
  });
  expect(made.status, made.stderr).toBe(0);
  const file = path.join(dir, 'model-best.pth.tar');
  expect(fs.statSync(file).size).toBeGreaterThan(20e6);

  await installEngineHook(page);
  await page.goto('/#backend=wasm');
  await page.getByRole('button', { name: 'Load models' }).click();
  await expect(page.getByTestId('model-teacher')).toBeVisible({ timeout: 60_000 });
  await engineRequest(page, 'setClasses', { classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat'] });

  const step = page.locator('#step-teacher');
  await step.getByText('Import prompts', { exact: true }).click();
  await step.locator('input[type=file]').setInputFiles(file);
  await step.getByRole('button', { name: 'Prepare teacher' }).click();
  const info = page.getByTestId('teacher-info');
  await expect(info).toContainText('Import prompts', { timeout: 60_000 });
  await expect(info).toContainText('model-best.pth.tar');
  // the workspace's teacher now carries the file's prompts, not the zero-shot templates
  const ws = await engineRequest(page, 'workspace', {});
  expect(ws.teacher).toMatchObject({ mode: 'import', promptState: expect.stringMatching(/^prompts-4x2x2-/) });
  fs.rmSync(dir, { recursive: true, force: true });
});
