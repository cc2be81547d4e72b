// `npm run bench`: how fast the studio distills here, against its limits. Prints a table and writes
// bench/results.json. Not a test: nothing is asserted, timings vary run to run; compare rows of one
// run (ratios), not runs on different machines.
//
// Rows: student train-step and teacher-logits throughput (batch 8) at the demo's tiny geometry and at
// ViT-B/16 ← ViT-L/14 (random weights) on onnxruntime-node (CPU and WebGPU), WASM and WebGPU in
// Chromium; onnxruntime's per-kernel profile of one step and one teacher batch; train/forward FLOPs
// with and without backward pruning; the train step's memory; teacher passes per distillation run
// with and without the logit cache; the studio's first-load size and time to its first demo step;
// the import of a folder of 10,000 generated JPEGs (speed, heap, storage per image, long tasks); a
// 2,000-step WASM run of the demo (memory and IndexedDB after each checkpoint, old ones pruned); teacher
// labels (labelling speed, steps from labels against the online teacher, file sizes: bench/labels.ts).
// `--only PATTERNS` picks rows (bench/rows.ts), e.g. `npm run bench -- --only node-webgpu`.
//
// The run keeps to 10 minutes: the slow rows (real geometry in the browser) go last and are skipped,
// with the reason printed, when their estimated time would not fit in BUDGET_S; a watchdog reports
// what was measured and stops the run at HARD_LIMIT_S whatever happens. The 10,000-image import
// cannot fit in that: it runs after everything else, on a time limit of its own (IMPORT_LIMIT_S, plus
// GENERATE_LIMIT_S the first time, when its folder is generated), and the watchdog waits for it; so
// does the long run after it (LONG_RUN_LIMIT_S).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distillConfigOf, DEMO_SETTINGS } from '../src/engine/promptkd/run-settings.ts';
import { parseClipConfig } from '../src/engine/clip/config.ts';
import { createNodeRuntime } from '../src/engine/runtime/node.ts';
import type { Browser, Page } from '@playwright/test';
import { measureFusedAttention } from './attention.ts';
import { kernelsOf, withinLimits, type GraphCaptureResult, type StepTrafficResult } from './gpu-report.ts';
import { STEP_TRAFFIC_LIMITS } from './step-traffic.ts';
import { adapterOf, buildApp, DIST, harnessPage, launchChromium, ROOT, startPreview, timeInPage, type Server } from './browser.ts';
import { DEMO_GEOMETRY, DEMO_IMAGES, DEMO_SOURCE } from './demo-geometry.ts';
import { measureDemoFirstStep, measureFirstLoad } from './first-load.ts';
import { countingStudentJson, parseGeometry, randomVisionWeights, REAL_GEOMETRY, type GeometryJson } from './geometry.ts';
import type { BenchWorkload } from './harness-bench.ts';
import { measureImportScale } from './import-scale.ts';
import { scaleFolder } from './import-scale-images.ts';
import { measureLabels } from './labels.ts';
import { LONG_RUN, measureLongRun } from './long-run.ts';
import { firstLine, Recorder } from './measure.ts';
import { nodeRows, WORKLOAD_NAME, WORKLOADS } from './node-rows.ts';
import { adapterName, formatReport, type BenchResults } from './report.ts';
import { onlyArg, parseOnly, type RowFilter } from './rows.ts';
import { studentStepCosts } from './student-costs.ts';
import { countTeacherCalls } from './teacher-calls.ts';
import { studentHyper, type Timing } from './workloads.ts';

const BUDGET_S = 540; //     rows that would end after this are skipped
const HARD_LIMIT_S = 590; // the watchdog stops the run here
const DEMO_LIMIT_S = 240;
const IMPORT_IMAGES = 10_000;
const IMPORT_LIMIT_S = 2400; // seen here: ~8 images/s with other jobs on the 2 cores, ~21 min for 10,000
const GENERATE_LIMIT_S = 900;
const LONG_RUN_LIMIT_S = 3600;
const LABELS_S = 150;
const BATCH = 8;
const PORT = Number(process.env.BENCH_PORT ?? 4178);
/** WASM in Chromium runs single-threaded on 2 cores; seen here ~4.5–6.5× slower than onnxruntime-node */
const WASM_VS_NODE = 6;
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const leftS = () => BUDGET_S - elapsedS();
const log = (line: string) => console.error(`[bench ${elapsedS().toFixed(0).padStart(3)} s] ${line}`);

