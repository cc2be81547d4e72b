// A long WASM run of the demo as a user starts it in the studio (headless Chromium with a fresh
// profile on disk, so IndexedDB is stored as a user's is): 22 epochs, some 2,000 steps at the demo
// geometry, a checkpoint every 100 steps, the last 3 kept plus the best (storage/retention.ts).
// After each checkpoint the row records:
// - the resident memory of the page's renderer processes (Linux /proc VmRSS: the engine worker's
//   WebAssembly memory and JS heaps live there; no GPU in this row), and apart, the JS heaps of the
//   page and of the engine worker after a full GC in each (bench/heap-probe.ts): what each still holds;
// - IndexedDB's bytes as the browser counts them (navigator.storage.estimate().usageDetails.indexedDB,
//   which moves with LevelDB's compactions), and exactly, from the studio's database in the page:
//   how many checkpoints are stored with their bytes, and the size of the run record.
// Growth per checkpoint is the least-squares slope over the steady state: from the first checkpoint
// written after pruning began (the KEEP + 2nd) to the last.
import fs from 'node:fs';
import { launchPersistentChromium, type Server } from './browser.ts';
import { heapProbe } from './heap-probe.ts';
import { kb, mb, type LongRunResult, type LongRunSample, type SampledBytes } from './long-run-report.ts';
import type { HeapBytes } from './report.ts';

export const LONG_RUN = { epochs: 22, ckptEvery: 100, evalEvery: 200, keep: 3 } as const;

const SAMPLED: SampledBytes[] = [
  'indexedDbBytes',
  'rendererRssBytes',
  'pageHeapBytes',
  'workerHeapBytes',
  'checkpointBytes',
  'runRecordBytes',
];

/** the least-squares slope of `k` against the sample index; null with fewer than 2 values */
function slope(samples: LongRunSample[], k: SampledBytes): number | null {
  const pts = samples.flatMap((s, i) => (s[k] === null ? [] : [[i, s[k]!] as const]));
  if (pts.length < 2) return null;
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length,
    my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
  const sxy = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0),
    sxx = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

declare global {
  interface Window {
    benchCheckpoints?: number[];
  }
}

/** the resident memory (bytes) of the renderer processes of the Chromium whose profile is `userDataDir` */
function rendererRss(userDataDir: string): number | null {
  if (process.platform !== 'linux') return null;
  const procs = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
        return { pid: Number(pid), ppid, cmd };
      } catch {
        return null;
      } // gone meanwhile
    })
    .filter((p) => p !== null);
  // a process forked from Chromium's zygote rewrites its command line into one space-joined argument
  const has = (p: { cmd: string[] }, arg: string) => p.cmd.some((a) => a === arg || a.split(' ').includes(arg));
  const browsers = new Set(
    procs.filter((p) => !p.cmd.some((a) => a.includes('--type=')) && has(p, `--user-data-dir=${userDataDir}`)).map((p) => p.pid),
  );
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const under = (pid: number): boolean => {
    for (let p = byPid.get(pid); p; p = byPid.get(p.ppid)) if (browsers.has(p.ppid)) return true;
    return false;
  };
  let total = 0;
  for (const p of procs) {
    if (!has(p, '--type=renderer') || !under(p.pid)) continue;
    try {
      total += 1024 * Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))![1]);
    } catch {
      /* gone */
    }
  }
  return total;
}

