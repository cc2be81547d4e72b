// The benchmark's results (bench/results.json) and their printed table. Every part is optional: a
// run stopped at its time limit, or without Chromium, still reports what it measured.
import type { GpuProbe } from '../src/app/gpu.ts';
import type { KernelProfile } from '../src/engine/runtime/profile.ts';
import type { NodeDevice } from '../src/engine/runtime/node.ts';
import type { FusedAttention } from './attention.ts';
import type { GeometryJson } from './geometry.ts';
import { formatGpuSections, type GraphCaptureResult, type Kernels, type StepTrafficResult } from './gpu-report.ts';
import { formatLongRun, type LongRunResult } from './long-run-report.ts';
import type { StudentStepCosts } from './student-costs.ts';
import type { TeacherCount } from './teacher-calls.ts';
import type { Timing } from './workloads.ts';

// the browser rows' results (bench/first-load.ts and bench/import-scale.ts measure them): kept here, so
// that what formats them, and the GPU pack that reuses the formatting, reach no Playwright
export type AssetKind = 'js' | 'wasm' | 'css';
export interface AssetSize {
  kind: AssetKind;
  path: string;
  raw: number;
  gzip: number;
}

export interface FirstLoad {
  assets: AssetSize[];
  byKind: Record<AssetKind, { files: number; raw: number; gzip: number }>;
  total: { raw: number; gzip: number };
}

/** the demo's first step, or why there is no number */
export type DemoFirstStep = { toFirstStepMs: number; fromClickMs: number } | { unavailable: string };

/** a JS heap: a sample, or the largest of each part over many */
export interface HeapBytes {
  /** V8 heap in use */
  usedBytes: number;
  /** ArrayBuffer backing stores */
  backingBytes: number;
}

export interface ImportScale {
  files: number;
  fileBytes: number;
  classes: number;
  role: 'unlabeled';
  imported: number;
  skipped: number;
  seconds: number;
  imagesPerSec: number;
  heap: { page: HeapBytes; worker: HeapBytes | null; samples: number };
  indexedDb: { beforeBytes: number; afterBytes: number; bytesPerImage: number };
  longTasks: { count: number; over200ms: number; longestMs: number; blockedMs: number };
  generatedS: number;
}

export type ImportScaleResult = ImportScale | { unavailable: string };

export type Workload = 'student train step' | 'teacher logits';

/** teacher labels (bench/labels.ts): labelling speed, steps from labels against the online teacher, file sizes */
export interface LabelsBench {
  labelling: { backend: string; views: number; seconds: number; viewsPerSec: number; note?: string }[];
  steps: { shell: string; backend: string; teacher: 'online' | 'labels'; steps: number; secondsPerStep: number }[];
  fileBytes: { dtype: 'float32' | 'float16'; classes: number; views: number; bytes: number; bytesPer1000Views: number }[];
}

export interface ThroughputRow {
  workload: Workload;
  geometry: string;
  backend: string;
  timing: Timing | null;
  /** why there is no number */
  note?: string;
}

export interface ProfileRow {
  workload: Workload;
  geometry: string;
  backend: string;
  profile: KernelProfile | null;
  note?: string;
}