const only = parseOnly(onlyArg(process.argv.slice(2)));
const rec = new Recorder(leftS, BUDGET_S, log);
const results: BenchResults = {
  date: new Date().toISOString(),
  batch: BATCH,
  only: only.spec,
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    loadAverage: { start: os.loadavg()[0]!, end: null },
    node: process.version,
    chromium: null,
    pageHardwareConcurrency: null,
    crossOriginIsolated: null,
    webgpuAdapter: null,
  },
  nodeDevices: {},
  geometries: { real: REAL_GEOMETRY },
  throughput: rec.throughput,
  profiles: rec.profiles,
  demoFirstStep: [],
  seconds: 0,
};
let server: Server | null = null;

function finish(): void {
  results.kernels = kernelsOf(results.profiles, BATCH, results.stepTraffic);
  results.seconds = elapsedS();
  results.machine.loadAverage.end = os.loadavg()[0]!;
  writeFileSync(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
}

/** (re)arms the watchdog to stop the run `limitS` seconds after its start */
let watchdog: ReturnType<typeof setTimeout> | undefined;
function stopAt(limitS: number): void {
  clearTimeout(watchdog);
  watchdog = setTimeout(
    () => {
      results.stoppedEarly = `stopped at the ${Math.round(limitS)} s limit while measuring ${rec.current}`;
      server?.stop();
      finish();
      process.exit(1); // Playwright closes the browser it launched on exit
    },
    (limitS - elapsedS()) * 1000,
  );
  watchdog.unref();
}
stopAt(HARD_LIMIT_S);

const TAG: Record<BenchWorkload, 'student' | 'teacher'> = { 'student-step': 'student', 'teacher-forward': 'teacher' };
const BROWSER_SECTIONS = ['first-load', 'demo-step', 'import-scale', 'long-run', 'traffic', 'capture'] as const;
const wantsBrowser = (f: RowFilter) =>
  BROWSER_SECTIONS.some((s) => f.wants(s)) ||
  (['wasm', 'browser-webgpu'] as const).some((b) => WORKLOADS.some((w) => ['demo', 'real'].some((g) => f.wants(TAG[w], g, b))));

/** onnxruntime-web's default WASM thread count: min(4, ⌈cores/2⌉), and 1 without cross-origin isolation */
const wasmThreads = (env: { hardwareConcurrency: number; crossOriginIsolated: boolean }) =>
  env.crossOriginIsolated ? Math.min(4, Math.ceil((env.hardwareConcurrency || 1) / 2)) : 1;

async function chromiumRows(demo: GeometryJson, real: GeometryJson, node: Partial<Record<BenchWorkload, Timing | null>>): Promise<void> {
  rec.current = 'the app build and Chromium start';
  log('building the app and starting Chromium …');
  buildApp();
  server = await startPreview(PORT);
  const browser = await launchChromium();
  try {
    results.machine.chromium = browser.version();
    if (only.wants('first-load')) {
      rec.current = 'the studio first load';
      log('studio first load …');
      results.firstLoad = await measureFirstLoad(browser, server, DIST).catch((e) => ({ error: firstLine(e) }));
    }
    const page = await harnessPage(browser, server);
    const adapter = await adapterOf(page);
    if (only.wants('traffic')) results.stepTraffic = await trafficRows(page, adapter.ok);
    if (only.wants('capture')) results.graphCapture = await captureRows(page, adapter.ok);
    results.machine.webgpuAdapter = adapter;
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
      rec.measure({ workload: WORKLOAD_NAME[w], geometry: geo.name, backend: label }, estimateS, () =>
        timeInPage(page, backend, w, geo, { batch: BATCH, steady }),
      );
    const noNumber = (w: BenchWorkload, geo: GeometryJson, note: string) =>
      rec.note({ workload: WORKLOAD_NAME[w], geometry: geo.name, backend: WEBGPU }, note);
    const wants = (w: BenchWorkload, g: 'demo' | 'real', b: 'wasm' | 'browser-webgpu') => only.wants(TAG[w], g, b);

    for (const w of WORKLOADS) if (wants(w, 'demo', 'wasm')) await inPage('wasm', WASM, w, demo, 5, 30);
    for (const w of WORKLOADS) {
      if (!wants(w, 'demo', 'browser-webgpu')) continue;
      if (adapter.ok) await inPage('webgpu', WEBGPU, w, demo, 5, 60);
      else noNumber(w, demo, `no GPU adapter (${adapter.reason})`);
    }
    // a B/16 step on a software adapter takes minutes: real geometry needs a real GPU
    for (const w of WORKLOADS) {
      if (!wants(w, 'real', 'browser-webgpu')) continue;
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
        results.demoFirstStep.push({
          settings: label,
          result: { unavailable: `skipped (over time budget: ${Math.max(0, Math.round(leftS()))} s left of ${BUDGET_S} s)` },
        });
        return;
      }
      rec.current = `the demo's first step (${label})`;
      log(`${rec.current}, up to ${Math.round(limitS)} s …`);
      const result = await measureDemoFirstStep(browser, server!, hash, limitS * 1000).catch((e) => ({
        unavailable: `failed: ${firstLine(e)}`,
      }));
      results.demoFirstStep.push({ settings: `${label}${settings}`, result });
    };
    const demoStep = only.wants('demo-step');
    if (demoStep && fallback) await demoRow(' (the default here is WebGPU on the software adapter)', 'backend=wasm');
    else if (demoStep) await demoRow('', '');
    // the slowest rows last, one steady run each, while the estimate from the node run still fits
    for (const w of WORKLOADS) {
      if (!wants(w, 'real', 'wasm')) continue;
      const n = node[w];
      await inPage('wasm', WASM, w, real, 1, n ? (WASM_VS_NODE * (n.warmupMs + n.medianMs)) / 1000 : Infinity);
    }
    if (demoStep && fallback) await demoRow('', '');
    await page.close();
    if (only.wants('import-scale')) await importScaleRow(browser, server);
    if (only.wants('long-run')) await longRunRow(server);
  } finally {
    await browser.close();
    server.stop();
    server = null;
  }
}

