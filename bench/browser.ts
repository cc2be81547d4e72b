// The benchmark's Node side of the browser: builds the app (its own copy, so a test run's dist/ is
// left alone), serves it with `vite preview` (cross-origin isolated, as the studio ships), and drives
// headless Chromium with WebGPU on through Playwright. Temp files stay in .tmp/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { findChromium } from '../scripts/find-chromium.mjs';
import type { GpuProbe } from '../src/app/gpu.ts';
import type { GeometryJson } from './geometry.ts';
import type { BenchBackend, BenchWorkload } from './harness-bench.ts';
import type { Timing, WorkloadOptions } from './workloads.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const DIST = path.join(ROOT, '.tmp', 'bench-dist');
const VITE = path.join(ROOT, 'node_modules', '.bin', 'vite');

/** `vite build` of the studio and the harness page into .tmp/bench-dist (the ORT files copied first). */
export function buildApp(): void {
  for (const [cmd, args] of [
    [process.execPath, [path.join(ROOT, 'scripts/copy-ort.mjs')]],
    [VITE, ['build', '--mode', 'test', '--logLevel', 'warn', '--outDir', DIST, '--emptyOutDir']],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${path.basename(args[0]!)} failed (exit ${r.status}): the benchmark needs a working build`);
  }
}

export interface Server {
  url: string;
  stop(): void;
}

/** `vite preview` of the benchmark's build on `port`, resolved once it answers. */
export async function startPreview(port: number): Promise<Server> {
  const child: ChildProcess = spawn(VITE, ['preview', '--outDir', DIST, '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    child.kill('SIGTERM');
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}): ${stderr.trim() || 'no message'}`);
    try {
      if ((await fetch(url)).ok) return { url, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error(`vite preview did not answer on ${url} within 30 s: ${stderr.trim()}`);
}

const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic'];

function benchTmp(): void {
  const tmp = path.join(ROOT, '.tmp', 'bench-tmp');
  mkdirSync(tmp, { recursive: true });
  process.env.TMPDIR = tmp;
  process.env.PWTEST_CACHE_DIR ??= path.join(ROOT, '.tmp', 'playwright-cache');
}

/** Headless Chromium with WebGPU on (SwiftShader where there is no GPU), as the e2e tests run it. */
export async function launchChromium(): Promise<Browser> {
  benchTmp();
  return chromium.launch({ executablePath: await findChromium(), headless: true, args: CHROMIUM_ARGS });
}

/**
 * The same Chromium with a profile on disk in `userDataDir`, as a user's browser keeps IndexedDB
 * (a context of launchChromium's browser is off the record: its IndexedDB lives in memory).
 */
export async function launchPersistentChromium(userDataDir: string): Promise<BrowserContext> {
  benchTmp();
  return chromium.launchPersistentContext(userDataDir, { executablePath: await findChromium(), headless: true, args: CHROMIUM_ARGS });
}

/** A fresh page on the engine harness, ready for window.harness calls. */
export async function harnessPage(browser: Browser, server: Server): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/harness.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return page;
}

export const adapterOf = (page: Page): Promise<GpuProbe> => page.evaluate(() => window.harness.benchAdapter());

export function timeInPage(
  page: Page,
  backend: BenchBackend,
  workload: BenchWorkload,
  geometry: GeometryJson,
  opts: WorkloadOptions,
): Promise<Timing> {
  return page.evaluate(([b, w, g, o]) => window.harness.benchWorkload(b, w, g, o), [backend, workload, geometry, opts] as const);
}
