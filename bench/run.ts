// `npm run bench`: how fast the studio distills here, against its limits. Prints a table and writes
// bench/results.json. Not a test: nothing is asserted, timings vary run to run; compare rows of one
// run (ratios), not runs on different machines.
//
// Rows: student train-step and teacher-logits throughput (batch 8) at the demo's tiny geometry and at
// ViT-B/16 ← ViT-L/14 (random weights) on onnxruntime-node, WASM and WebGPU in Chromium; train/forward
// FLOPs with and without backward pruning; the train step's memory; teacher passes per distillation
// run with and without the logit cache; the studio's first-load size and time to its first demo step.
//
// The whole run keeps to BUDGET_S: the slow rows (real geometry in the browser) go last and are
// skipped, with the reason printed, when their estimated time would not fit.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_DISTILL } from '../src/cli/demo.ts';
import { parseClipConfig } from '../src/engine/clip/config.ts';
import { createNodeRuntime } from '../src/engine/runtime/node.ts';
import type { GpuProbe } from '../src/app/gpu.ts';
import { adapterOf, buildApp, DIST, harnessPage, launchChromium, ROOT, startPreview, timeInPage } from './browser.ts';
import { measureFirstLoad, type FirstLoad } from './first-load.ts';
import { parseGeometry, randomVisionWeights, REAL_GEOMETRY, type GeometryJson } from './geometry.ts';
import type { BenchWorkload } from './harness-bench.ts';
import { studentStepCosts, type StudentStepCosts } from './student-costs.ts';
import { countTeacherCalls, type TeacherCount } from './teacher-calls.ts';
import { benchStudentStep, benchTeacherForward, studentHyper, type Timing } from './workloads.ts';

const BUDGET_S = 570; // 10 minutes, less a margin for the browser's shutdown and the printing
const BATCH = 8;
const PORT = Number(process.env.BENCH_PORT ?? 4178);
/** WASM in Chromium runs single-threaded on 2 cores; seen here ~4–5× slower than onnxruntime-node */
const WASM_VS_NODE = 5;
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const leftS = () => BUDGET_S - elapsedS();
const log = (line: string) => console.error(`[bench ${elapsedS().toFixed(0).padStart(3)} s] ${line}`);

// ---- geometry ------------------------------------------------------------------------------------

/** The demo's tiny CLIPs from models/manifest.json where built, else the repo fixture's config. */
function demoGeometry(): { geometry: GeometryJson; source: string; images: number } {
  const fixture = path.join(ROOT, 'test-data/fixtures/clip-tiny-a/config.json');
  const config = (role: 'teacher' | 'student'): { json: unknown; from: string } => {
    try {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models/manifest.json'), 'utf8'));
      const file = path.join(ROOT, 'models', manifest.demo[role].path, 'config.json');
      if (existsSync(file)) return { json: JSON.parse(readFileSync(file, 'utf8')), from: path.relative(ROOT, file) };
    } catch { /* no manifest: use the fixture */ }
    return { json: JSON.parse(readFileSync(fixture, 'utf8')), from: `${path.relative(ROOT, fixture)} (no demo ${role} model built)` };
  };
  const index = JSON.parse(readFileSync(path.join(ROOT, 'public/demo/index.json'), 'utf8'));
  const t = config('teacher'), s = config('student');
  for (const c of [t, s]) parseClipConfig(c.json); // fail here, with the loader's message, on a bad config
  return {
    geometry: { name: 'demo (tiny)', student: s.json, teacher: t.json, classes: index.classNames.length },
    source: `student ${s.from}; teacher ${t.from}`,
    images: index.splits.train.count,
  };
}

// ---- rows ------------------------------------------------------------------------------------------

type Workload = 'student train step' | 'teacher logits';
interface ThroughputRow {
  workload: Workload;
  geometry: string;
  backend: string;
  timing: Timing | null;
  /** why there is no number */
  note?: string;
}

const rows: ThroughputRow[] = [];
const WORKLOAD: Record<BenchWorkload, Workload> = { 'student-step': 'student train step', 'teacher-forward': 'teacher logits' };

async function measure(row: Omit<ThroughputRow, 'timing'>, estimateS: number, run: () => Promise<Timing>): Promise<Timing | null> {
  if (estimateS > leftS()) {
    rows.push({ ...row, timing: null, note: `skipped (over time budget: needs ~${Math.round(estimateS)} s, ${Math.max(0, Math.round(leftS()))} s left of ${BUDGET_S} s)` });
    log(`skip ${row.workload} ${row.geometry} ${row.backend}`);
    return null;
  }
  log(`${row.workload}, ${row.geometry}, ${row.backend} …`);
  try {
    const timing = await run();
    rows.push({ ...row, timing });
    return timing;
  } catch (e) {
    rows.push({ ...row, timing: null, note: `failed: ${(e as Error).message.split('\n')[0]}` });
    return null;
  }
}