/** one steady demo step's GPU traffic on each WebGPU backend (bench/step-traffic.ts) */
async function trafficRows(page: Page, gpu: boolean): Promise<StepTrafficResult> {
  if (!gpu) return { unavailable: 'no WebGPU adapter in Chromium' };
  const runs: Extract<StepTrafficResult, { runs: unknown }>['runs'] = [];
  for (const entry of ['native', 'jsep'] as const) {
    rec.current = `a demo step's GPU traffic on ${entry}`;
    log(`${rec.current} …`);
    const t = await page.evaluate(([e, b]) => window.harness.stepTraffic(e, b), [entry, DEMO_SETTINGS.batchSize] as const);
    runs.push({ entry, withinLimits: withinLimits(t), ...t });
  }
  return { limits: STEP_TRAFFIC_LIMITS, runs };
}

/** graph capture on and off on each WebGPU backend (bench/graph-capture.ts), demo student, batch 8 */
async function captureRows(page: Page, gpu: boolean): Promise<GraphCaptureResult> {
  if (!gpu) return { unavailable: 'no WebGPU adapter in Chromium' };
  const out: Extract<GraphCaptureResult, unknown[]> = [];
  for (const entry of ['native', 'jsep'] as const) {
    rec.current = `graph capture on ${entry}`;
    log(`${rec.current} …`);
    out.push({ entry, check: await page.evaluate(([e, b]) => window.harness.graphCapture(e, b), [entry, BATCH] as const) });
  }
  return out;
}

/** the teacher on onnxruntime-node's CPU, fused against plain attention, at each geometry asked for */
async function attentionRows(geometries: Record<'demo' | 'real', GeometryJson>): Promise<void> {
  const rt = createNodeRuntime();
  results.fusedAttention = [];
  for (const g of ['demo', 'real'] as const) {
    if (!only.wants('attention', g)) continue;
    // the real teacher is ViT-L/14: one CPU run of batch 8 takes tens of seconds on 2 cores, and this is 10 of them
    if (g === 'real' && leftS() < 300) {
      log(`fused attention at ${geometries.real.name}: skipped (${Math.round(leftS())} s left)`);
      continue;
    }
    rec.current = `the teacher fused against plain attention (${geometries[g].name}, CPU)`;
    log(`${rec.current} …`);
    results.fusedAttention.push(await measureFusedAttention(rt, 'onnxruntime-node (CPU)', geometries[g], BATCH, g === 'demo' ? 5 : 1));
  }
}

/** the folder import at scale, last, on its own time limit (the folder is generated once, into .tmp/) */
async function importScaleRow(browser: Browser, srv: Server): Promise<void> {
  rec.current = `the ${IMPORT_IMAGES}-image folder (generating or reusing it)`;
  stopAt(elapsedS() + GENERATE_LIMIT_S + IMPORT_LIMIT_S + 30);
  log(`${rec.current} …`);
  try {
    const folder = await scaleFolder(browser, path.join(ROOT, '.tmp'), IMPORT_IMAGES, log);
    rec.current = `the import of ${IMPORT_IMAGES} JPEGs`;
    stopAt(elapsedS() + IMPORT_LIMIT_S + 30);
    log(`${rec.current}, up to ${IMPORT_LIMIT_S} s …`);
    results.importScale = await measureImportScale(
      srv,
      folder,
      path.join(ROOT, '.tmp', 'bench-tmp', 'import-profile'),
      IMPORT_LIMIT_S * 1000,
      log,
    );
  } catch (e) {
    results.importScale = { unavailable: `failed: ${firstLine(e)}` };
  }
}

