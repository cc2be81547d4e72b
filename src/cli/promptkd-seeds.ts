// `promptkd distill --seeds 1,2,3`: the same run once per seed, each in its own folder
// (`<out>/seed<N>/`, a whole run with its own report and checkpoints), then the per-seed scores of
// the last evaluation and their mean ± standard deviation, as the paper averages three seeds.
// `<out>/report.json` holds the table; the printed table is the same numbers.
import path from 'node:path';
import { writeAtomic } from './files.ts';
import type { EvaluationSummary } from './evaluation-lines.ts';
import { REPORT_FILE, runDistill, type DistillArgs } from './promptkd-distill.ts';

export interface SeedRow {
  seed: number;
  /** the seed's run folder */
  out: string;
  /** its last evaluation's scores (fractions; null without a test set) */
  scores: Record<string, number | null>;
}

export interface SeedsReport {
  command: 'distill';
  protocol: NonNullable<DistillArgs['protocol']>;
  seeds: number[];
  /** the columns: base, new, hm; or accuracy (cross-dataset) */
  metrics: string[];
  runs: SeedRow[];
  /** per column over the seeds; null where a seed has no value */
  mean: Record<string, number | null>;
  /** sample standard deviation (n − 1) per column; null for one seed */
  std: Record<string, number | null>;
  /** HM of the mean base and mean new accuracy (base2new only; the mean of the HMs is in `mean.hm`) */
  hmOfMeans?: number | null;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStd = (xs: number[]) => (xs.length < 2 ? null : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** the seeds' columns, mean and spread */
export function seedStatistics(
  protocol: SeedsReport['protocol'],
  rows: readonly SeedRow[],
): Pick<SeedsReport, 'metrics' | 'mean' | 'std' | 'hmOfMeans'> {
  const metrics = protocol === 'cross-dataset' ? ['accuracy'] : ['base', 'new', 'hm'];
  const column = (m: string) => rows.map((r) => r.scores[m] ?? null);
  const complete = (xs: (number | null)[]): xs is number[] => xs.every((x) => x !== null);
  const stat = (f: (xs: number[]) => number | null) =>
    Object.fromEntries(
      metrics.map((m) => {
        const xs = column(m);
        return [m, complete(xs) ? f(xs) : null];
      }),
    );
  const out = { metrics, mean: stat(mean), std: stat(sampleStd) };
  if (protocol === 'cross-dataset') return out;
  const [b, n] = [out.mean.base, out.mean.new];
  return {
    ...out,
    hmOfMeans: b === null || n === null || b === undefined || n === undefined ? null : b + n === 0 ? 0 : (2 * b * n) / (b + n),
  };
}

const scoresOf = (e: EvaluationSummary | null): Record<string, number | null> =>
  e === null ? {} : 'accuracy' in e ? { accuracy: e.accuracy } : { base: e.base, new: e.new, hm: e.hm };

const cell = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}%`);

/** the table as printed: one row per seed, then mean ± std (percentage points) */
export function formatSeedsTable(r: Pick<SeedsReport, 'metrics' | 'runs' | 'mean' | 'std' | 'hmOfMeans'>): string {
  const pad = (s: string, w: number) => s.padStart(w);
  const W = 16;
  const head = `${'seed'.padEnd(12)}${r.metrics.map((m) => pad(m === 'hm' ? 'HM' : m, W)).join('')}`;
  const rows = r.runs.map((row) => `${String(row.seed).padEnd(12)}${r.metrics.map((m) => pad(cell(row.scores[m]), W)).join('')}`);
  const spread = (m: string) => {
    const mu = r.mean[m],
      sd = r.std[m];
    if (mu === null || mu === undefined) return 'n/a';
    return sd === null || sd === undefined ? cell(mu) : `${(100 * mu).toFixed(2)} ± ${(100 * sd).toFixed(2)}%`;
  };
  const lines = [head, ...rows, `${'mean ± std'.padEnd(12)}${r.metrics.map((m) => pad(spread(m), W)).join('')}`];
  if (r.hmOfMeans !== undefined) lines.push(`HM of the mean base and mean new: ${cell(r.hmOfMeans)}`);
  return lines.join('\n');
}

/** runs `a` once per seed; writes and returns the seeds' report */
export async function runSeeds(a: DistillArgs, seeds: readonly number[], log: (line: string) => void): Promise<SeedsReport> {
  const protocol = a.protocol ?? 'base2new';
  const runs: SeedRow[] = [];
  for (const [i, seed] of seeds.entries()) {
    const out = path.join(a.out, `seed${seed}`);
    log(`seed ${seed} (${i + 1} of ${seeds.length}): run folder ${out}`);
    const report = await runDistill({ ...a, out, settings: { ...a.settings, seed }, given: new Set([...a.given, 'seed']) }, log);
    runs.push({ seed, out: path.resolve(out), scores: scoresOf((report.final as { evaluation: EvaluationSummary | null }).evaluation) });
  }
  const result: SeedsReport = { command: 'distill', protocol, seeds: [...seeds], runs, ...seedStatistics(protocol, runs) };
  writeAtomic(path.join(a.out, REPORT_FILE), `${JSON.stringify(result, null, 1)}\n`);
  return result;
}
