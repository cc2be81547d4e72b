// `npm run bench`: how fast the studio distills here, against its limits. Prints a table and writes
// bench/results.json. Not a test: nothing is asserted, timings vary run to run; compare rows of one
// run (ratios), not runs on different machines.
//
// Rows: student train-step and teacher-logits throughput (batch 8) at the demo's tiny geometry and at
// ViT-B/16 ← ViT-L/14 (random weights) on onnxruntime-node, WASM and WebGPU in Chromium; train/forward
// FLOPs with and without backward pruning; the train step's memory; teacher passes per distillation
// run with and without the logit cache; the studio's first-load size and time to its first demo step.
//
// The run keeps to 10 minutes: the slow rows (real geometry in the browser) go last and are skipped,
// with the reason printed, when their estimated time would not fit in BUDGET_S; a watchdog reports
// what was measured and stops the run at HARD_LIMIT_S whatever happens.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_DISTILL } from '../src/cli/demo.ts';
import { parseClipConfig } from '../src/engine/clip/config.ts';
import { createNodeRuntime } from '../src/engine/runtime/node.ts';
import { adapterOf, buildApp, DIST, harnessPage, launchChromium, ROOT, startPreview, timeInPage, type Server } from './browser.ts';
import { measureDemoFirstStep, measureFirstLoad } from './first-load.ts';
import { countingStudentJson, parseGeometry, randomVisionWeights, REAL_GEOMETRY, type GeometryJson } from './geometry.ts';
import type { BenchWorkload } from './harness-bench.ts';
import { adapterName, formatReport, type BenchResults, type ThroughputRow, type Workload } from './report.ts';
import { studentStepCosts } from './student-costs.ts';
import { countTeacherCalls } from './teacher-calls.ts';
import { benchStudentStep, benchTeacherForward, studentHyper, type Timing } from './workloads.ts';

const BUDGET_S = 540; //     rows that would end after this are skipped
const HARD_LIMIT_S = 590; // the watchdog stops the run here
const DEMO_LIMIT_S = 240;
const BATCH = 8;
const PORT = Number(process.env.BENCH_PORT ?? 4178);
/** WASM in Chromium runs single-threaded on 2 cores; seen here ~4.5–6.5× slower than onnxruntime-node */
const WASM_VS_NODE = 6;
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const leftS = () => BUDGET_S - elapsedS();
const log = (line: string) => console.error(`[bench ${elapsedS().toFixed(0).padStart(3)} s] ${line}`);
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

const results: BenchResults = {
  date: new Date().toISOString(),
  batch: BATCH,
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryBytes: os.totalmem(), node: process.version,
    chromium: null, pageHardwareConcurrency: null, crossOriginIsolated: null, webgpuAdapter: null,
  },
  geometries: { real: REAL_GEOMETRY },
  throughput: [],
  demoFirstStep: [],
  seconds: 0,
};
let current = 'start-up';
let server: Server | null = null;