/** the long WASM run, last, on its own time limit, in a fresh profile on disk */
async function longRunRow(srv: Server): Promise<void> {
  rec.current = `the ${LONG_RUN.epochs}-epoch WASM demo run`;
  stopAt(elapsedS() + LONG_RUN_LIMIT_S + 30);
  log(`${rec.current}, up to ${LONG_RUN_LIMIT_S} s …`);
  results.longRun = await measureLongRun(srv, path.join(ROOT, '.tmp', 'bench-tmp', 'long-run-profile'), LONG_RUN_LIMIT_S * 1000, log).catch(
    (e) => ({ unavailable: `failed: ${firstLine(e)}` }),
  );
}

/** seconds a timing took in all (warm-up and steady runs) */
const costOf = (t: Timing | null | undefined) => (t ? (t.warmupMs + t.runsMs.reduce((a, b) => a + b, 0)) / 1000 : Infinity);

async function main(): Promise<void> {
  const real = REAL_GEOMETRY;
  results.geometries.demo = { ...DEMO_GEOMETRY, source: DEMO_SOURCE };
  if (only.spec) log(`only ${only.spec}`);
  const realGeo = parseGeometry(real);
  const demoGeo = parseGeometry(DEMO_GEOMETRY);

  if (only.wants('flops')) {
    // graph costs at ViT-B/16: built, not run
    rec.current = 'the graph costs';
    const b16 = randomVisionWeights(realGeo.student, 1, 'student');
    const costs = studentStepCosts(b16, studentHyper(realGeo.student.vision.layers, realGeo.teacher.embedDim, realGeo.classes), BATCH);
    results.flops = {
      pruned: costs.pruned,
      allWeights: costs.allWeights,
      geometry: `${real.name} student, n_ctx 4, depth 9, batch ${BATCH}`,
    };
    results.memory = costs.memory;
    log(`FLOPs: train/forward ${costs.pruned.ratio.toFixed(3)} pruned, ${costs.allWeights.ratio.toFixed(3)} all weights`);
  }

  if (only.wants('passes')) {
    // teacher passes per demo distillation run; the count depends on the loop, not on the student's
    // size, so a minimal student keeps each run to seconds
    const rt = createNodeRuntime();
    const demoConfig = distillConfigOf(DEMO_SETTINGS, 100);
    const countingStudent = randomVisionWeights(parseClipConfig(countingStudentJson(demoConfig.depth)), 31, 'student');
    const countingHyper = { ...studentHyper(demoConfig.depth, demoGeo.teacher.embedDim, demoGeo.classes), depth: demoConfig.depth };
    results.teacherPasses = { config: { images: DEMO_IMAGES, epochs: demoConfig.epochs, batch: demoConfig.batchSize }, runs: {} };
    for (const augment of [false, true]) {
      for (const cache of [true, false]) {
        const name = `${augment ? 'augmented' : 'centre view'}, ${cache ? 'cache' : 'no cache'}`;
        rec.current = `teacher passes (${name})`;
        log(`${rec.current} …`);
        const config = { ...demoConfig, augment };
        results.teacherPasses.runs[name] = await countTeacherCalls({
          rt,
          clip: countingStudent,
          hyper: countingHyper,
          config,
          images: DEMO_IMAGES,
          cache,
        });
      }
    }
  }

  if (only.wants('attention', 'demo') || only.wants('attention', 'real')) await attentionRows({ demo: DEMO_GEOMETRY, real });

  const node = await nodeRows({ geometries: { demo: DEMO_GEOMETRY, real }, batch: BATCH, only, rec });
  results.nodeDevices = node.devices;

  if (only.wants('labels')) {
    rec.current = 'teacher labels';
    // about a minute on 2 cores, most of it the WebGPU labelling on a software adapter
    const webgpu = node.devices['node-webgpu'] && !('error' in node.devices['node-webgpu']);
    results.labels =
      leftS() < LABELS_S
        ? { unavailable: `skipped (over time budget: ${Math.round(leftS())} s left)` }
        : await measureLabels(path.join(ROOT, '.tmp', 'bench-labels'), webgpu ? ['cpu', 'webgpu'] : ['cpu'], log).catch((e) => ({
            unavailable: `failed: ${firstLine(e)}`,
          }));
  }

  // a failed build or browser start leaves the rows above standing and says why
  if (wantsBrowser(only)) {
    try {
      await chromiumRows(DEMO_GEOMETRY, real, node.realCpu);
    } catch (e) {
      results.chromiumError = firstLine(e);
      log(`Chromium rows not measured: ${results.chromiumError}`);
    }
  }
  finish();
}

await main();
