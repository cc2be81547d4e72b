// The onnxruntime-node rows of the benchmark: the student train step and the teacher's logits at
// the demo and the real geometry on the CPU and on WebGPU (Dawn), and a kernel profile of each.
// No browser: this is what the GPU pack runs on a machine with a GPU and no Chromium.
import { openNodeRuntime, type NodeDevice, type NodeRuntime } from '../src/engine/runtime/node.ts';
import type { GeometryJson } from './geometry.ts';
import type { BenchWorkload } from './harness-bench.ts';
import { firstLine, type Recorder } from './measure.ts';
import type { Workload } from './report.ts';
import type { GeometryTag, RowFilter, WorkloadTag } from './rows.ts';
import { benchStudentStep, benchTeacherForward, studentFp16LossError, teacherVariantError, type Timing } from './workloads.ts';

export const WORKLOAD_NAME: Record<BenchWorkload, Workload> = { 'student-step': 'student train step', 'teacher-forward': 'teacher logits' };
const WORKLOAD_TAG: Record<BenchWorkload, WorkloadTag> = { 'student-step': 'student', 'teacher-forward': 'teacher' };
export const WORKLOADS = ['student-step', 'teacher-forward'] as const;
export const NODE_CPU = 'onnxruntime-node (CPU)';
export const NODE_WEBGPU = 'onnxruntime-node WebGPU';
export const NODE_WEBGPU_FP16 = 'onnxruntime-node WebGPU, float16 teacher';
export const NODE_WEBGPU_FP16_STUDENT = 'onnxruntime-node WebGPU, float16 student';
export const NODE_WEBGPU_BATCH32 = 'onnxruntime-node WebGPU, batch 32';

export interface NodeRowsOptions {
  geometries: Record<GeometryTag, GeometryJson>;
  batch: number;
  only: RowFilter;
  rec: Recorder;
}

export interface NodeRowsResult {
  /** what each backend ran on; an error line where WebGPU could not start; absent when not asked for */
  devices: { 'node-cpu'?: NodeDevice; 'node-webgpu'?: NodeDevice | { error: string } };
  /** real-geometry CPU timings (the browser rows estimate their time from them) */
  realCpu: Partial<Record<BenchWorkload, Timing | null>>;
}

const GEOMETRIES: readonly GeometryTag[] = ['demo', 'real'];
/** steady-state runs after the warm-up; one on the CPU at the real geometry, where a run takes seconds */
const STEADY: Record<'node-cpu' | 'node-webgpu', Record<GeometryTag, Record<BenchWorkload, number>>> = {
  'node-cpu': { demo: { 'student-step': 5, 'teacher-forward': 5 }, real: { 'student-step': 1, 'teacher-forward': 1 } },
  'node-webgpu': { demo: { 'student-step': 5, 'teacher-forward': 5 }, real: { 'student-step': 10, 'teacher-forward': 10 } },
};

