// The Storage panel frees room: it lists the Hub models in the download cache with their sizes and
// deletes them, and it deletes the run going on (the run stops, then goes from the page). The Hub is
// e2e/fake-hub.ts serving the demo models. WASM: the workflow is under test.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { bytes } from '../src/app/format.ts';
import { engineEvents } from './engine-hook.ts';
import { commitDemoModels, FakeHub, serveFakeHub } from './fake-hub.ts';
import { loadDemoModelsFromHub, modelChooser, openStudio, stepShown } from './studio-page.ts';

test('downloaded Hub models are listed with their commit and size, and deleted', async ({ page }) => {
  test.setTimeout(120_000);
  // a Hub serving models/demo-*/ as test/demo-*
  const hub = new FakeHub();
  const commits = await commitDemoModels(hub);
  const served = await serveFakeHub(hub);
  const errors = await openStudio(page, '/#backend=wasm');

  await loadDemoModelsFromHub(page, served.url);
  await expect(page.getByTestId('model-student')).toContainText('test/demo-student');

  const storage = page.getByTestId('storage-panel');
  const size = (name: string) => ['config.json', 'model.safetensors'].reduce((n, f) => n + fs.statSync(`models/${name}/${f}`).size, 0);
  for (const role of ['student', 'teacher'] as const) {
    await expect(storage.locator(`[data-testid="hub-model"][data-repo="test/demo-${role}"]`)).toContainText(
      `test/demo-${role} · main at ${commits[role].slice(0, 7)} · ${bytes(size(`demo-${role}`))} · loaded as the ${role}`,
    );
  }
  await storage.getByRole('button', { name: `Delete model test/demo-student@${commits.student.slice(0, 7)}` }).click();
  await expect(storage.getByTestId('hub-model')).toHaveCount(1);
  await expect(storage.getByTestId('hub-model')).toHaveAttribute('data-repo', 'test/demo-teacher');
  expect(errors).toEqual([]);
  await served.close();
});

test('local model files are kept in the origin private file system, come back after a reload, and a changed copy is caught', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors = await openStudio(page, '/#backend=wasm');
  for (const role of ['teacher', 'student'] as const) {
    const chooser = modelChooser(page, role);
    await chooser.getByLabel('Local files').check();
    await chooser.getByLabel('config.json').setInputFiles(`models/demo-${role}/config.json`);
    await chooser.getByLabel('model.safetensors').setInputFiles({
      name: `${role}.safetensors`,
      mimeType: 'application/octet-stream',
      buffer: fs.readFileSync(`models/demo-${role}/model.safetensors`),
    });
  }
  await page.getByRole('button', { name: 'Load models' }).click();
  await expect(page.getByTestId('model-teacher')).toContainText('teacher.safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('notice-quota')).toHaveCount(0);
  // the weights are in OPFS, byte for byte (the worker wrote them; the page reads the same origin's files)
  const kept = await page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('local-models');
    const out: Record<string, number> = {};
    for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }).entries())
      out[name] = (await h.getFile()).size;
    return out;
  });
  expect(kept['teacher.safetensors']).toBe(fs.statSync('models/demo-teacher/model.safetensors').size);
  expect(kept['student.safetensors']).toBe(fs.statSync('models/demo-student/model.safetensors').size);
  await page.reload();
  await expect(page.getByTestId('model-teacher')).toContainText('teacher.safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('model-student')).toContainText('student.safetensors');

  // one bit of the kept teacher weights changed on disk, from outside the studio: caught on load, not used
  await page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('local-models');
    const handle = await dir.getFileHandle('teacher.safetensors');
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    bytes[2000]! ^= 0x01;
    const w = await handle.createWritable();
    await w.write(bytes);
    await w.close();
  });
  await page.reload();
  await expect(page.getByTestId('notice-model')).toContainText(
    /the teacher model files \(teacher\.safetensors\) kept in this browser have changed since they were imported \(their SHA-256 is [0-9a-f]{64}, [0-9a-f]{64} at import\): they are not used; choose the model's files again/,
    { timeout: 60_000 },
  );
  await expect(page.getByTestId('model-teacher')).toHaveCount(0);
  await expect(page.getByTestId('model-student')).toContainText('student.safetensors');
  expect(errors).toEqual([]);
});

test('deleting the run going on stops it, then it goes from the page', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = await openStudio(page, '/#backend=wasm&evalEvery=1000&ckptEvery=5', { engineHook: true });
  await page.getByTestId('demo-start').click();
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);

  const row = page.getByTestId('stored-run');
  await expect(row).toHaveAttribute('data-status', 'running');
  await row.getByRole('button', { name: /^Delete run of / }).click();
  await expect(row).toHaveCount(0);
  // the Distill step shows no run: no status line, no numbers, the placeholder instead of the chart
  await expect(page.getByTestId('run-status')).toHaveCount(0);
  await expect(page.getByTestId('metric-step')).toHaveCount(0);
  await expect(page.locator('#step-distill .step-status')).toHaveText('not started');
  await expect(page.locator('.chart-placeholder')).toBeVisible();

  // it stopped before it went, and took no step after stopping
  const runId = (await engineEvents(page, 'step'))[0]!.runId;
  const ends = (await engineEvents(page, 'runStatus')).filter((e) => e.runId === runId && e.status !== 'running');
  expect(ends.map((e) => e.status)).toEqual(['stopped']);
  const steps = (await engineEvents(page, 'step')).filter((e) => e.runId === runId);
  expect(Math.max(...steps.map((e) => e.step))).toBeLessThanOrEqual(ends[0]!.step);
  await page.waitForTimeout(1000);
  expect((await engineEvents(page, 'step')).length).toBe(steps.length);
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);
  expect(errors).toEqual([]);
});