/** seconds a timing took in all (warm-up and steady runs) */
const costS = (t: Timing | null) => (t ? (t.warmupMs + t.runsMs.reduce((a, b) => a + b, 0)) / 1000 : Infinity);

// ---- formatting ------------------------------------------------------------------------------------

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const kB = (b: number) => `${(b / 1000).toFixed(0)} kB`;
const secs = (ms: number) => (ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const gflop = (f: number) => `${(f / 1e9).toFixed(1)} GFLOP`;

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === r.length - 1 && r.length < header.length ? c : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

// ---- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const demo = demoGeometry();
  const real = REAL_GEOMETRY;
  log(`demo geometry: ${demo.source}`);

  // graph costs at ViT-B/16 (no run)
  const realGeo = parseGeometry(real);
  const b16 = randomVisionWeights(realGeo.student, 1, 'student');
  const costs: StudentStepCosts = studentStepCosts(b16, studentHyper(realGeo.student.vision.layers, realGeo.teacher.embedDim, realGeo.classes), BATCH);
  log(`FLOPs: train/forward ${costs.pruned.ratio.toFixed(3)} pruned, ${costs.allWeights.ratio.toFixed(3)} all weights`);

  // teacher passes per demo distillation run
  const rt = createNodeRuntime();
  const demoGeo = parseGeometry(demo.geometry);
  const demoStudent = randomVisionWeights(demoGeo.student, 31, 'student');
  const demoHyper = { ...studentHyper(demoGeo.student.vision.layers, demoGeo.teacher.embedDim, demoGeo.classes), depth: DEMO_DISTILL.depth };
  const teacherCalls: Record<string, TeacherCount & { augment: boolean; cache: boolean }> = {};
  for (const augment of [false, true]) {
    for (const cache of [true, false]) {
      log(`teacher passes: augment ${augment}, cache ${cache} (${DEMO_DISTILL.epochs} epochs of ${demo.images} images) …`);
      const c = await countTeacherCalls({ rt, clip: demoStudent, hyper: demoHyper, config: { ...DEMO_DISTILL, augment }, images: demo.images, cache });
      teacherCalls[`${augment ? 'augmented' : 'centre view'}, ${cache ? 'cache' : 'no cache'}`] = { ...c, augment, cache };
    }
  }

  // onnxruntime-node
  const NODE = 'onnxruntime-node (CPU)';
  const nodeTimings: Partial<Record<BenchWorkload, Timing | null>> = {};
  for (const [geo, steadyStudent, steadyTeacher] of [[demo.geometry, 5, 5], [real, 3, 2]] as const) {
    const student = await measure({ workload: 'student train step', geometry: geo.name, backend: NODE }, 0,
      () => benchStudentStep(rt, geo, { batch: BATCH, steady: steadyStudent }));
    const teacher = await measure({ workload: 'teacher logits', geometry: geo.name, backend: NODE }, 0,
      () => benchTeacherForward(rt, geo, { batch: BATCH, steady: steadyTeacher }));
    if (geo === real) Object.assign(nodeTimings, { 'student-step': student, 'teacher-forward': teacher });
  }

  // Chromium: a failed build or launch leaves the rows above intact and says why below
  let chromium: ChromiumReport;
  try {
    chromium = await chromiumRows(demo.geometry, real, nodeTimings);
  } catch (e) {
    chromium = { version: null, adapter: null, pageEnv: null, firstLoad: null, error: (e as Error).message.split('\n')[0]! };
    log(`Chromium rows not measured: ${chromium.error}`);
  }

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryBytes: os.totalmem(), node: process.version,
      chromium: chromium.version, pageHardwareConcurrency: chromium.pageEnv?.hardwareConcurrency ?? null,
      crossOriginIsolated: chromium.pageEnv?.crossOriginIsolated ?? null, webgpuAdapter: chromium.adapter,
    },
    batch: BATCH,
    geometries: { demo: { ...demo.geometry, source: demo.source }, real },
    throughput: rows,
    flops: { pruned: costs.pruned, allWeights: costs.allWeights, geometry: `${real.name} student, n_ctx 4, depth 9, batch ${BATCH}` },
    memory: costs.memory,
    teacherPasses: { config: { images: demo.images, epochs: DEMO_DISTILL.epochs, batch: DEMO_DISTILL.batchSize }, runs: teacherCalls },
    firstLoad: chromium.firstLoad,
    chromiumError: chromium.error,
    seconds: elapsedS(),
  };
  writeFileSync(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  print(results);
}