export async function nodeRows({ geometries, batch, only, rec }: NodeRowsOptions): Promise<NodeRowsResult> {
  const result: NodeRowsResult = { devices: {}, realCpu: {} };
  const wanted = (backend: string) =>
    GEOMETRIES.some((g) =>
      WORKLOADS.some((w) => only.wants(WORKLOAD_TAG[w], g, backend) || only.wants('profile', WORKLOAD_TAG[w], g, backend)),
    );
  const backends: { tag: 'node-cpu' | 'node-webgpu'; label: string; rt: NodeRuntime }[] = [];
  // the GPU first: where time runs short (a lent GPU machine's minutes), its numbers are the scarce ones
  for (const [tag, name, label] of [
    ['node-webgpu', 'webgpu', NODE_WEBGPU],
    ['node-cpu', 'cpu', NODE_CPU],
  ] as const) {
    if (!wanted(tag)) continue;
    rec.current = `starting ${label}`;
    try {
      const rt = await openNodeRuntime(name);
      result.devices[tag] = rt.device;
      rec.log(`${label}: ${rt.device.adapter}`);
      backends.push({ tag, label, rt });
    } catch (e) {
      if (tag === 'node-cpu') throw e; // the CPU backend needs nothing installed: a failure there is a bug
      result.devices[tag] = { error: firstLine(e) };
      for (const g of GEOMETRIES)
        for (const w of WORKLOADS) {
          if (only.wants(WORKLOAD_TAG[w], g, tag))
            rec.note({ workload: WORKLOAD_NAME[w], geometry: geometries[g].name, backend: label }, `not started: ${firstLine(e)}`);
        }
    }
  }
  const run = (rt: NodeRuntime, w: BenchWorkload, geo: GeometryJson, steady: number, profile = false) =>
    (w === 'student-step' ? benchStudentStep : benchTeacherForward)(rt, geo, { batch, steady, profile });
  // a software adapter takes minutes for one ViT-B/16 step: the real geometry needs a real GPU
  const softwareNote = (rt: NodeRuntime) => (rt.device.software ? `no GPU: the adapter is a software one (${rt.device.adapter})` : null);

  for (const { tag, label, rt } of backends) {
    for (const g of GEOMETRIES) {
      for (const w of WORKLOADS) {
        if (!only.wants(WORKLOAD_TAG[w], g, tag)) continue;
        const row = { workload: WORKLOAD_NAME[w], geometry: geometries[g].name, backend: label };
        const software = g === 'real' ? softwareNote(rt) : null;
        if (software) {
          rec.note(row, software);
          continue;
        }
        const t = await rec.measure(row, 0, () => run(rt, w, geometries[g], STEADY[tag][g][w]));
        if (tag === 'node-cpu' && g === 'real') result.realCpu[w] = t;
      }
      for (const w of WORKLOADS) if (tag === 'node-webgpu' && only.wants(WORKLOAD_TAG[w], g, tag, 'fp16')) await fp16Tower(rt, g, w);
      // a bigger teacher batch fills a GPU better; the distillation could prefetch views to use it
      if (tag === 'node-webgpu' && only.wants('teacher', g, tag, 'batch32')) {
        const row = { workload: WORKLOAD_NAME['teacher-forward'], geometry: geometries[g].name, backend: NODE_WEBGPU_BATCH32 };
        const software = g === 'real' ? softwareNote(rt) : null;
        if (software) rec.note(row, software);
        else
          await rec.measure(row, 0, () =>
            benchTeacherForward(rt, geometries[g], { batch: 32, steady: STEADY['node-webgpu'][g]['teacher-forward'] }),
          );
      }
    }
    // one profiled run after a warm-up, per workload: at the real geometry, or the demo's on a software adapter
    for (const w of WORKLOADS) {
      const g: GeometryTag = rt.device.software ? 'demo' : 'real';
      if (!only.wants('profile', WORKLOAD_TAG[w], g, tag)) continue;
      await rec.profile({ workload: WORKLOAD_NAME[w], geometry: geometries[g].name, backend: label }, 0, () =>
        run(rt, w, geometries[g], 1, true),
      );
    }
  }
  return result;

  /** a float16 image tower (the teacher's, the student's frozen one) where the adapter computes in f16 (shader-f16), with its error against float32 */
  async function fp16Tower(rt: NodeRuntime, g: GeometryTag, w: BenchWorkload): Promise<void> {
    const student = w === 'student-step';
    const row = {
      workload: WORKLOAD_NAME[w],
      geometry: geometries[g].name,
      backend: student ? NODE_WEBGPU_FP16_STUDENT : NODE_WEBGPU_FP16,
    };
    if (!rt.device.shaderF16)
      return rec.note(row, `the adapter has no shader-f16${rt.device.shaderF16 === null ? ' (or could not be asked)' : ''}`);
    if (g === 'real' && rt.device.software) return rec.note(row, `no GPU: the adapter is a software one (${rt.device.adapter})`);
    const t = await rec.measure(row, 0, () =>
      (student ? benchStudentStep : benchTeacherForward)(rt, geometries[g], {
        batch,
        steady: STEADY['node-webgpu'][g][w],
        precision: 'float16',
      }),
    );
    if (!t) return;
    const noted = (note: string) => {
      rec.throughput[rec.throughput.length - 1]!.note = note;
    };
    try {
      if (student) {
        noted(`vs float32: first step's loss ${(await studentFp16LossError(rt, geometries[g], batch)).toExponential(1)} off`);
      } else {
        const e = await teacherVariantError(rt, geometries[g], batch, { precision: 'float16' });
        noted(
          `vs float32: max error ${e.maxRelError.toExponential(1)} of the largest logit, same top class for ${(100 * e.argmaxAgreement).toFixed(0)}% of images`,
        );
      }
    } catch (e) {
      noted(`vs float32: not compared (${firstLine(e)})`);
    }
  }
}