/** the run in a new profile at `userDataDir` (emptied first), up to `limitMs` */
export async function measureLongRun(
  server: Server,
  userDataDir: string,
  limitMs: number,
  log: (line: string) => void,
): Promise<LongRunResult> {
  fs.rmSync(userDataDir, { recursive: true, force: true });
  const context = await launchPersistentChromium(userDataDir);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const heaps = await heapProbe(await context.newCDPSession(page));
    // the checkpoint events the engine worker sends to the page, as they arrive
    await page.addInitScript(() => {
      window.benchCheckpoints = [];
      const Native = window.Worker;
      window.Worker = class extends Native {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          this.addEventListener('message', (e: MessageEvent) => {
            if (e.data?.kind === 'checkpoint') window.benchCheckpoints!.push(e.data.step);
          });
        }
      };
    });
    const { epochs, ckptEvery, evalEvery, keep } = LONG_RUN;
    const settings = `backend=wasm&epochs=${epochs}&ckptEvery=${ckptEvery}&evalEvery=${evalEvery}&keepCkpt=${keep}`;
    await page.goto(`${server.url}/#${settings}`);
    await page.getByTestId('demo-start').waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="demo-start"]') as HTMLButtonElement).disabled, null, {
      timeout: 60_000,
    });
    const t0 = Date.now();
    await page.getByTestId('demo-start').click();
    const samples: LongRunSample[] = [];
    let seen = 0;
    const deadline = t0 + limitMs;
    for (;;) {
      const status = await page
        .getByTestId('run-status')
        .getAttribute('data-status')
        .catch(() => null);
      const steps = await page.evaluate(() => window.benchCheckpoints!.slice());
      for (; seen < steps.length; seen++) {
        const { idb, stored, checkpointBytes, runRecordBytes } = await page.evaluate(async () => {
          const est = (await navigator.storage.estimate()) as StorageEstimate & { usageDetails?: { indexedDB?: number } };
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const open = indexedDB.open('promptkd-studio');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => resolve(open.result);
          });
          // (no named functions in here: the bundler would wrap them in a helper the page lacks)
          const [ckpts, runs] = (await Promise.all(
            (
              [
                ['ckpt', undefined],
                ['meta', IDBKeyRange.bound('run:', 'run:\uffff')],
              ] as const
            ).map(
              ([store, range]) =>
                new Promise<unknown[]>((resolve, reject) => {
                  const r = db.transaction(store).objectStore(store).getAll(range);
                  r.onsuccess = () => resolve(r.result);
                  r.onerror = () => reject(r.error);
                }),
            ),
          )) as [{ bytes: Uint8Array; teacherPrompts?: Uint8Array }[], unknown[]];
          db.close();
          return {
            idb: est.usageDetails?.indexedDB ?? null,
            stored: ckpts.length,
            checkpointBytes: ckpts.reduce((n, c) => n + c.bytes.byteLength + (c.teacherPrompts?.byteLength ?? 0), 0),
            runRecordBytes: runs.reduce((n: number, r) => n + JSON.stringify(r).length, 0),
          };
        });
        const heap = await heaps({ collectGarbage: true });
        const total = (h: HeapBytes | null) => (h ? h.usedBytes + h.backingBytes : null);
        samples.push({
          step: steps[seen]!,
          seconds: (Date.now() - t0) / 1000,
          rendererRssBytes: rendererRss(userDataDir),
          pageHeapBytes: total(heap.page),
          workerHeapBytes: total(heap.worker),
          indexedDbBytes: idb,
          checkpointsStored: stored,
          checkpointBytes,
          runRecordBytes,
        });
        const s = samples.at(-1)!;
        log(
          `  step ${s.step}: ${s.checkpointsStored} checkpoints stored (${kb(s.checkpointBytes)}), run record ${kb(s.runRecordBytes)}, IndexedDB ${mb(s.indexedDbBytes)}, renderers ${mb(s.rendererRssBytes)}, JS heaps: page ${mb(s.pageHeapBytes)}, worker ${mb(s.workerHeapBytes)} (${s.seconds.toFixed(0)} s)`,
        );
      }
      if (status === 'done' || status === 'failed') break;
      if (Date.now() > deadline)
        return { unavailable: `stopped at its limit (${Math.round(limitMs / 1000)} s) after ${samples.at(-1)?.step ?? 0} steps` };
      await new Promise((r) => setTimeout(r, 500));
    }
    const status = await page.getByTestId('run-status').getAttribute('data-status');
    if (status !== 'done') return { unavailable: `the run ended ${status}: ${await page.getByTestId('run-status').textContent()}` };
    // pruning begins at the (keep + 2)th checkpoint: from there on, each one written retires one
    const steady = samples.slice(keep + 1);
    return {
      settings,
      steps: samples.at(-1)!.step,
      seconds: (Date.now() - t0) / 1000,
      samples,
      steady:
        steady.length >= 2
          ? {
              from: steady[0]!.step,
              to: steady.at(-1)!.step,
              perCheckpoint: Object.fromEntries(SAMPLED.map((k) => [k, slope(steady, k)])) as Record<SampledBytes, number | null>,
            }
          : null,
    };
  } finally {
    await context.close();
  }
}