interface ChromiumReport {
  version: string | null;
  adapter: GpuProbe | null;
  pageEnv: { hardwareConcurrency: number; crossOriginIsolated: boolean } | null;
  firstLoad: FirstLoad | { error: string } | null;
  /** why Chromium was not measured at all */
  error: string | null;
}

async function chromiumRows(demo: GeometryJson, real: GeometryJson, nodeTimings: Partial<Record<BenchWorkload, Timing | null>>): Promise<ChromiumReport> {
  log('building the app and starting Chromium …');
  buildApp();
  const server = await startPreview(PORT);
  try {
    const browser = await launchChromium();
    try {
      log('studio first load …');
      const firstLoad = await measureFirstLoad(browser, server, DIST, 120_000).catch((e: Error) => ({ error: e.message.split('\n')[0]! }));
      const page = await harnessPage(browser, server);
      const adapter = await adapterOf(page);
      const pageEnv = await page.evaluate(() => ({ hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated }));
      const gpuName = adapterName(adapter);
      const fallback = adapter.ok && adapter.info.isFallbackAdapter;
      const WEBGPU = `WebGPU (Chromium, ${gpuName}${fallback ? ', fallback' : ''})`;
      const threads = wasmThreads(pageEnv);
      const WASM = `WASM (Chromium, ${threads} thread${threads > 1 ? 's' : ''})`;
      log(`adapter: ${adapter.ok ? gpuName : adapter.reason}`);

      const inPage = (backend: 'webgpu' | 'wasm', label: string, w: BenchWorkload, geo: GeometryJson, steady: number, estimateS: number) =>
        measure({ workload: WORKLOAD[w], geometry: geo.name, backend: label }, estimateS, () => timeInPage(page, backend, w, geo, { batch: BATCH, steady }));
      const noGpu = (w: BenchWorkload, geo: GeometryJson, note: string) =>
        rows.push({ workload: WORKLOAD[w], geometry: geo.name, backend: adapter.ok ? WEBGPU : 'WebGPU (Chromium)', timing: null, note });

      for (const w of ['student-step', 'teacher-forward'] as const) await inPage('wasm', WASM, w, demo, 5, 30);
      for (const w of ['student-step', 'teacher-forward'] as const) {
        if (adapter.ok) await inPage('webgpu', WEBGPU, w, demo, 5, 60);
        else noGpu(w, demo, `no GPU adapter (${adapter.reason})`);
      }
      // a B/16 step on a software adapter takes minutes: real geometry needs a real GPU
      for (const w of ['student-step', 'teacher-forward'] as const) {
        if (!adapter.ok) noGpu(w, real, `no GPU adapter (${adapter.reason})`);
        else if (fallback) noGpu(w, real, `no GPU adapter (software fallback: ${gpuName})`);
        else await inPage('webgpu', WEBGPU, w, real, w === 'student-step' ? 3 : 2, costS(nodeTimings[w] ?? null));
      }
      // the slowest rows last: one steady run each, when the estimate (from the node run) still fits
      for (const w of ['student-step', 'teacher-forward'] as const) {
        const node = nodeTimings[w] ?? null;
        await inPage('wasm', WASM, w, real, 1, node ? WASM_VS_NODE * (node.warmupMs + node.medianMs) / 1000 : Infinity);
      }
      await page.close();
      return { version: browser.version(), adapter, pageEnv, firstLoad, error: null };
    } finally {
      await browser.close();
    }
  } finally {
    server.stop();
  }
}

const adapterName = (a: GpuProbe): string =>
  (a.info ? [a.info.vendor, a.info.architecture, a.info.device, a.info.description].filter(Boolean).join(' ') : '') || 'unnamed adapter';

/** onnxruntime-web's default WASM thread count: min(4, ⌈cores/2⌉), and 1 without cross-origin isolation */
const wasmThreads = (env: { hardwareConcurrency: number; crossOriginIsolated: boolean }) =>
  env.crossOriginIsolated ? Math.min(4, Math.ceil((env.hardwareConcurrency || 1) / 2)) : 1;

