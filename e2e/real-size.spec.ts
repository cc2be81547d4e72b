// The main path at the real sizes: a ViT-B/16 student and a ViT-L/14 teacher (random weights,
// e2e/real-size-models.ts) downloaded from a Hub-layout server, in one page, on WASM.
// - A persistent profile (a normal browser window): the download shows progress and is kept; a
//   reload with the network off takes both models from the store; a zero-shot teacher is prepared
//   on 3 classes; 2 distillation steps with a checkpoint; the prompt and ONNX exports.
// - An incognito-like context (Playwright's default, like Chrome's private windows): the browser
//   refuses to keep the 1.7 GB teacher; it is used from memory, the notice quotes the browser's own
//   error and does not call the storage full, and 2 steps are trained.
// - Teacher labels: `promptkd label` labels the folders with the L/14 on this machine's CPU; a fresh
//   incognito-like context downloads only the B/16 (the Hub never hears of the L/14), imports the
//   labels and trains the same 2 steps, so memory and the time to the first step compare with the
//   online teacher's in one run.
// It records load time, time to the first step, seconds per step and peak renderer memory (RSS of
// this test's Chromium renderers, from /proc) in .tmp/real-size-results.json; docs/benchmarks/ keeps them.
// Slow on purpose (about 8 minutes on 2 cores): `npm run test:real`, which .ci/run runs after `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { spawnSync } from 'node:child_process';
import { findChromium } from '../scripts/find-chromium.mjs';
import type { EngineEvent } from '../src/worker/protocol.ts';
import { engineEvents, engineRequest, installEngineHook } from './engine-hook.ts';
import { FakeHub, serveFakeHub, type ServedHub } from './fake-hub.ts';
import { commitRealModel, ensureRealModel, REAL_STUDENT, REAL_TEACHER } from './real-size-models.ts';
import { modelChooser } from './studio-page.ts';

const ROOT = '.tmp/real-size-models';
const DATA = '.tmp/real-size-data';
const RESULTS = '.tmp/real-size-results.json';
const CLASSES = ['cat', 'truck', 'flower'];
// batch 2 so that 2 steps take 4 of the 10 unlabeled images; a checkpoint every 2 steps
const HASH = '#backend=wasm&epochs=1&batch=2&evalEvery=1000&ckptEvery=2';

test.describe.configure({ mode: 'serial' });

/** small photos-to-be: 3 labeled test images (one per class) and 10 unlabeled ones, distinct noise */
function writeImages(): void {
  if (fs.existsSync(path.join(DATA, 'complete'))) return;
  let s = 12345;
  const png = (file: string) => {
    const img = new PNG({ width: 64, height: 48 });
    for (let i = 0; i < img.data.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      img.data[i] = i % 4 === 3 ? 255 : s >>> 24;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, PNG.sync.write(img));
  };
  for (const c of CLASSES) png(path.join(DATA, 'real-test', c, `${c}.png`));
  for (let i = 0; i < 10; i++) png(path.join(DATA, 'real-unlabeled', `img${i}.png`));
  fs.writeFileSync(path.join(DATA, 'complete'), '');
}