export interface BenchResults {
  date: string;
  batch: number;
  /** the --only patterns ('' = everything) */
  only: string;
  machine: {
    cpu: string;
    cores: number;
    memoryBytes: number;
    /** the 1-minute load average at the start and at the end: other work on the machine inflates every time */
    loadAverage: { start: number; end: number | null };
    node: string;
    chromium: string | null;
    pageHardwareConcurrency: number | null;
    crossOriginIsolated: boolean | null;
    webgpuAdapter: GpuProbe | null;
  };
  /** what the onnxruntime-node backends ran on */
  nodeDevices: { 'node-cpu'?: NodeDevice; 'node-webgpu'?: NodeDevice | { error: string } };
  geometries: { demo?: GeometryJson & { source: string }; real: GeometryJson };
  throughput: ThroughputRow[];
  /** onnxruntime's per-kernel profile of one run of each workload */
  profiles: ProfileRow[];
  flops?: Pick<StudentStepCosts, 'pruned' | 'allWeights'> & { geometry: string };
  memory?: StudentStepCosts['memory'];
  teacherPasses?: { config: { images: number; epochs: number; batch: number }; runs: Record<string, TeacherCount> };
  firstLoad?: FirstLoad | { error: string };
  /** by the studio settings it ran with ('studio defaults' or a URL hash) */
  demoFirstStep: { settings: string; result: DemoFirstStep }[];
  /** a folder of generated JPEGs imported through the folder input */
  importScale?: ImportScaleResult;
  /** a 2,000-step WASM run of the demo: memory and IndexedDB after each checkpoint, pruning at K */
  longRun?: LongRunResult;
  labels?: LabelsBench | { unavailable: string };
  /** kernels per run, now and before the kernel work */
  kernels?: Kernels;
  /** one steady demo step's buffers, uploads and readbacks on each WebGPU backend in Chromium */
  stepTraffic?: StepTrafficResult;
  /** the demo student's steps with graph capture on and off, on each WebGPU backend in Chromium */
  graphCapture?: GraphCaptureResult;
  /** the teacher on onnxruntime-node's CPU with fused and with plain attention */
  fusedAttention?: FusedAttention[];
  /** why Chromium was not measured */
  chromiumError?: string;
  /** set when the run hit its time limit */
  stoppedEarly?: string;
  seconds: number;
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const kB = (b: number) => `${(b / 1000).toFixed(0)} kB`;
const secs = (ms: number) => (ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const gflop = (f: number) => `${(f / 1e9).toFixed(1)} GFLOP`;

export const adapterName = (a: GpuProbe): string =>
  (a.info ? [a.info.vendor, a.info.architecture, a.info.device, a.info.description].filter(Boolean).join(' ') : '') || 'unnamed adapter';

/** A Markdown table; a row shorter than the header ends in one cell spanning the rest (a note). */
function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r.length === header.length ? (r[i] ?? '') : '').length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === r.length - 1 && r.length < header.length ? c : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const pctOf = (x: number) => `${(100 * x).toFixed(1)}%`;
const shapes = (s: number[][]) => s.map((d) => `[${d.join(',')}]`).join(' ');

/** per profile: its share by op and its longest kernels */
export function formatProfiles(profiles: readonly ProfileRow[], top = 5): string[] {
  const out: string[] = [];
  for (const p of profiles) {
    out.push('', `Kernel profile: ${p.workload}, ${p.geometry}, ${p.backend}`);
    if (!p.profile) {
      out.push(p.note ?? 'not measured');
      continue;
    }
    const k = p.profile;
    out.push(
      `${k.kernels} kernels, ${secs(k.kernelMs)} of ${k.clock === 'gpu' ? 'GPU time (timestamps)' : 'kernel time'} in a run of ${secs(k.runMs)}`,
    );
    out.push(
      table(
        ['op', 'share', 'time', 'kernels'],
        k.byOp.slice(0, 8).map((o) => [o.op, pctOf(o.share), secs(o.ms), String(o.kernels)]),
      ),
    );
    out.push(
      table(
        ['longest kernels', 'inputs', 'share', 'time'],
        k.top.slice(0, top).map((t) => [t.node, shapes(t.shapes), pctOf(t.share), secs(t.ms)]),
      ),
    );
  }
  return out;
}

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  out.push(
    `PromptKD Studio benchmark — ${r.machine.cpu} (${r.machine.cores} cores), Node ${r.machine.node}, Chromium ${r.machine.chromium ?? 'not run'}`,
  );
  const a = r.machine.webgpuAdapter;
  out.push(
    `WebGPU adapter: ${!a ? 'not probed' : a.ok ? `${adapterName(a)}${a.info.isFallbackAdapter ? ' (isFallbackAdapter: software)' : ''}` : `none (${a.reason})`}`,
  );
  const nw = r.nodeDevices['node-webgpu'];
  if (nw)
    out.push(
      `onnxruntime-node WebGPU: ${'error' in nw ? `not started (${nw.error})` : `${nw.adapter}${nw.software ? ' (software)' : ''}`}`,
    );
  if (r.only) out.push(`Only: ${r.only}`);
  if (r.stoppedEarly) out.push(`INCOMPLETE: ${r.stoppedEarly}`);
  if (r.chromiumError) out.push(`Chromium rows not measured: ${r.chromiumError}`);

