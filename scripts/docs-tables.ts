// The tables in the docs that are made from the code, not typed: the settings (docs/settings.md,
// from the settings tables) and the README's performance headline (from the newest benchmark run
// kept in docs/benchmarks/). `npm run docs` writes them; scripts/docs-tables.test.ts checks that the
// files hold what this renders.
//
//   npm run docs                 rewrite the generated sections
//   npm run bench:publish        keep bench/results.json as docs/benchmarks/<date>-bench.json, then the same
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPORT_SETTINGS, DEFAULT_IMPORT_SETTINGS } from '../src/engine/data/import-settings.ts';
import { DEMO_SETTINGS, PAPER_SETTINGS, RUN_SETTINGS } from '../src/engine/promptkd/run-settings.ts';
import { DEMO_TEACHER_SETTINGS, PROMPTSRC_SETTINGS, TEACHER_SETTINGS } from '../src/engine/promptkd/teacher-settings.ts';
import { DEFAULT_STUDIO_OPTIONS, STUDIO_OPTIONS } from '../src/engine/settings/studio-options.ts';
import { formatValue, type SettingSpec, type SettingValue } from '../src/engine/settings/table.ts';
import type { BenchResults } from '../bench/report.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
export const BENCHMARKS_DIR = path.join(ROOT, 'docs/benchmarks');

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const code = (s: string | null) => (s === null ? '—' : `\`${s}\``);

function settingsTable<S>(specs: readonly SettingSpec[], defaults: [string, S][]): string {
  const head = ['setting', 'code', 'address', 'CLI flag', ...defaults.map(([name]) => name), 'what it does'];
  const body = specs.map((s) =>
    row([
      s.label,
      code(s.key),
      code(s.hash),
      s.flag === null ? '—' : code(`--${s.flag}`),
      ...defaults.map(([, d]) => code(formatValue((d as Record<string, SettingValue>)[s.key] ?? null))),
      s.help.replace(/\|/g, '\\|'),
    ]),
  );
  return [row(head), row(head.map(() => '---')), ...body].join('\n');
}

/** docs/settings.md's generated sections, by marker name */
export function settingsSections(): Record<string, string> {
  return {
    'run-settings': settingsTable(RUN_SETTINGS, [
      ['paper', PAPER_SETTINGS],
      ['demo', DEMO_SETTINGS],
    ]),
    'teacher-settings': settingsTable(TEACHER_SETTINGS, [
      ['PromptSRC', PROMPTSRC_SETTINGS],
      ['demo teacher', DEMO_TEACHER_SETTINGS],
    ]),
    'studio-options': settingsTable(STUDIO_OPTIONS, [['default', DEFAULT_STUDIO_OPTIONS]]),
    'import-settings': settingsTable(IMPORT_SETTINGS, [['default', DEFAULT_IMPORT_SETTINGS]]),
  };
}

/** the newest benchmark run kept in docs/benchmarks/ (file names start with the date) */
export function newestBenchmark(): { file: string; results: BenchResults } | null {
  const files = fs
    .readdirSync(BENCHMARKS_DIR)
    .filter((f) => f.endsWith('-bench.json'))
    .sort();
  const file = files.at(-1);
  return file ? { file, results: JSON.parse(fs.readFileSync(path.join(BENCHMARKS_DIR, file), 'utf8')) as BenchResults } : null;
}

const ms = (x: number) => (x < 1000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(2)} s`);

/** the README's performance headline: the throughput rows of the newest run */
export function performanceSection(): string {
  const newest = newestBenchmark();
  if (!newest) return '*(no benchmark run is kept in docs/benchmarks/ yet: `npm run bench`, then `npm run bench:publish`)*';
  const { file, results: r } = newest;
  const head = ['workload, batch 8', 'geometry', 'backend', 'steady', 'images/s'];
  const measured = r.throughput.filter((t) => t.timing);
  const body = measured.map((t) =>
    row([t.workload, t.geometry, t.backend, ms(t.timing!.medianMs), t.timing!.imagesPerSec.toFixed(t.timing!.imagesPerSec < 10 ? 2 : 0)]),
  );
  const unmeasured = r.throughput.length - measured.length;
  const load = r.machine.loadAverage
    ? `, load average ${r.machine.loadAverage.start.toFixed(1)}–${(r.machine.loadAverage.end ?? r.machine.loadAverage.start).toFixed(1)}`
    : '';
  const machine = `${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}${r.machine.chromium ? `, Chromium ${r.machine.chromium}` : ''}${load}`;
  return [
    `${r.date.slice(0, 10)}, ${machine} ([benchmarks/${file}](docs/benchmarks/${file})):`,
    '',
    row(head),
    row(head.map(() => '---')),
    ...body,
    ...(unmeasured
      ? ['', `${unmeasured} more rows have no number on this machine (no GPU adapter, no shader-f16); the JSON says why.`]
      : []),
  ].join('\n');
}

/** `text` with the section between `<!-- name -->` and `<!-- /name -->` replaced by `body` */
export function withSection(text: string, name: string, body: string): string {
  const open = `<!-- ${name} -->`,
    close = `<!-- /${name} -->`;
  const a = text.indexOf(open),
    b = text.indexOf(close);
  if (a < 0 || b < a) throw new Error(`no ${open} … ${close} section`);
  return `${text.slice(0, a + open.length)}\n${body}\n${text.slice(b)}`;
}

/** every generated file as it should read: [path, text] */
export function generatedFiles(): [string, string][] {
  const settingsPath = path.join(ROOT, 'docs/settings.md'),
    readmePath = path.join(ROOT, 'README.md');
  let settings = fs.readFileSync(settingsPath, 'utf8');
  for (const [name, body] of Object.entries(settingsSections())) settings = withSection(settings, name, body);
  const readme = withSection(fs.readFileSync(readmePath, 'utf8'), 'performance', performanceSection());
  return [
    [settingsPath, settings],
    [readmePath, readme],
  ];
}

function publishBenchmark(): void {
  const results = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
  const file = path.join(BENCHMARKS_DIR, `${results.date.slice(0, 10)}-bench.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  console.log(`kept ${path.relative(ROOT, file)}`);
}

// run as a script, not imported by its test
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--publish')) publishBenchmark();
  for (const [file, text] of generatedFiles()) {
    if (fs.readFileSync(file, 'utf8') !== text) {
      fs.writeFileSync(file, text);
      console.log(`updated ${path.relative(ROOT, file)}`);
    }
  }
}