function finish(): void {
  results.seconds = elapsedS();
  writeFileSync(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
}

setTimeout(() => {
  results.stoppedEarly = `stopped at the ${HARD_LIMIT_S} s limit while measuring ${current}`;
  server?.stop();
  finish();
  process.exit(1); // Playwright closes the browser it launched on exit
}, HARD_LIMIT_S * 1000).unref();

/** The demo's tiny CLIPs from models/manifest.json where built, else the repo fixture's config. */
function demoGeometry(): { geometry: GeometryJson; source: string; images: number } {
  const fixture = path.join(ROOT, 'test-data/fixtures/clip-tiny-a/config.json');
  const config = (role: 'teacher' | 'student'): { json: unknown; from: string } => {
    try {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models/manifest.json'), 'utf8'));
      const file = path.join(ROOT, 'models', manifest.demo[role].path, 'config.json');
      if (existsSync(file)) return { json: JSON.parse(readFileSync(file, 'utf8')), from: path.relative(ROOT, file) };
    } catch { /* no manifest: the fixture's config below */ }
    return { json: JSON.parse(readFileSync(fixture, 'utf8')), from: `${path.relative(ROOT, fixture)} (no demo ${role} model built)` };
  };
  const index = JSON.parse(readFileSync(path.join(ROOT, 'public/demo/index.json'), 'utf8'));
  const t = config('teacher'), s = config('student');
  for (const c of [t, s]) parseClipConfig(c.json); // a bad config fails here, with the loader's message
  return {
    geometry: { name: 'demo (tiny)', student: s.json, teacher: t.json, classes: index.classNames.length },
    source: `student ${s.from}; teacher ${t.from}`,
    images: index.splits.train.count,
  };
}

const WORKLOAD: Record<BenchWorkload, Workload> = { 'student-step': 'student train step', 'teacher-forward': 'teacher logits' };
const WORKLOADS = ['student-step', 'teacher-forward'] as const;

async function measure(row: Omit<ThroughputRow, 'timing'>, estimateS: number, run: () => Promise<Timing>): Promise<Timing | null> {
  if (estimateS > leftS()) {
    const note = `skipped (over time budget: needs ~${Math.round(estimateS)} s, ${Math.max(0, Math.round(leftS()))} s left of ${BUDGET_S} s)`;
    results.throughput.push({ ...row, timing: null, note });
    log(`${row.workload}, ${row.geometry}, ${row.backend}: ${note}`);
    return null;
  }
  current = `${row.workload}, ${row.geometry}, ${row.backend}`;
  log(`${current} …`);
  try {
    const timing = await run();
    results.throughput.push({ ...row, timing });
    return timing;
  } catch (e) {
    results.throughput.push({ ...row, timing: null, note: `failed: ${firstLine(e)}` });
    return null;
  }
}

/** onnxruntime-web's default WASM thread count: min(4, ⌈cores/2⌉), and 1 without cross-origin isolation */
const wasmThreads = (env: { hardwareConcurrency: number; crossOriginIsolated: boolean }) =>
  env.crossOriginIsolated ? Math.min(4, Math.ceil((env.hardwareConcurrency || 1) / 2)) : 1;

async function chromiumRows(demo: GeometryJson, real: GeometryJson, node: Partial<Record<BenchWorkload, Timing | null>>): Promise<void> {
  current = 'the app build and Chromium start';
  log('building the app and starting Chromium …');
  buildApp();
  server = await startPreview(PORT);
  const browser = await launchChromium();
  try {
    results.machine.chromium = browser.version();
    current = 'the studio first load';
    log('studio first load …');
    results.firstLoad = await measureFirstLoad(browser, server, DIST).catch((e) => ({ error: firstLine(e) }));
    const page = await harnessPage(browser, server);
    const adapter = (results.machine.webgpuAdapter = await adapterOf(page));
    const env = await page.evaluate(() => ({ hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated }));
    results.machine.pageHardwareConcurrency = env.hardwareConcurrency;
    results.machine.crossOriginIsolated = env.crossOriginIsolated;
    const gpuName = adapterName(adapter);
    const fallback = adapter.ok && adapter.info.isFallbackAdapter;
    const WEBGPU = adapter.ok ? `WebGPU (Chromium, ${gpuName}${fallback ? ', fallback' : ''})` : 'WebGPU (Chromium)';
    const threads = wasmThreads(env);
    const WASM = `WASM (Chromium, ${threads} thread${threads > 1 ? 's' : ''})`;
    log(`adapter: ${adapter.ok ? gpuName : adapter.reason}`);

    const inPage = (backend: 'webgpu' | 'wasm', label: string, w: BenchWorkload, geo: GeometryJson, steady: number, estimateS: number) =>
      measure({ workload: WORKLOAD[w], geometry: geo.name, backend: label }, estimateS, () => timeInPage(page, backend, w, geo, { batch: BATCH, steady }));
    const noNumber = (w: BenchWorkload, geo: GeometryJson, note: string) =>
      results.throughput.push({ workload: WORKLOAD[w], geometry: geo.name, backend: WEBGPU, timing: null, note });

    for (const w of WORKLOADS) await inPage('wasm', WASM, w, demo, 5, 30);
    for (const w of WORKLOADS) {
      if (adapter.ok) await inPage('webgpu', WEBGPU, w, demo, 5, 60);
      else noNumber(w, demo, `no GPU adapter (${adapter.reason})`);
    }
    // a B/16 step on a software adapter takes minutes: real geometry needs a real GPU
    for (const w of WORKLOADS) {
      if (!adapter.ok) noNumber(w, real, `no GPU adapter (${adapter.reason})`);
      else if (fallback) noNumber(w, real, `no GPU adapter (software fallback: ${gpuName})`);
      else await inPage('webgpu', WEBGPU, w, real, w === 'student-step' ? 3 : 2, 2 * costOf(node[w]));
    }
    // the demo as a user starts it. On a software adapter the studio's default (WebGPU) can need
    // minutes before its first step, so WASM (#backend=wasm) goes first there and the default last,
    // with what is left of the budget
    const demoRow = async (settings: string, hash: string) => {
      const limitS = Math.min(DEMO_LIMIT_S, leftS() - 10);
      const label = hash ? `#${hash}` : `studio defaults (${adapter.ok ? 'WebGPU' : 'WASM'} here)`;
      if (limitS < 30) {
        results.demoFirstStep.push({ settings: label, result: { unavailable: `skipped (over time budget: ${Math.max(0, Math.round(leftS()))} s left of ${BUDGET_S} s)` } });
        return;
      }
      current = `the demo's first step (${label})`;
      log(`${current}, up to ${Math.round(limitS)} s …`);
      const result = await measureDemoFirstStep(browser, server!, hash, limitS * 1000).catch((e) => ({ unavailable: `failed: ${firstLine(e)}` }));
      results.demoFirstStep.push({ settings: `${label}${settings}`, result });
    };
    if (fallback) await demoRow(' (the default here is WebGPU on the software adapter)', 'backend=wasm');
    else await demoRow('', '');
    // the slowest rows last, one steady run each, while the estimate from the node run still fits
    for (const w of WORKLOADS) {
      const n = node[w];
      await inPage('wasm', WASM, w, real, 1, n ? (WASM_VS_NODE * (n.warmupMs + n.medianMs)) / 1000 : Infinity);
    }
    if (fallback) await demoRow('', '');
    await page.close();
  } finally {
    await browser.close();
    server.stop();
    server = null;
  }
}

/** seconds a timing took in all (warm-up and steady runs) */
const costOf = (t: Timing | null | undefined) => (t ? (t.warmupMs + t.runsMs.reduce((a, b) => a + b, 0)) / 1000 : Infinity);

async function main(): Promise<void> {
  const demo = demoGeometry();
  const real = REAL_GEOMETRY;
  results.geometries.demo = { ...demo.geometry, source: demo.source };
  log(`demo geometry: ${demo.source}`);

  // graph costs at ViT-B/16: built, not run
  current = 'the graph costs';
  const realGeo = parseGeometry(real);
  const b16 = randomVisionWeights(realGeo.student, 1, 'student');
  const costs = studentStepCosts(b16, studentHyper(realGeo.student.vision.layers, realGeo.teacher.embedDim, realGeo.classes), BATCH);
  results.flops = { pruned: costs.pruned, allWeights: costs.allWeights, geometry: `${real.name} student, n_ctx 4, depth 9, batch ${BATCH}` };
  results.memory = costs.memory;
  log(`FLOPs: train/forward ${costs.pruned.ratio.toFixed(3)} pruned, ${costs.allWeights.ratio.toFixed(3)} all weights`);

  // teacher passes per demo distillation run; the count depends on the loop, not on the student's
  // size, so a minimal student keeps each run to seconds
  const rt = createNodeRuntime();
  const demoGeo = parseGeometry(demo.geometry);
  const countingStudent = randomVisionWeights(parseClipConfig(countingStudentJson(DEMO_DISTILL.depth)), 31, 'student');
  const countingHyper = { ...studentHyper(DEMO_DISTILL.depth, demoGeo.teacher.embedDim, demoGeo.classes), depth: DEMO_DISTILL.depth };
  results.teacherPasses = { config: { images: demo.images, epochs: DEMO_DISTILL.epochs, batch: DEMO_DISTILL.batchSize }, runs: {} };
  for (const augment of [false, true]) {
    for (const cache of [true, false]) {
      const name = `${augment ? 'augmented' : 'centre view'}, ${cache ? 'cache' : 'no cache'}`;
      current = `teacher passes (${name})`;
      log(`${current} …`);
      const config = { ...DEMO_DISTILL, augment };
      results.teacherPasses.runs[name] = await countTeacherCalls({ rt, clip: countingStudent, hyper: countingHyper, config, images: demo.images, cache });
    }
  }

  const NODE = 'onnxruntime-node (CPU)';
  const node: Partial<Record<BenchWorkload, Timing | null>> = {};
  for (const [geo, steadyStudent, steadyTeacher] of [[demo.geometry, 5, 5], [real, 3, 2]] as const) {
    const student = await measure({ workload: 'student train step', geometry: geo.name, backend: NODE }, 0,
      () => benchStudentStep(rt, geo, { batch: BATCH, steady: steadyStudent }));
    const teacher = await measure({ workload: 'teacher logits', geometry: geo.name, backend: NODE }, 0,
      () => benchTeacherForward(rt, geo, { batch: BATCH, steady: steadyTeacher }));
    if (geo === real) Object.assign(node, { 'student-step': student, 'teacher-forward': teacher });
  }

  // a failed build or browser start leaves the rows above standing and says why
  try {
    await chromiumRows(demo.geometry, real, node);
  } catch (e) {
    results.chromiumError = firstLine(e);
    log(`Chromium rows not measured: ${results.chromiumError}`);
  }
  finish();
}

await main();