  out.push(
    '',
    `Throughput, batch ${r.batch} (warm-up = session creation + weight upload + first run; steady = median of the runs after it)`,
  );
  out.push(
    table(
      ['workload', 'geometry', 'backend', 'warm-up', 'steady (runs)', 'images/s'],
      r.throughput.map((row) =>
        row.timing
          ? [
              row.workload,
              row.geometry,
              row.backend,
              secs(row.timing.warmupMs),
              `${secs(row.timing.medianMs)} (${row.timing.runsMs.length})`,
              `${row.timing.imagesPerSec.toFixed(row.timing.imagesPerSec < 10 ? 2 : 0)}${row.note ? ` (${row.note})` : ''}`,
            ]
          : [row.workload, row.geometry, row.backend, row.note ?? ''],
      ),
    ),
  );

  out.push(...formatProfiles(r.profiles));
  out.push(...formatGpuSections(r));
  const f = r.flops;
  if (f) {
    out.push('', `Train-step FLOPs ÷ forward FLOPs (${f.geometry}; forward ${gflop(f.pruned.forward)})`);
    out.push(
      table(
        ['variant', 'train step', 'ratio'],
        [
          ['prompts + projector trained (frozen weights get no backward)', gflop(f.pruned.train), f.pruned.ratio.toFixed(3)],
          ['every weight differentiated as well', gflop(f.allWeights.train), f.allWeights.ratio.toFixed(3)],
        ],
      ),
    );
  }
  const m = r.memory;
  if (m) {
    out.push('', `Train-step device memory, ViT-B/16 student, batch ${r.batch} (estimate from the graph; model in bench/graph-costs.ts)`);
    out.push(
      table(
        ['part', 'bytes'],
        [
          ['frozen CLIP weights', MiB(m.frozenBytes)],
          ['trainable params + momentum + BN running stats', MiB(m.stateBytes)],
          ['step inputs (pixels, teacher logits, text features, lr)', MiB(m.dataBytes)],
          ['activations kept for backward', MiB(m.keptForBackwardBytes)],
          [
            'largest transient',
            m.largestTransient
              ? `${MiB(m.largestTransient.bytes)} (${m.largestTransient.op} [${m.largestTransient.shape.join(',')}])`
              : '-',
          ],
          ['peak intermediates (kept + transients + outputs)', MiB(m.peakIntermediateBytes)],
          ['total: inputs + peak intermediates', MiB(m.totalBytes)],
        ],
      ),
    );
  }
  const t = r.teacherPasses;
  if (t) {
    out.push(
      '',
      `Teacher passes per distillation run (demo config: ${t.config.images} unlabeled images, ${t.config.epochs} epochs, batch ${t.config.batch})`,
    );
    out.push(
      table(
        ['views', 'teacher images', 'teacher calls', 'steps'],
        Object.entries(t.runs).map(([k, c]) => [k, String(c.teacherImages), String(c.teacherCalls), String(c.steps)]),
      ),
    );
  }
  const fl = r.firstLoad;
  if (fl || r.demoFirstStep.length || !r.only) out.push(...formatFirstLoad(r));
  if (r.importScale) out.push(...formatImportScale(r.importScale));
  if (r.longRun) out.push(...formatLongRun(r.longRun));
  if (r.labels) out.push(...formatLabels(r.labels));
  out.push('', `Bench took ${r.seconds.toFixed(0)} s. Results: bench/results.json`);
  return out.join('\n');
}

