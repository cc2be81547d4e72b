// The benchmark's workloads on onnxruntime-web's two WebGPU backends, in Node on Dawn (the npm
// package `webgpu`): JSEP, which the studio ships, and the native WebGPU EP (onnxruntime-web/webgpu).
// For a machine with a GPU and no browser (the GPU pack), so both can be timed on a real GPU.
//
// Bundles into one ESM file for Node (esbuild); onnxruntime-web itself is not bundled but loaded at
// run time from `ortDir`, which must hold WEB_ENTRY_FILES[entry] from onnxruntime-web's dist/.
//
// V8 tiers ORT's hot wasm functions up with TurboFan on background threads, and a few are huge: on
// this 2-core VM one function of the native build compiles for ~50 s and two of JSEP's for ~110 s
// each. Meanwhile they take a core from the work (the fixture checks ran 3× slower than under
// `node --liftoff-only`), and the process cannot exit before they finish (~80 s after the native
// entry ran, ~170 s after JSEP). `--liftoff-only` avoids both but runs ORT's wasm unoptimised, which
// should cost the native EP more (its shader generation and dispatch are wasm) than JSEP (there they
// are JS). On a machine with cores to spare, keep the default and end the process once its output is out.
import type { OrtWebEntry, WebRuntime } from '../src/engine/runtime/web-core.ts';
import { openWebRuntimeInNode, ORT_WEB_FILES } from '../src/engine/runtime/web-node.ts';
import type { GeometryJson } from './geometry.ts';
import type { BenchWorkload } from './harness-bench.ts';
import { benchStudentStep, benchTeacherForward, type Timing, type WorkloadOptions } from './workloads.ts';

export type { OrtWebEntry };

/** the files `ortDir` must hold for each entry (copy them from node_modules/onnxruntime-web/dist/) */
export const WEB_ENTRY_FILES = ORT_WEB_FILES;

const runtimes = new Map<OrtWebEntry, Promise<WebRuntime>>();

/** one runtime per entry and process, created on first use, as a page keeps one */
export function webRuntimeInNode(entry: OrtWebEntry, ortDir: string): Promise<WebRuntime> {
  let rt = runtimes.get(entry);
  if (!rt) {
    rt = openWebRuntimeInNode(entry, { ortDir });
    runtimes.set(entry, rt);
    rt.catch(() => runtimes.delete(entry));
  }
  return rt;
}

/** Time one workload (see bench/workloads.ts) on onnxruntime-web's `entry` WebGPU backend. */
export async function benchWebEntryInNode(
  entry: OrtWebEntry,
  workload: BenchWorkload,
  geometry: GeometryJson,
  opts: WorkloadOptions,
  ortDir: string,
): Promise<Timing> {
  const rt = await webRuntimeInNode(entry, ortDir);
  return (workload === 'student-step' ? benchStudentStep : benchTeacherForward)(rt, geometry, opts);
}
