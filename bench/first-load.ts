// The studio's first load, as a fresh browser profile sees it: which JS, wasm and CSS files the page
// (and its workers) fetch until the network goes quiet, and their sizes raw and gzip-compressed (what
// a static host with compression sends; `vite preview` itself sends them raw). Then, when the studio
// offers its demo (data-testid `demo-start`), the time from navigation to the first train step it
// reports (data-testid `metric-step` ≥ 1).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from '@playwright/test';
import type { Server } from './browser.ts';

export type AssetKind = 'js' | 'wasm' | 'css';
export interface AssetSize { kind: AssetKind; path: string; raw: number; gzip: number }

export interface FirstLoad {
  assets: AssetSize[];
  byKind: Record<AssetKind, { files: number; raw: number; gzip: number }>;
  total: { raw: number; gzip: number };
  /** null with a reason when the studio has no demo start yet, or the demo did not step in time */
  demo: { toFirstStepMs: number; fromClickMs: number } | { unavailable: string };
}

const kindOf = (p: string): AssetKind | null =>
  /\.m?js$/.test(p) ? 'js' : p.endsWith('.wasm') ? 'wasm' : p.endsWith('.css') ? 'css' : null;

/** quiet: no request started or finished for this long */
async function settle(pending: () => number, lastActivity: () => number, quietMs: number, maxMs: number): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < maxMs) {
    if (pending() === 0 && Date.now() - lastActivity() >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function measureFirstLoad(browser: Browser, server: Server, distDir: string, demoTimeoutMs: number): Promise<FirstLoad> {
  const context = await browser.newContext(); // fresh profile: empty HTTP cache
  const page = await context.newPage();
  const seen = new Set<string>();
  let pending = 0, last = Date.now();
  context.on('request', (r) => {
    pending++; last = Date.now();
    const url = new URL(r.url());
    if (url.origin === server.url) seen.add(decodeURIComponent(url.pathname));
  });
  const done = () => { pending = Math.max(0, pending - 1); last = Date.now(); };
  context.on('requestfinished', done);
  context.on('requestfailed', done);
  try {
    const t0 = Date.now();
    await page.goto(server.url);
    await settle(() => pending, () => last, 2000, 60_000);

    const assets: AssetSize[] = [];
    for (const p of [...seen].sort()) {
      const kind = kindOf(p);
      const file = path.join(distDir, p);
      if (!kind || !file.startsWith(distDir)) continue;
      try { statSync(file); } catch { continue; } // served by vite itself, not part of the build
      assets.push({ kind, path: p, raw: statSync(file).size, gzip: gzipSync(readFileSync(file), { level: 9 }).length });
    }
    const byKind = { js: { files: 0, raw: 0, gzip: 0 }, wasm: { files: 0, raw: 0, gzip: 0 }, css: { files: 0, raw: 0, gzip: 0 } };
    for (const a of assets) { const k = byKind[a.kind]; k.files++; k.raw += a.raw; k.gzip += a.gzip; }
    const total = { raw: assets.reduce((s, a) => s + a.raw, 0), gzip: assets.reduce((s, a) => s + a.gzip, 0) };

    let demo: FirstLoad['demo'];
    const start = page.getByTestId('demo-start');
    if ((await start.count()) === 0) {
      demo = { unavailable: 'not available yet (the studio has no data-testid="demo-start")' };
    } else {
      const clicked = Date.now();
      await start.first().click({ timeout: demoTimeoutMs });
      try {
        await page.waitForFunction(() => {
          const el = document.querySelector('[data-testid="metric-step"]');
          const first = /\d+/.exec(el?.textContent ?? ''); // "12" or "step 12 / 744": the step is the first number
          return first !== null && Number(first[0]) >= 1;
        }, undefined, { timeout: demoTimeoutMs, polling: 100 });
        const now = Date.now();
        demo = { toFirstStepMs: now - t0, fromClickMs: now - clicked };
      } catch {
        demo = { unavailable: `the demo started but metric-step showed no step within ${Math.round(demoTimeoutMs / 1000)} s` };
      }
    }
    return { assets, byKind, total, demo };
  } finally {
    await context.close();
  }
}
