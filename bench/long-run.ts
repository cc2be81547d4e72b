// A long WASM run of the demo as a user starts it in the studio (headless Chromium with a fresh
// profile on disk, so IndexedDB is stored as a user's is):
// some 2,000 steps at the demo geometry, a checkpoint every CKPT_EVERY steps, the last KEEP kept plus
// the best (storage/retention.ts). After each checkpoint the row records:
// - the memory of the page's renderer processes (Linux /proc VmRSS of Chromium's renderers: the
//   engine worker's WebAssembly memory and JS heaps live there; no GPU in this row);
// - IndexedDB's bytes as the browser counts them (navigator.storage.estimate().usageDetails.indexedDB);
// - how many checkpoints the store holds (read from the studio's database in the page).
// Growth per checkpoint is taken over the steady state: from the first checkpoint after pruning
// began (KEEP + 2 checkpoints written) to the last.
import fs from 'node:fs';
import { launchPersistentChromium, type Server } from './browser.ts';

export const LONG_RUN = { epochs: 22, ckptEvery: 100, evalEvery: 200, keep: 3 } as const;

export interface LongRunSample {
  step: number;
  seconds: number;
  rendererRssBytes: number | null;
  indexedDbBytes: number | null;
  checkpointsStored: number;
}

export interface LongRun {
  settings: string;
  steps: number;
  seconds: number;
  samples: LongRunSample[];
  /** over the steady state (pruning at KEEP): per checkpoint written */
  steady: { from: number; to: number; indexedDbBytesPerCheckpoint: number | null; rendererRssBytesPerCheckpoint: number | null } | null;
}

export type LongRunResult = LongRun | { unavailable: string };

declare global {
  interface Window { benchCheckpoints?: number[] }
}

/** the resident memory (bytes) of the renderer processes of the Chromium whose profile is `userDataDir` */
function rendererRss(userDataDir: string): number | null {
  if (process.platform !== 'linux') return null;
  const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      return { pid: Number(pid), ppid, cmd };
    } catch { return null; } // gone meanwhile
  }).filter((p) => p !== null);
  const browsers = new Set(procs.filter((p) => !p.cmd.some((a) => a.startsWith('--type=')) && p.cmd.includes(`--user-data-dir=${userDataDir}`)).map((p) => p.pid));
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const under = (pid: number): boolean => {
    for (let p = byPid.get(pid); p; p = byPid.get(p.ppid)) if (browsers.has(p.ppid)) return true;
    return false;
  };
  let total = 0;
  for (const p of procs) {
    if (!p.cmd.includes('--type=renderer') || !under(p.pid)) continue;
    try {
      total += 1024 * Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))![1]);
    } catch { /* gone */ }
  }
  return total;
}

