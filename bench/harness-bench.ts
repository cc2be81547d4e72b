// The benchmark's browser side, exposed on the engine harness page (bench/harness/main.ts) as
// window.harness.bench*: Playwright calls these from bench/browser.ts. One runtime per backend, ORT
// entry and page, created on first use, as the studio's worker keeps one.
import { probeWebGpu, type GpuProbe } from '../src/app/gpu.ts';
import type { Runtime } from '../src/engine/runtime/runtime.ts';
import { createWebRuntime, type OrtWebEntry } from '../src/engine/runtime/web.ts';
import type { GeometryJson } from './geometry.ts';
import { benchStudentStep, benchTeacherForward, type Timing, type WorkloadOptions } from './workloads.ts';

export type BenchBackend = 'webgpu' | 'wasm';
export type BenchWorkload = 'student-step' | 'teacher-forward';

const runtimes = new Map<`${BenchBackend} ${OrtWebEntry}`, Promise<Runtime>>();

/** The WebGPU adapter this browser offers (name, fallback flag, limits), or why there is none. */
export const benchAdapter = (): Promise<GpuProbe> => probeWebGpu();

/** Time one workload on one backend of this page (see bench/workloads.ts). */
export async function benchWorkload(
  backend: BenchBackend,
  workload: BenchWorkload,
  geometry: GeometryJson,
  opts: WorkloadOptions,
  wasmPaths?: string,
  entry: OrtWebEntry = 'jsep',
): Promise<Timing> {
  const key = `${backend} ${entry}` as const;
  let rt = runtimes.get(key);
  if (!rt) {
    rt = createWebRuntime(backend, { wasmPaths, entry });
    runtimes.set(key, rt);
  }
  const run = workload === 'student-step' ? benchStudentStep : benchTeacherForward;
  return run(await rt, geometry, opts);
}
