// A folder of 10,000 JPEGs imported into the studio as a user does it: a fresh browser profile on
// disk (IndexedDB on disk as in a user's browser; an off-the-record context keeps it in memory), the
// folder given to the folder input (Playwright's setInputFiles with a directory: the files stay on
// disk and the browser reads them), timed from the pick until the import report shows. Measured
// along the way:
// - the JS heap of the page and of the engine worker, sampled every SAMPLE_MS through the DevTools
//   protocol (Runtime.getHeapUsage; the worker's through its auto-attached target session): the V8
//   heap and the ArrayBuffer backing stores (where decoded pixels live), the largest sample of each;
// - IndexedDB's share of navigator.storage.estimate() before and after, per imported image;
// - the page's long tasks (PerformanceObserver 'longtask', installed once the studio is ready and
//   before the folder is picked): how many main-thread tasks took over 50 ms and the longest.
import { rmSync } from 'node:fs';
import type { CDPSession, Page } from '@playwright/test';
import { launchPersistentChromium, type Server } from './browser.ts';
import type { ScaleFolder } from './import-scale-images.ts';
import { heapProbe } from './heap-probe.ts';
import type { HeapBytes, ImportScaleResult } from './report.ts';

const SAMPLE_MS = 250;
const PROGRESS_LOG_MS = 60_000;

declare global {
  interface Window {
    benchLongTasks?: number[];
  }
}

/** the largest page and worker heaps seen by the samples taken */
async function heapPeaks(cdp: CDPSession) {
  const read = await heapProbe(cdp);
  const page: HeapBytes = { usedBytes: 0, backingBytes: 0 };
  let worker: HeapBytes | null = null;
  let samples = 0;
  const sample = async () => {
    const now = await read();
    page.usedBytes = Math.max(page.usedBytes, now.page.usedBytes);
    page.backingBytes = Math.max(page.backingBytes, now.page.backingBytes);
    if (now.worker)
      worker = {
        usedBytes: Math.max(worker?.usedBytes ?? 0, now.worker.usedBytes),
        backingBytes: Math.max(worker?.backingBytes ?? 0, now.worker.backingBytes),
      };
    samples++;
  };
  return { sample, peaks: () => ({ page, worker, samples }) };
}

const indexedDbBytes = (page: Page) =>
  page.evaluate(async () => {
    const e = (await navigator.storage.estimate()) as StorageEstimate & { usageDetails?: { indexedDB?: number } };
    return e.usageDetails?.indexedDB ?? 0;
  });

export async function measureImportScale(
  server: Server,
  folder: ScaleFolder,
  profileDir: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<ImportScaleResult> {
  rmSync(profileDir, { recursive: true, force: true }); // a fresh profile: an empty store
  const context = await launchPersistentChromium(profileDir);
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    const cdp = await context.newCDPSession(page);
    const heap = await heapPeaks(cdp);
    await page.goto(`${server.url}/#backend=wasm`); // the import does not use the GPU
    const start = page.getByTestId('demo-start');
    await start.waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="demo-start"]') as HTMLButtonElement).disabled, undefined, {
      timeout: 60_000,
    });
    const before = await indexedDbBytes(page);
    await page.evaluate(() => {
      window.benchLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.benchLongTasks!.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    await heap.sample();

    const t0 = performance.now();
    let sampling = true;
    const bar = page.getByTestId('task-import').getByRole('progressbar');
    const imagesDone = () => bar.getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => null);
    const sampler = (async () => {
      let logged = performance.now();
      while (sampling) {
        await heap.sample().catch(() => undefined);
        if (performance.now() - logged > PROGRESS_LOG_MS) {
          logged = performance.now();
          log(`${(await imagesDone()) ?? '?'} of ${folder.count} images after ${((logged - t0) / 1000).toFixed(0)} s`);
        }
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
      }
    })();
    const report = page.getByTestId('import-report');
    let seconds: number;
    try {
      await page.getByTestId('folder-input').setInputFiles(folder.dir);
      await report.waitFor({ timeout: Math.max(1000, timeoutMs - (performance.now() - t0)) });
      seconds = (performance.now() - t0) / 1000;
    } catch {
      const done = await imagesDone();
      return {
        unavailable: `the import did not finish within ${Math.round(timeoutMs / 1000)} s (${done ?? 'no'} of ${folder.count} images done by then)`,
      };
    } finally {
      sampling = false;
      await sampler;
    }
    await heap.sample();
    const imported = Number(await report.getAttribute('data-imported'));
    const skipped = Number(await report.getAttribute('data-skipped'));
    const after = await indexedDbBytes(page);
    const tasks = await page.evaluate(() => window.benchLongTasks ?? []);
    log(`imported ${imported} images in ${seconds.toFixed(1)} s; ${tasks.length} long tasks`);
    return {
      files: folder.count,
      fileBytes: folder.bytes,
      classes: folder.classes.length,
      role: 'unlabeled',
      imported,
      skipped,
      seconds,
      imagesPerSec: imported / seconds,
      heap: heap.peaks(),
      indexedDb: { beforeBytes: before, afterBytes: after, bytesPerImage: imported > 0 ? (after - before) / imported : 0 },
      longTasks: {
        count: tasks.length,
        over200ms: tasks.filter((d) => d > 200).length,
        longestMs: Math.max(0, ...tasks),
        blockedMs: tasks.reduce((s, d) => s + (d - 50), 0),
      },
      generatedS: folder.generatedS,
    };
  } finally {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true }); // gigabytes of IndexedDB
  }
}
