// Graph capture checked and timed: the same student steps (same weights, batch and learning rate)
// with onnxruntime-web's graph capture on and off, on one WebGPU runtime. The losses of the steps
// must agree: a replay that read stale buffers would drift from the second step on.
import type { Runtime } from '../src/engine/runtime/runtime.ts';
import type { GeometryJson } from './geometry.ts';
import { benchStudent } from './workloads.ts';

export interface GraphCaptureCheck {
  geometry: string;
  batch: number;
  /** the loss of each step, without and with capture */
  losses: { off: number[]; on: number[] };
  /** max |on − off| ÷ max |off| over the losses */
  maxRelDiff: number;
  /** median step time after the first (ms), without and with capture */
  medianMs: { off: number; on: number };
  /** why capture could not be used, instead of the 'on' numbers */
  refused?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function run(rt: Runtime, geometry: GeometryJson, batch: number, steps: number, graphCapture: boolean) {
  const { session, step } = await benchStudent(rt, geometry, batch, { graphCapture });
  try {
    const losses: number[] = [],
      ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t = performance.now();
      losses.push((await step()).loss);
      ms.push(performance.now() - t);
    }
    return { losses, medianMs: median(ms.slice(1)) };
  } finally {
    await session.release();
  }
}

export async function checkGraphCapture(rt: Runtime, geometry: GeometryJson, batch: number, steps = 6): Promise<GraphCaptureCheck> {
  const off = await run(rt, geometry, batch, steps, false);
  const base = { geometry: geometry.name, batch };
  let on: Awaited<ReturnType<typeof run>>;
  try {
    on = await run(rt, geometry, batch, steps, true);
  } catch (e) {
    const refused = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    return {
      ...base,
      losses: { off: off.losses, on: [] },
      maxRelDiff: Number.NaN,
      medianMs: { off: off.medianMs, on: Number.NaN },
      refused,
    };
  }
  const scale = Math.max(...off.losses.map(Math.abs));
  const maxRelDiff = Math.max(...off.losses.map((l, i) => Math.abs(l - on.losses[i]!))) / scale;
  return { ...base, losses: { off: off.losses, on: on.losses }, maxRelDiff, medianMs: { off: off.medianMs, on: on.medianMs } };
}
