// The engine harness page: exposes the engine's checks to Playwright (e2e tests, benchmarks) in a
// real browser, on WebGPU and WASM. It is part of the build so tests exercise what ships. Each probe
// takes the onnxruntime-web entry to run on: 'jsep' (the studio's) or 'native' (onnxruntime-web/webgpu).
import { clipChecks } from '../../src/engine/checks/clip.ts';
import type { Check } from '../../src/engine/checks/compare.ts';
import { httpFixtureSource } from '../../src/engine/checks/fixture-files.ts';
import { promptkdChecks } from '../../src/engine/checks/promptkd.ts';
import { Graph } from '../../src/engine/graph/graph.ts';
import { float32 } from '../../src/engine/graph/tensor.ts';
import * as ort from 'onnxruntime-web';
import { OrtDeviceTensor } from '../../src/engine/runtime/runtime.ts';
import { createWebRuntime, type OrtWebEntry } from '../../src/engine/runtime/web.ts';
import { benchAdapter, benchWorkload, type BenchBackend, type BenchWorkload } from '../harness-bench.ts';
import { DEMO_GEOMETRY } from '../demo-geometry.ts';
import type { GeometryJson } from '../geometry.ts';
import { checkGraphCapture } from '../graph-capture.ts';
import { measureStepTraffic } from '../step-traffic.ts';
import type { WorkloadOptions } from '../workloads.ts';

const wasmPaths = import.meta.env.PROD ? `${import.meta.env.BASE_URL}ort/` : undefined;

export interface FixtureRun {
  backend: 'webgpu' | 'wasm';
  entry: OrtWebEntry;
  checks: Check[];
  /** after the train steps: every parameter, momentum buffer and running stat was a GPU buffer */
  studentStateOnDevice: boolean;
}

/** y = x · exp(s) with s and v uploaded by the runtime (a scalar: 4 bytes, a vector: 12): kernels read them right */
async function uploadedInputs(
  backend: 'webgpu' | 'wasm',
  entry: OrtWebEntry = 'jsep',
): Promise<{ y: number[]; readBack: number[]; onDevice: boolean }> {
  const rt = await createWebRuntime(backend, { wasmPaths, entry });
  const g = new Graph('uploaded-inputs');
  const x = g.input('x', 'float32', [3]);
  g.output('y', g.mul(g.mul(x, g.exp(g.input('s', 'float32', []))), g.input('v', 'float32', [3])));
  const s = await rt.upload(float32([], [Math.log(2)]));
  const v = await rt.upload(float32([3], [1, 10, 100]));
  const session = await rt.load(g);
  const out = await session.run({ x: float32([3], [1, 2, 3]), s, v });
  const y = Array.from((await out.y!.read()).data as Float32Array);
  const readBack = Array.from((await v.read()).data as Float32Array);
  return { y, readBack, onDevice: v.onDevice };
}

/**
 * A kernel bound to a 4-byte buffer (below WebGPU's 16-byte minimum) is rejected by the GPU and
 * would leave zeros: the runtime must turn that into an error. The tensor is made with ORT directly,
 * bypassing the runtime's upload (which pads), to provoke exactly that.
 */
async function rejectedKernelSurfaces(): Promise<string> {
  // JSEP: the raw tensor below is made with the JSEP module imported here, on its device
  const rt = await createWebRuntime('webgpu', { wasmPaths, entry: 'jsep' });
  const g = new Graph('rejected-kernel');
  const x = g.input('x', 'float32', [3]);
  g.output('y', g.mul(x, g.exp(g.input('s', 'float32', []))));
  const device = await ort.env.webgpu.device;
  const tiny = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  const s = new OrtDeviceTensor(ort.Tensor.fromGpuBuffer(tiny, { dataType: 'float32', dims: [] }));
  const session = await rt.load(g);
  try {
    for (let i = 0; i < 3; i++) await session.run({ x: float32([3], [1, 2, 3]), s }); // the error event may come one run late
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
}

const harness = {
  uploadedInputs,
  rejectedKernelSurfaces,
  async fixtureChecks(backend: 'webgpu' | 'wasm', fixtureUrl: string, entry: OrtWebEntry = 'jsep'): Promise<FixtureRun> {
    const rt = await createWebRuntime(backend, { wasmPaths, entry });
    const src = httpFixtureSource(fixtureUrl);
    let studentStateOnDevice = false;
    const checks = [
      ...(await clipChecks(src, rt)),
      ...(await promptkdChecks(src, rt, {
        afterSteps: (session) => {
          studentStateOnDevice = session.stateOnDevice;
        },
      })),
    ];
    return { backend, entry, checks, studentStateOnDevice };
  },
  /** one demo-student step's buffers, uploads, readbacks and dispatches on `entry` (bench/step-traffic.ts) */
  stepTraffic: async (entry: OrtWebEntry, batch: number) =>
    measureStepTraffic(await createWebRuntime('webgpu', { wasmPaths, entry }), DEMO_GEOMETRY, batch),
  /** the demo student's steps with graph capture on and off on `entry` (bench/graph-capture.ts) */
  graphCapture: async (entry: OrtWebEntry, batch: number) =>
    checkGraphCapture(await createWebRuntime('webgpu', { wasmPaths, entry }), DEMO_GEOMETRY, batch),
  /** benchmark (npm run bench): the WebGPU adapter offered here */
  benchAdapter,
  /** benchmark: time a student step or teacher forward on this page's WebGPU or WASM */
  benchWorkload: (
    backend: BenchBackend,
    workload: BenchWorkload,
    geometry: GeometryJson,
    opts: WorkloadOptions,
    entry: OrtWebEntry = 'jsep',
  ) => benchWorkload(backend, workload, geometry, opts, wasmPaths, entry),
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.body.dataset.ready = 'true';
