// The GPU-readiness parts of the benchmark's results and their printed tables: kernels per run
// (now, and before the kernel work: bench/kernels-before.json), one train step's GPU traffic against
// STEP_TRAFFIC_LIMITS, and fused against plain attention in the teacher.
import type { OrtWebEntry } from '../src/engine/runtime/runtime.ts';
import type { FusedAttention } from './attention.ts';
import type { GraphCaptureCheck } from './graph-capture.ts';
import before from './kernels-before.json' with { type: 'json' };
import type { StepTraffic } from './step-traffic.ts';
import { STEP_TRAFFIC_LIMITS } from './step-traffic.ts';

export interface KernelCount {
  workload: string;
  geometry: string;
  backend: string;
  batch: number;
  kernels: number;
}

export interface Kernels {
  /** measured at an earlier commit (bench/kernels-before.json) */
  before: { commit: string; note: string; rows: KernelCount[] };
  /** this run's: the kernel profiles' counts and the dispatches of a step in Chromium */
  now: KernelCount[];
}

export type StepTrafficResult =
  | { limits: typeof STEP_TRAFFIC_LIMITS; runs: ({ entry: OrtWebEntry; withinLimits: boolean } & StepTraffic)[] }
  | { unavailable: string };

/** the counts of this run, from its kernel profiles and its Chromium step traffic */
export function kernelsOf(
  profiles: readonly { workload: string; geometry: string; backend: string; profile: { kernels: number } | null }[],
  batch: number,
  traffic: StepTrafficResult | undefined,
): Kernels {
  const now: KernelCount[] = profiles.flatMap((p) =>
    p.profile ? [{ workload: p.workload, geometry: p.geometry, backend: p.backend, batch, kernels: p.profile.kernels }] : [],
  );
  if (traffic && 'runs' in traffic)
    for (const t of traffic.runs)
      now.push({
        workload: 'student train step',
        geometry: t.geometry,
        backend: `Chromium WebGPU, ${t.entry === 'native' ? 'native EP' : 'JSEP'} (dispatches)`,
        batch: t.batch,
        kernels: t.steady.dispatches,
      });
  return { before, now };
}

/** does a steady step keep to the limits (the same checks as e2e/step-traffic.spec.ts) */
export const withinLimits = (t: StepTraffic): boolean =>
  t.steady.readbacks <= STEP_TRAFFIC_LIMITS.readbacks &&
  t.steady.bytesRead <= STEP_TRAFFIC_LIMITS.bytesRead &&
  t.steady.buffersCreated <= STEP_TRAFFIC_LIMITS.buffersCreated &&
  t.steady.uploads <= STEP_TRAFFIC_LIMITS.uploads &&
  t.steady.bytesUploaded === t.batchBytes;

const ms = (x: number) => (x < 1000 ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : `${(x / 1000).toFixed(2)} s`);

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** graph capture on each WebGPU backend, or why it was not checked */
export type GraphCaptureResult = { entry: OrtWebEntry; check: GraphCaptureCheck }[] | { unavailable: string };

/** one line per backend: capture refused, wrong, or right and how fast */
export function formatGraphCapture(r: GraphCaptureResult): string[] {
  if ('unavailable' in r) return [`Graph capture: ${r.unavailable}`];
  return r.map(({ entry, check: c }) => {
    const what = `Graph capture, ${entry}, ${c.geometry} student step, batch ${c.batch}: `;
    if (c.refused) return `${what}refused (${c.refused})`;
    const verdict = c.maxRelDiff <= 1e-5 ? 'same losses' : `WRONG: losses differ by ${c.maxRelDiff.toExponential(1)} of the largest`;
    return `${what}${verdict}; step ${ms(c.medianMs.off)} off, ${ms(c.medianMs.on)} on`;
  });
}

export function formatGpuSections(r: {
  kernels?: Kernels;
  stepTraffic?: StepTrafficResult;
  fusedAttention?: FusedAttention[];
  graphCapture?: GraphCaptureResult;
}): string[] {
  const out: string[] = [];
  if (r.kernels) {
    const k = r.kernels;
    out.push('', `Kernels per run: now, and before (commit ${k.before.commit})`);
    const row = (when: string) => (c: KernelCount) => [when, c.workload, c.geometry, c.backend, String(c.batch), String(c.kernels)];
    out.push(
      ...table(
        ['when', 'workload', 'geometry', 'backend', 'batch', 'kernels'],
        [...k.before.rows.map(row('before')), ...k.now.map(row('now'))],
      ),
    );
  }
  const t = r.stepTraffic;
  if (t) {
    out.push('', 'GPU traffic of one steady student step (demo, after 3 warm-up steps) in Chromium');
    if ('unavailable' in t) out.push(t.unavailable);
    else {
      const L = t.limits;
      out.push(
        `limits: ${L.readbacks} readback of at most ${L.bytesRead} bytes, ${L.buffersCreated} buffers created, ${L.uploads} uploads (the batch)`,
      );
      out.push(
        ...table(
          [
            'WebGPU backend',
            'readbacks',
            'bytes read',
            'buffers created',
            'uploads',
            'bytes up',
            'uniform writes',
            'dispatches',
            'within limits',
          ],
          t.runs.map((s) => [
            s.entry,
            String(s.steady.readbacks),
            String(s.steady.bytesRead),
            String(s.steady.buffersCreated),
            String(s.steady.uploads),
            String(s.steady.bytesUploaded),
            String(s.steady.uniformWrites),
            String(s.steady.dispatches),
            s.withinLimits ? 'yes' : 'NO',
          ]),
        ),
      );
    }
  }
  if (r.graphCapture) out.push('', ...formatGraphCapture(r.graphCapture));
  for (const a of r.fusedAttention ?? []) {
    out.push(
      '',
      `Teacher logits, fused against plain attention: ${a.geometry}, ${a.backend}, batch ${a.batch}: fused ${ms(a.fused.medianMs)}, plain ${ms(a.plain.medianMs)}, ` +
        `plain ÷ fused ${a.speedup.toFixed(2)}; logits differ by ${a.logits.maxRelError.toExponential(1)} of the largest, same top class for ${(100 * a.logits.argmaxAgreement).toFixed(0)}%`,
    );
  }
  return out;
}
