// The studio's first load, as a fresh browser profile sees it: which JS, wasm and CSS files the page
// (and its workers) fetch until the network goes quiet, and their sizes raw and gzip-compressed (what
// a static host with compression sends; `vite preview` itself sends them raw). And, when the studio
// offers its demo (data-testid `demo-start`), the time from navigation to the first train step it
// reports (data-testid `metric-step` ≥ 1), in another fresh profile, on the backend the studio picks.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from '@playwright/test';
import type { Server } from './browser.ts';
import type { AssetKind, AssetSize, DemoFirstStep, FirstLoad } from './report.ts';

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

export async function measureFirstLoad(browser: Browser, server: Server, distDir: string): Promise<FirstLoad> {
  const context = await browser.newContext(); // fresh profile: empty HTTP cache
  const page = await context.newPage();
  const seen = new Set<string>();
  let pending = 0,
    last = Date.now();
  context.on('request', (r) => {
    pending++;
    last = Date.now();
    const url = new URL(r.url());
    if (url.origin === server.url) seen.add(decodeURIComponent(url.pathname));
  });
  const done = () => {
    pending = Math.max(0, pending - 1);
    last = Date.now();
  };
  context.on('requestfinished', done);
  context.on('requestfailed', done);
  try {
    await page.goto(server.url);
    await settle(
      () => pending,
      () => last,
      2000,
      60_000,
    );

    const assets: AssetSize[] = [];
    for (const p of [...seen].sort()) {
      const kind = kindOf(p);
      const file = path.join(distDir, p);
      if (!kind || !file.startsWith(distDir)) continue;
      try {
        statSync(file);
      } catch {
        continue;
      } // served by vite itself, not part of the build
      assets.push({ kind, path: p, raw: statSync(file).size, gzip: gzipSync(readFileSync(file), { level: 9 }).length });
    }
    const byKind = { js: { files: 0, raw: 0, gzip: 0 }, wasm: { files: 0, raw: 0, gzip: 0 }, css: { files: 0, raw: 0, gzip: 0 } };
    for (const a of assets) {
      const k = byKind[a.kind];
      k.files++;
      k.raw += a.raw;
      k.gzip += a.gzip;
    }
    const total = { raw: assets.reduce((s, a) => s + a.raw, 0), gzip: assets.reduce((s, a) => s + a.gzip, 0) };

    return { assets, byKind, total };
  } finally {
    await context.close();
  }
}

/** `hash`: studio settings in the URL hash (e.g. 'backend=wasm'); '' for the studio's defaults */
export async function measureDemoFirstStep(browser: Browser, server: Server, hash: string, timeoutMs: number): Promise<DemoFirstStep> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const t0 = Date.now();
    await page.goto(hash ? `${server.url}/#${hash}` : server.url);
    const start = page.getByTestId('demo-start');
    try {
      await start.waitFor({ timeout: 30_000 });
    } catch {
      return { unavailable: 'not available yet (the studio shows no data-testid="demo-start")' };
    }
    const left = () => Math.max(1, timeoutMs - (Date.now() - t0));
    await start.click({ timeout: left() }); // waits until the studio enables it
    const clicked = Date.now();
    try {
      await page.waitForFunction(
        () => {
          const first = /\d+/.exec(document.querySelector('[data-testid="metric-step"]')?.textContent ?? '');
          return first !== null && Number(first[0]) >= 1;
        },
        undefined,
        { timeout: left(), polling: 250 },
      );
    } catch {
      return { unavailable: `no train step within ${Math.round(timeoutMs / 1000)} s of navigation (metric-step stayed at 0)` };
    }
    const now = Date.now();
    return { toFirstStepMs: now - t0, fromClickMs: now - clicked };
  } finally {
    await context.close();
  }
}