function formatFirstLoad(r: BenchResults): string[] {
  const out: string[] = [];
  const fl = r.firstLoad;
  out.push('', 'Studio first load (fresh profile; JS, wasm and CSS fetched by the page and its workers)');
  if (!fl) out.push('not measured');
  else if ('error' in fl) out.push(`not measured: ${fl.error}`);
  else {
    out.push(
      table(
        ['kind', 'files', 'raw', 'gzip'],
        [
          ...(['js', 'wasm', 'css'] as const).map((k) => [k, String(fl.byKind[k].files), kB(fl.byKind[k].raw), kB(fl.byKind[k].gzip)]),
          ['total', String(fl.assets.length), kB(fl.total.raw), kB(fl.total.gzip)],
        ],
      ),
    );
  }
  out.push(`Time to the demo's first train step (fresh profile, from navigation; demo-start clicked as soon as enabled):`);
  if (r.demoFirstStep.length === 0) out.push('  not measured');
  for (const { settings, result: d } of r.demoFirstStep) {
    out.push(`  ${settings}: ${'unavailable' in d ? d.unavailable : `${secs(d.toFirstStepMs)} (${secs(d.fromClickMs)} after the click)`}`);
  }
  return out;
}

function formatImportScale(i: ImportScaleResult): string[] {
  if ('unavailable' in i) return ['', `Folder import at scale: ${i.unavailable}`];
  const heap = (h: { usedBytes: number; backingBytes: number } | null) =>
    h ? `${MiB(h.usedBytes)} heap + ${MiB(h.backingBytes)} ArrayBuffers` : 'not sampled';
  return [
    '',
    `Folder import at scale: ${i.files} generated JPEGs (${MiB(i.fileBytes)}, ${i.classes} class folders, 200–800 px) picked with the folder input as ${i.role} images, fresh profile, WASM${i.generatedS ? `; the folder was generated first, in ${secs(i.generatedS * 1000)}` : ''}`,
    table(
      ['measure', 'value'],
      [
        ['imported / skipped', `${i.imported} / ${i.skipped}`],
        ['time, pick to import report', secs(i.seconds * 1000)],
        ['images/s', i.imagesPerSec.toFixed(1)],
        ['peak JS memory, page', heap(i.heap.page)],
        ['peak JS memory, engine worker', heap(i.heap.worker)],
        [
          'IndexedDB growth',
          `${MiB(i.indexedDb.afterBytes - i.indexedDb.beforeBytes)} (${kB(i.indexedDb.bytesPerImage)} per image; JPEGs ${kB(i.fileBytes / i.files)})`,
        ],
        [
          'main-thread tasks > 50 ms',
          `${i.longTasks.count} (${i.longTasks.over200ms} over 200 ms; ${secs(i.longTasks.blockedMs)} blocked beyond 50 ms)`,
        ],
        ['longest main-thread task', secs(i.longTasks.longestMs)],
      ],
    ),
    `(memory: the largest of ${i.heap.samples} samples of Runtime.getHeapUsage, one every 250 ms; storage: navigator.storage.estimate()'s IndexedDB share)`,
  ];
}

function formatLabels(l: LabelsBench | { unavailable: string }): string[] {
  if ('unavailable' in l) return ['', `Teacher labels: ${l.unavailable}`];
  const out = ['', 'Teacher labels on the demo (promptkd label end to end: decode, centre view, teacher, commit)'];
  out.push(
    table(
      ['backend', 'views', 'time', 'views/s'],
      l.labelling.map((r) =>
        r.note ? [r.backend, r.note] : [r.backend, String(r.views), secs(r.seconds * 1000), r.viewsPerSec.toFixed(0)],
      ),
    ),
  );
  const online = (shell: string) => l.steps.find((s) => s.shell === shell && s.teacher === 'online');
  out.push('', 'Time per distillation step, online teacher against labels (demo, batch 32, 1 epoch: every step runs the teacher online)');
  out.push(
    table(
      ['shell', 'backend', 'teacher', 'steps', 's/step', 'vs online'],
      l.steps.map((s) => {
        const base = online(s.shell);
        return [
          s.shell,
          s.backend,
          s.teacher,
          String(s.steps),
          s.secondsPerStep.toFixed(4),
          base ? `${(s.secondsPerStep / base.secondsPerStep).toFixed(2)}×` : '-',
        ];
      }),
    ),
  );
  out.push('', 'Label file size (logits, ids and hashes; the logits are views × classes × 4 or 2 bytes)');
  out.push(
    table(
      ['logits', 'classes', 'views', 'file', 'per 1,000 views'],
      l.fileBytes.map((f) => [f.dtype, String(f.classes), String(f.views), kB(f.bytes), kB(f.bytesPer1000Views)]),
    ),
  );
  return out;
}