/** RSS in bytes of this test's Chromium processes (descendants of this worker), renderers apart */
function chromiumRss(): { renderer: number; all: number } {
  const children = new Map<number, number[]>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = safeRead(`/proc/${pid}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(pid));
  }
  let renderer = 0,
    all = 0;
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(safeRead(`/proc/${c}/status`))?.[1] ?? 0) * 1024;
      all += rss;
      if (safeRead(`/proc/${c}/cmdline`).includes('--type=renderer')) renderer = Math.max(renderer, rss);
      walk(c);
    }
  };
  walk(process.pid);
  return { renderer, all };
}

function safeRead(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** samples chromiumRss every second until stopped; the peaks */
function memoryPeaks() {
  const peak = { renderer: 0, all: 0 };
  const sample = () => {
    const m = chromiumRss();
    peak.renderer = Math.max(peak.renderer, m.renderer);
    peak.all = Math.max(peak.all, m.all);
  };
  const timer = setInterval(sample, 1000);
  return {
    peak,
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * Seconds the kept model files spent in their SHA-256 check on a load, from the worker's progress
 * events ('… (cached)': the bytes hashed so far), first to last of each file, added up.
 */
async function hashingSeconds(page: Page, pageT0: number): Promise<Record<string, number>> {
  const events = (await page.evaluate(() => window.__engineHook.events)).filter((e) => e.t >= pageT0);
  const out: Record<string, number> = {};
  for (const m of [REAL_STUDENT, REAL_TEACHER]) {
    const checks = events.filter((e) => e.kind === 'progress' && e.label === `${m.repo} model.safetensors (cached)`);
    if (checks.length > 0) out[m.repo] = Number(((checks.at(-1)!.t - checks[0]!.t) / 1000).toFixed(1));
  }
  return out;
}

const GB = (b: number) => Number((b / 1e9).toFixed(2));
const since = (t0: number) => Number(((Date.now() - t0) / 1000).toFixed(1));

/** the Hub's B/16 and L/14 chosen and loaded; with teacher labels in force, the B/16 alone */
async function loadHubModels(
  page: Page,
  hub: ServedHub,
  roles: readonly ('teacher' | 'student')[] = ['teacher', 'student'],
): Promise<void> {
  const models = { teacher: REAL_TEACHER, student: REAL_STUDENT } as const;
  for (const role of roles) {
    const [m, chooser] = [models[role], modelChooser(page, role)];
    // force: in a persistent profile's page the radio's own label covers it (a click there checks it all the same)
    await chooser.getByLabel('Hugging Face Hub').check({ force: true });
    await chooser.getByLabel('Model id').fill(m.repo);
    await chooser.getByLabel('Server').fill(hub.url);
  }
  await page.getByRole('button', { name: 'Load models' }).click();
}

/** both models loaded, or the notice that says why not (a model or internal error fails the test at once) */
async function modelsLoaded(page: Page): Promise<void> {
  const failed = page.locator('[data-testid="notice-model"], [data-testid="notice-internal"], [data-testid="notice-input"]');
  await expect(page.getByTestId('model-teacher').or(failed.first())).toBeVisible({ timeout: 1_200_000 });
  if (await failed.count()) throw new Error(`the models did not load: ${await failed.first().textContent()}`);
  await expect(page.getByTestId('model-teacher')).toContainText(REAL_TEACHER.repo);
  await expect(page.getByTestId('model-student')).toContainText(REAL_STUDENT.repo, { timeout: 600_000 });
}

/** the page's errors and console errors, printed as they come (a half-hour test should say where it is) */
function watch(page: Page, name: string): string[] {
  const errors: string[] = [];
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (e) => {
    errors.push(e.message);
    console.log(`[${name}] page error: ${e.message}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${name}] console: ${m.text().slice(0, 300)}`);
  });
  return errors;
}

async function importFolder(page: Page, role: 'test' | 'unlabeled', dir: string): Promise<void> {
  await page.getByTestId(`role-${role}`).check();
  await page.getByTestId('folder-input').setInputFiles(dir);
  await expect(page.getByTestId('import-report')).toContainText(`imported from “${path.basename(dir)}”`, { timeout: 120_000 });
}

const step = async (page: Page) =>
  Number(
    await page
      .getByTestId('metric-step')
      .textContent()
      .catch(() => '0'),
  );

/** seconds from `t0` (page time, ms) to the first event that matches, or null if none came */
async function eventAt(page: Page, t0: number, match: (e: EngineEvent) => boolean): Promise<number | null> {
  const events = await page.evaluate(() => window.__engineHook.events);
  const hit = events.find((e) => e.t >= t0 && match(e));
  return hit ? Number(((hit.t - t0) / 1000).toFixed(1)) : null;
}

/**
 * Start, then the times of steps 1 and 2 (from Start), paused after step 2; and where the time to
 * the first step goes, from the worker's events: the job opened (teacher class features, student
 * graphs and sessions), the reference lines (teacher and zero-shot student on the test folder), the
 * student's evaluation before training, the step-0 checkpoint, and step 1 (the teacher's logits for
 * its batch, then the student's first forward and backward)
 */
async function trainTwoSteps(
  page: Page,
): Promise<{ firstStep: number; secondsPerStep: number; firstStepParts: Record<string, number | null> }> {
  const t0 = Date.now(),
    pageT0 = await page.evaluate(() => performance.now());
  await page.getByTestId('run-start').click();
  await expect.poll(() => step(page), { timeout: 1_200_000, intervals: [2000] }).toBeGreaterThanOrEqual(1);
  const firstStep = since(t0);
  console.log(`first step ${firstStep} s after Start`);
  await expect.poll(() => step(page), { timeout: 1_200_000, intervals: [1000] }).toBeGreaterThanOrEqual(2);
  const secondsPerStep = Number((since(t0) - firstStep).toFixed(1));
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused', { timeout: 600_000 });
  const evaluating = (done: number) => (e: EngineEvent) => e.kind === 'progress' && e.task === 'evaluate' && e.done === done;
  const at = {
    jobOpen: await eventAt(page, pageT0, evaluating(0)),
    references: await eventAt(page, pageT0, evaluating(1)),
    studentEvaluation: await eventAt(page, pageT0, evaluating(2)),
    checkpoint: await eventAt(page, pageT0, (e) => e.kind === 'checkpoint' && e.step === 0),
    step1: await eventAt(page, pageT0, (e) => e.kind === 'step' && e.step === 1),
  };
  // each part's own seconds (the time since the part before it)
  const marks = Object.entries(at);
  const firstStepParts = Object.fromEntries(
    marks.map(([name, t], i) => {
      const before = i === 0 ? 0 : marks[i - 1]![1];
      return [name, t === null || before === null ? null : Number((t - before).toFixed(1))];
    }),
  );
  console.log(`first step, part by part (s): ${JSON.stringify(firstStepParts)}`);
  return { firstStep, secondsPerStep, firstStepParts };
}

let hub: ServedHub;
const fakeHub = new FakeHub();
const results: Record<string, unknown> = {};

test.beforeAll(async () => {
  test.setTimeout(1_800_000);
  const t0 = Date.now();
  const student = ensureRealModel(ROOT, REAL_STUDENT, 1),
    teacher = ensureRealModel(ROOT, REAL_TEACHER, 2);
  results.files = { student: student.bytes, teacher: teacher.bytes, generatedSeconds: since(t0) };
  writeImages();
  for (const m of [REAL_STUDENT, REAL_TEACHER]) await commitRealModel(fakeHub, ROOT, m);
  hub = await serveFakeHub(fakeHub);
});

test.afterAll(async () => {
  await hub?.close();
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
});

test('a persistent profile downloads, keeps, reloads offline, teaches, trains 2 steps and exports', async ({ baseURL }, info) => {
  test.setTimeout(3_000_000);
  const profile = path.resolve('.tmp', `real-size-profile-${info.workerIndex}`);
  fs.rmSync(profile, { recursive: true, force: true });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: await findChromium(),
    headless: true,
    baseURL: baseURL!,
    acceptDownloads: true,
    viewport: { width: 1280, height: 720 },
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic'],
  });
  const mem = memoryPeaks();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await installEngineHook(page);
    const errors = watch(page, 'persistent');
    await page.goto(`/${HASH}`);
    await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 120_000 });
    // the service worker must hold the app before the network goes away
    await expect(page.getByTestId('offline-status')).toHaveAttribute('data-state', 'ready', { timeout: 300_000 });
    console.log('persistent: the studio is ready offline');

    let t0 = Date.now();
    await loadHubModels(page, hub);
    await modelsLoaded(page);
    results.persistentLoad = since(t0);
    console.log(`persistent: models loaded in ${results.persistentLoad} s`);
    // the download showed its progress, part way through the 1.7 GB file
    const progress = (await engineEvents(page, 'progress')).filter((e) => e.label === `${REAL_TEACHER.repo} model.safetensors`);
    expect(progress.some((e) => e.done > 0 && e.done < e.total)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: results.files && (results.files as { teacher: number }).teacher });
    await expect(page.getByTestId('notice-quota')).toHaveCount(0);
    const storage = page.getByTestId('storage-panel');
    for (const m of [REAL_STUDENT, REAL_TEACHER])
      await expect(storage.locator(`[data-testid="hub-model"][data-repo="${m.repo}"]`)).toBeVisible();

    // reload with the network off: both models come from the store, the Hub hears nothing
    const served = fakeHub.requests.length;
    await context.setOffline(true);
    t0 = Date.now();
    await page.reload();
    const reloadT0 = 0; // the reloaded page's clock starts at its navigation
    await modelsLoaded(page);
    results.offlineReload = since(t0);
    console.log(`persistent: offline reload in ${results.offlineReload} s`);
    expect(fakeHub.requests.length).toBe(served);
    // what the SHA-256 check of the kept files (2.3 GB, read back from OPFS and hashed) added to that reload
    results.offlineReloadHashing = await hashingSeconds(page, reloadT0);
    await context.setOffline(false);

    await importFolder(page, 'test', path.join(DATA, 'real-test'));
    await importFolder(page, 'unlabeled', path.join(DATA, 'real-unlabeled'));
    t0 = Date.now();
    const teacherStep = page.locator('#step-teacher');
    await teacherStep.getByText('Zero-shot', { exact: true }).click();
    await teacherStep.getByRole('button', { name: 'Prepare teacher' }).click();
    await expect(page.getByTestId('teacher-info')).toContainText('Zero-shot', { timeout: 1_200_000 });
    results.prepareTeacher = since(t0);
    console.log(`persistent: teacher prepared in ${results.prepareTeacher} s`);

    const times = await trainTwoSteps(page);
    Object.assign(results, {
      persistentFirstStep: times.firstStep,
      persistentFirstStepParts: times.firstStepParts,
      persistentSecondsPerStep: times.secondsPerStep,
    });
    // the checkpoint every 2 steps, and the one the pause writes at the step it stopped after (a step
    // already under way when Pause was pressed finishes first, so that can be step 3)
    await expect
      .poll(
        async () => {
          const run = (await engineRequest(page, 'workspace', {})).runs.at(-1);
          return run && { current: run.checkpointStep === run.step, atStep2: run.checkpoints.some((c) => c.step === 2) };
        },
        { timeout: 300_000 },
      )
      .toEqual({ current: true, atStep2: true });

    for (const [id, count] of [
      ['export-prompts', 2],
      ['export-onnx', 1],
    ] as const) {
      const got: string[] = [];
      const done = new Promise<void>((resolve) => {
        const on = async (d: import('@playwright/test').Download) => {
          got.push(`${d.suggestedFilename()} ${fs.statSync((await d.path())!).size}`);
          if (got.length === count) {
            page.off('download', on);
            resolve();
          }
        };
        page.on('download', on);
      });
      t0 = Date.now();
      await page.getByTestId(id).click();
      await done;
      results[id] = { files: got, seconds: since(t0) };
    }
    expect((results['export-onnx'] as { files: string[] }).files[0]).toMatch(/\.onnx \d{9}$/); // the B/16 classifier: hundreds of MB
    expect(errors).toEqual([]);
  } finally {
    results.persistentPeak = Object.fromEntries(Object.entries(mem.stop()).map(([k, v]) => [k, GB(v)]));
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test('an incognito-like context uses the teacher it cannot keep from memory, says why, and trains', async ({ browser }) => {
  test.setTimeout(3_000_000);
  const context = await browser.newContext();
  const mem = memoryPeaks();
  try {
    const page = await context.newPage();
    await installEngineHook(page);
    const errors = watch(page, 'incognito');
    await page.goto(`/${HASH}`);
    await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 120_000 });
    const t0 = Date.now();
    await loadHubModels(page, hub);
    await modelsLoaded(page);
    results.incognitoLoad = since(t0);
    console.log(`incognito: models loaded in ${results.incognitoLoad} s`);
    const notice = page.getByTestId('notice-quota').filter({ hasText: REAL_TEACHER.repo });
    await expect(notice).toContainText(
      /model\.safetensors could not be kept in this browser \(QuotaExceededError: .+\) although it reports .* used/,
    );
    await expect(notice).toContainText('used from memory while this page stays open');
    await expect(notice).not.toContainText(/storage is full/i);
    results.incognitoNotice = await notice.textContent();

    await importFolder(page, 'test', path.join(DATA, 'real-test'));
    await importFolder(page, 'unlabeled', path.join(DATA, 'real-unlabeled'));
    const times = await trainTwoSteps(page);
    Object.assign(results, {
      incognitoFirstStep: times.firstStep,
      incognitoFirstStepParts: times.firstStepParts,
      incognitoSecondsPerStep: times.secondsPerStep,
    });
    expect(errors).toEqual([]);
  } finally {
    results.incognitoPeak = Object.fromEntries(Object.entries(mem.stop()).map(([k, v]) => [k, GB(v)]));
    await context.close();
  }
});

test('teacher labels from the CLI: the page downloads and holds only the B/16, and trains the same 2 steps', async ({ browser }) => {
  test.setTimeout(3_000_000);
  // the labels for this run's views (epochs 1, seed 1, crops on), made with the L/14 on the CPU
  const labels = path.resolve('.tmp', 'real-size-labels');
  fs.rmSync(labels, { recursive: true, force: true });
  let t0 = Date.now();
  const made = spawnSync(
    process.execPath,
    [
      'bin/promptkd.mjs',
      'label',
      '--unlabeled',
      path.join(DATA, 'real-unlabeled'),
      '--test',
      path.join(DATA, 'real-test'),
      '--teacher',
      path.join(ROOT, REAL_TEACHER.repo),
      '--epochs',
      '1',
      '--seed',
      '1',
      '--teacher-batch',
      '5',
      '--out',
      labels,
    ],
    { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '' } },
  );
  expect(made.status, made.stderr).toBe(0);
  results.labelsCliSeconds = since(t0);
  console.log(`labels: promptkd label took ${results.labelsCliSeconds} s on the CPU`);

  const context = await browser.newContext();
  const mem = memoryPeaks();
  const teacherAsked = () => fakeHub.requests.filter((r) => r.path.includes(REAL_TEACHER.repo)).length;
  const askedBefore = teacherAsked();
  try {
    const page = await context.newPage();
    await installEngineHook(page);
    const errors = watch(page, 'labels');
    await page.goto(`/${HASH}`);
    await expect(page.getByTestId('demo-start')).toBeEnabled({ timeout: 120_000 });
    const teacherStep = page.locator('#step-teacher');
    await teacherStep.getByText('Teacher labels', { exact: true }).click();
    await teacherStep.getByTestId('labels-folder-input').setInputFiles(labels);
    await expect(page.getByTestId('labels-info')).toContainText(
      '10 images, 1 random crop each (seed 1), over 3 classes, and 3 test images',
    );
    t0 = Date.now();
    await loadHubModels(page, hub, ['student']);
    await expect(page.getByTestId('model-student')).toContainText(REAL_STUDENT.repo, { timeout: 1_200_000 });
    results.labelsLoad = since(t0);
    console.log(`labels: the student loaded in ${results.labelsLoad} s`);
    await importFolder(page, 'test', path.join(DATA, 'real-test'));
    await importFolder(page, 'unlabeled', path.join(DATA, 'real-unlabeled'));
    await expect(page.getByTestId('labels-problem')).toHaveCount(0);
    const times = await trainTwoSteps(page);
    Object.assign(results, {
      labelsFirstStep: times.firstStep,
      labelsFirstStepParts: times.firstStepParts,
      labelsSecondsPerStep: times.secondsPerStep,
    });
    // the reference line is the L/14's, from the labelled test images
    await expect(page.getByTestId('ref-teacher-hm')).toHaveText(/^\d+\.\d\d$/);
    expect(teacherAsked()).toBe(askedBefore);
    expect(errors).toEqual([]);
  } finally {
    results.labelsPeak = Object.fromEntries(Object.entries(mem.stop()).map(([k, v]) => [k, GB(v)]));
    await context.close();
  }
});
