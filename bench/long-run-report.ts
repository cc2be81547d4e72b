// The long WASM run's results and their printed lines (bench/long-run.ts measures them). Apart from
// long-run.ts, so that the report, which the GPU pack bundles, does not pull in Playwright.

export interface LongRunSample {
  step: number;
  seconds: number;
  rendererRssBytes: number | null;
  /** the page's JS heap after a full GC: V8 heap in use plus ArrayBuffer backing stores (bench/heap-probe.ts) */
  pageHeapBytes: number | null;
  /** the engine worker's, likewise (its WebAssembly memory is not in it) */
  workerHeapBytes: number | null;
  indexedDbBytes: number | null;
  checkpointsStored: number;
  /** the stored checkpoints' safetensors bytes (and teacher prompts), exactly */
  checkpointBytes: number;
  /** the run record as JSON (its loss history grows by a point per step) */
  runRecordBytes: number;
}

export interface LongRun {
  settings: string;
  steps: number;
  seconds: number;
  samples: LongRunSample[];
  /** over the steady state (pruning at KEEP): least-squares slope per checkpoint written */
  steady: { from: number; to: number; perCheckpoint: Record<SampledBytes, number | null> } | null;
}

export type LongRunResult = LongRun | { unavailable: string };

export type SampledBytes =
  | 'indexedDbBytes'
  | 'rendererRssBytes'
  | 'pageHeapBytes'
  | 'workerHeapBytes'
  | 'checkpointBytes'
  | 'runRecordBytes';

export const mb = (b: number | null) => (b === null ? '—' : `${(b / 1e6).toFixed(1)} MB`);

export const kb = (b: number) => `${(b / 1e3).toFixed(1)} kB`;

/** the printed lines of the row */
export function formatLongRun(r: LongRunResult): string[] {
  if ('unavailable' in r) return ['', `Long WASM run: ${r.unavailable}`];
  const first = r.samples[0]!,
    last = r.samples.at(-1)!;
  const s = r.steady;
  const per = (b: number | null) => (b === null ? '—' : `${b >= 0 ? '+' : ''}${(b / 1e3).toFixed(1)} kB`);
  return [
    '',
    `Long WASM run (#${r.settings}): ${r.steps} steps in ${r.seconds.toFixed(0)} s, ${r.samples.length} checkpoints written, ${last.checkpointsStored} stored at the end`,
    ...[first, r.samples[Math.floor(r.samples.length / 2)]!, last].map(
      (x) =>
        `  after the checkpoint at step ${x.step}: ${x.checkpointsStored} checkpoints stored (${kb(x.checkpointBytes)}), run record ${kb(x.runRecordBytes)}, IndexedDB ${mb(x.indexedDbBytes)} (estimate), renderers ${mb(x.rendererRssBytes)} resident, JS heaps: page ${mb(x.pageHeapBytes)}, worker ${mb(x.workerHeapBytes)}`,
    ),
    s
      ? `  per checkpoint over the steady state (steps ${s.from}–${s.to}, least squares): checkpoints ${per(s.perCheckpoint.checkpointBytes)}, run record ${per(s.perCheckpoint.runRecordBytes)}, IndexedDB ${per(s.perCheckpoint.indexedDbBytes)}, renderers RSS ${per(s.perCheckpoint.rendererRssBytes)}, page heap ${per(s.perCheckpoint.pageHeapBytes)}, worker heap ${per(s.perCheckpoint.workerHeapBytes)}`
      : '  (too few checkpoints for a steady state)',
  ];
}