function print(r: {
  machine: { cpu: string; cores: number; chromium: string | null; webgpuAdapter: GpuProbe | null };
  throughput: ThroughputRow[]; flops: { pruned: { forward: number; train: number; ratio: number }; allWeights: { train: number; ratio: number }; geometry: string };
  memory: StudentStepCosts['memory']; teacherPasses: { config: { images: number; epochs: number; batch: number }; runs: Record<string, TeacherCount> };
  firstLoad: FirstLoad | { error: string } | null; chromiumError: string | null; seconds: number;
}): void {
  const out: string[] = [];
  out.push(`PromptKD Studio benchmark — ${r.machine.cpu} (${r.machine.cores} cores), Chromium ${r.machine.chromium ?? `not run: ${r.chromiumError}`}`);
  const a = r.machine.webgpuAdapter;
  out.push(`WebGPU adapter: ${!a ? 'not probed' : a.ok ? `${adapterName(a)}${a.info.isFallbackAdapter ? ' (isFallbackAdapter: software)' : ''}` : `none (${a.reason})`}`);
  out.push('', `Throughput, batch ${BATCH} (warm-up = session creation + weight upload + first run; steady = median of the runs after it)`);
  out.push(table(['workload', 'geometry', 'backend', 'warm-up', 'steady (runs)', 'images/s'], r.throughput.map((row) => row.timing
    ? [row.workload, row.geometry, row.backend, secs(row.timing.warmupMs), `${secs(row.timing.medianMs)} (${row.timing.runsMs.length})`, row.timing.imagesPerSec.toFixed(row.timing.imagesPerSec < 10 ? 2 : 0)]
    : [row.workload, row.geometry, row.backend, row.note ?? ''])));
  const f = r.flops;
  out.push('', `Train-step FLOPs ÷ forward FLOPs (${f.geometry}; forward ${gflop(f.pruned.forward)})`);
  out.push(table(['variant', 'train step', 'ratio'], [
    ['prompts + projector trained (frozen weights get no backward)', gflop(f.pruned.train), f.pruned.ratio.toFixed(3)],
    ['every weight differentiated as well', gflop(f.allWeights.train), f.allWeights.ratio.toFixed(3)],
  ]));
  const m = r.memory;
  out.push('', `Train-step device memory, ViT-B/16 student, batch ${BATCH} (estimate from the graph; model in bench/graph-costs.ts)`);
  out.push(table(['part', 'bytes'], [
    ['frozen CLIP weights', MiB(m.frozenBytes)],
    ['trainable params + momentum + BN running stats', MiB(m.stateBytes)],
    ['step inputs (pixels, teacher logits, text features, lr)', MiB(m.dataBytes)],
    ['activations kept for backward', MiB(m.keptForBackwardBytes)],
    ['largest transient', m.largestTransient ? `${MiB(m.largestTransient.bytes)} (${m.largestTransient.op} [${m.largestTransient.shape.join(',')}])` : '-'],
    ['peak intermediates (kept + transients + outputs)', MiB(m.peakIntermediateBytes)],
    ['total: inputs + peak intermediates', MiB(m.totalBytes)],
  ]));
  const t = r.teacherPasses;
  out.push('', `Teacher passes per distillation run (demo config: ${t.config.images} unlabeled images, ${t.config.epochs} epochs, batch ${t.config.batch})`);
  out.push(table(['views', 'teacher images', 'teacher calls', 'steps'], Object.entries(t.runs).map(([k, c]) => [k, String(c.teacherImages), String(c.teacherCalls), String(c.steps)])));
  const fl = r.firstLoad;
  out.push('', 'Studio first load (fresh profile; files fetched by the page and its workers)');
  if (!fl) out.push(`not measured: ${r.chromiumError}`);
  else if ('error' in fl) out.push(`not measured: ${fl.error}`);
  else {
    out.push(table(['kind', 'files', 'raw', 'gzip'], [
      ...(['js', 'wasm', 'css'] as const).map((k) => [k, String(fl.byKind[k].files), kB(fl.byKind[k].raw), kB(fl.byKind[k].gzip)]),
      ['total', String(fl.assets.length), kB(fl.total.raw), kB(fl.total.gzip)],
    ]));
    out.push(`Time to the demo's first train step: ${'unavailable' in fl.demo ? fl.demo.unavailable : `${secs(fl.demo.toFirstStepMs)} from navigation (${secs(fl.demo.fromClickMs)} after clicking demo-start)`}`);
  }
  out.push('', `Bench took ${r.seconds.toFixed(0)} s. Results: bench/results.json`);
  console.log(out.join('\n'));
}

await main();