/** the run in a new profile at `userDataDir` (emptied first), up to `limitMs` */
export async function measureLongRun(server: Server, userDataDir: string, limitMs: number, log: (line: string) => void): Promise<LongRunResult> {
  fs.rmSync(userDataDir, { recursive: true, force: true });
  const context = await launchPersistentChromium(userDataDir);
  try {
    const page = context.pages()[0] ?? await context.newPage();
    // the checkpoint events the engine worker sends to the page, as they arrive
    await page.addInitScript(() => {
      window.benchCheckpoints = [];
      const Native = window.Worker;
      window.Worker = class extends Native {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          this.addEventListener('message', (e: MessageEvent) => { if (e.data?.kind === 'checkpoint') window.benchCheckpoints!.push(e.data.step); });
        }
      };
    });
    const { epochs, ckptEvery, evalEvery, keep } = LONG_RUN;
    const settings = `backend=wasm&epochs=${epochs}&ckptEvery=${ckptEvery}&evalEvery=${evalEvery}&keepCkpt=${keep}`;
    await page.goto(`${server.url}/#${settings}`);
    await page.getByTestId('demo-start').waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="demo-start"]') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
    const t0 = Date.now();
    await page.getByTestId('demo-start').click();
    const samples: LongRunSample[] = [];
    let seen = 0;
    const deadline = t0 + limitMs;
    for (;;) {
      const status = await page.getByTestId('run-status').getAttribute('data-status').catch(() => null);
      const steps = await page.evaluate(() => window.benchCheckpoints!.slice());
      for (; seen < steps.length; seen++) {
        const [idb, stored] = await page.evaluate(async () => {
          const est = await navigator.storage.estimate() as StorageEstimate & { usageDetails?: { indexedDB?: number } };
          const stored = await new Promise<number>((resolve, reject) => {
            const open = indexedDB.open('promptkd-studio');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const count = open.result.transaction('ckpt').objectStore('ckpt').count();
              count.onsuccess = () => { resolve(count.result); open.result.close(); };
              count.onerror = () => reject(count.error);
            };
          });
          return [est.usageDetails?.indexedDB ?? null, stored] as const;
        });
        samples.push({ step: steps[seen]!, seconds: (Date.now() - t0) / 1000, rendererRssBytes: rendererRss(userDataDir), indexedDbBytes: idb, checkpointsStored: stored });
        const s = samples.at(-1)!;
        log(`  step ${s.step}: ${s.checkpointsStored} checkpoints stored, IndexedDB ${mb(s.indexedDbBytes)}, renderers ${mb(s.rendererRssBytes)} (${s.seconds.toFixed(0)} s)`);
      }
      if (status === 'done' || status === 'failed') break;
      if (Date.now() > deadline) return { unavailable: `stopped at its limit (${Math.round(limitMs / 1000)} s) after ${samples.at(-1)?.step ?? 0} steps` };
      await new Promise((r) => setTimeout(r, 500));
    }
    const status = await page.getByTestId('run-status').getAttribute('data-status');
    if (status !== 'done') return { unavailable: `the run ended ${status}: ${await page.getByTestId('run-status').textContent()}` };
    const steadyFrom = samples[keep + 1];
    const last = samples.at(-1)!;
    const per = (k: 'indexedDbBytes' | 'rendererRssBytes') =>
      steadyFrom && steadyFrom[k] !== null && last[k] !== null && last !== steadyFrom ? (last[k]! - steadyFrom[k]!) / (samples.length - 1 - (keep + 1)) : null;
    return {
      settings, steps: last.step, seconds: (Date.now() - t0) / 1000, samples,
      steady: steadyFrom ? { from: steadyFrom.step, to: last.step, indexedDbBytesPerCheckpoint: per('indexedDbBytes'), rendererRssBytesPerCheckpoint: per('rendererRssBytes') } : null,
    };
  } finally {
    await context.close();
  }
}

const mb = (b: number | null) => (b === null ? '—' : `${(b / 1e6).toFixed(1)} MB`);

/** the printed lines of the row */
export function formatLongRun(r: LongRunResult): string[] {
  if ('unavailable' in r) return ['', `Long WASM run: ${r.unavailable}`];
  const first = r.samples[0]!, last = r.samples.at(-1)!;
  const s = r.steady;
  return [
    '',
    `Long WASM run (#${r.settings}): ${r.steps} steps in ${r.seconds.toFixed(0)} s, ${r.samples.length} checkpoints written, ${last.checkpointsStored} stored at the end`,
    `  IndexedDB ${mb(first.indexedDbBytes)} after the first checkpoint, ${mb(last.indexedDbBytes)} after the last; renderers ${mb(first.rendererRssBytes)} → ${mb(last.rendererRssBytes)}`,
    s ? `  steady state (steps ${s.from}–${s.to}): IndexedDB ${signedKb(s.indexedDbBytesPerCheckpoint)} per checkpoint, renderer memory ${signedKb(s.rendererRssBytesPerCheckpoint)} per checkpoint` : '  (too few checkpoints for a steady state)',
  ];
}

const signedKb = (b: number | null) => (b === null ? '—' : `${b >= 0 ? '+' : ''}${(b / 1e3).toFixed(1)} kB`);
