// The GPU pack's onnxruntime-web rows: the studio's own WebGPU backends (the native EP, the studio's
// default, and JSEP, its fallback) in Node on Dawn (bench/web-in-node.ts), on the pack's GPU: the
// student step and the teacher at both geometries, one step's GPU traffic and dispatches (its
// kernels) at the real geometry, and graph capture checked on the demo student.
import type { OrtWebEntry } from '../src/engine/runtime/runtime.ts';
import type { GeometryJson } from './geometry.ts';
import type { GraphCaptureResult } from './gpu-report.ts';
import { checkGraphCapture } from './graph-capture.ts';
import { firstLine, type Recorder } from './measure.ts';
import { WORKLOAD_NAME, WORKLOADS } from './node-rows.ts';
import type { GeometryTag, RowFilter, WorkloadTag } from './rows.ts';
import { measureStepTraffic, type StepTraffic } from './step-traffic.ts';
import { webRuntimeInNode } from './web-in-node.ts';
import { benchStudentStep, benchTeacherForward } from './workloads.ts';

export const WEB_BACKEND: Record<OrtWebEntry, string> = {
  native: 'onnxruntime-web native WebGPU EP',
  jsep: 'onnxruntime-web JSEP',
};
const TAG: Record<OrtWebEntry, 'web-native' | 'web-jsep'> = { native: 'web-native', jsep: 'web-jsep' };
const WORKLOAD_TAG: Record<(typeof WORKLOADS)[number], WorkloadTag> = { 'student-step': 'student', 'teacher-forward': 'teacher' };
const GEOMETRIES: readonly GeometryTag[] = ['demo', 'real'];
const STEADY: Record<GeometryTag, number> = { demo: 5, real: 10 };

export interface WebRowsOptions {
  geometries: Record<GeometryTag, GeometryJson>;
  batch: number;
  only: RowFilter;
  rec: Recorder;
  /** onnxruntime-web's dist/ files (ORT_WEB_FILES of both entries) */
  ortDir: string;
  /** the adapter is a software one: the real geometry would take minutes a step */
  software: boolean;
}

export interface WebRowsResult {
  /** per entry: started, or why not */
  entries: Partial<Record<OrtWebEntry, 'started' | { error: string }>>;
  /** one steady step's traffic and dispatches per entry, at the real geometry (the demo's on a software adapter) */
  traffic: ({ entry: OrtWebEntry } & StepTraffic)[];
  capture: GraphCaptureResult;
}

export async function webRows({ geometries, batch, only, rec, ortDir, software }: WebRowsOptions): Promise<WebRowsResult> {
  const result: WebRowsResult = { entries: {}, traffic: [], capture: [] };
  const capture: Extract<GraphCaptureResult, unknown[]> = [];
  for (const entry of ['native', 'jsep'] as const) {
    const tag = TAG[entry];
    const wanted = (...tags: string[]) => only.wants(...tags, tag);
    const wantsAny = GEOMETRIES.some((g) => WORKLOADS.some((w) => wanted(WORKLOAD_TAG[w], g)) || wanted('traffic', g)) || wanted('capture');
    if (!wantsAny) continue;
    rec.current = `starting ${WEB_BACKEND[entry]}`;
    let rt: Awaited<ReturnType<typeof webRuntimeInNode>>;
    try {
      rt = await webRuntimeInNode(entry, ortDir);
      result.entries[entry] = 'started';
    } catch (e) {
      result.entries[entry] = { error: firstLine(e) };
      rec.log(`${WEB_BACKEND[entry]}: not started (${firstLine(e)})`);
      continue;
    }
    for (const g of GEOMETRIES) {
      for (const w of WORKLOADS) {
        if (!wanted(WORKLOAD_TAG[w], g)) continue;
        const row = { workload: WORKLOAD_NAME[w], geometry: geometries[g].name, backend: WEB_BACKEND[entry] };
        if (g === 'real' && software) rec.note(row, 'no GPU: the adapter is a software one');
        else
          await rec.measure(row, 0, () =>
            (w === 'student-step' ? benchStudentStep : benchTeacherForward)(rt, geometries[g], { batch, steady: STEADY[g] }),
          );
      }
    }
    const trafficAt: GeometryTag = software ? 'demo' : 'real';
    if (wanted('traffic', trafficAt)) {
      rec.current = `a student step's GPU traffic, ${geometries[trafficAt].name}, ${WEB_BACKEND[entry]}`;
      rec.log(`${rec.current} …`);
      try {
        result.traffic.push({ entry, ...(await measureStepTraffic(rt, geometries[trafficAt], batch)) });
      } catch (e) {
        rec.log(`${rec.current}: failed (${firstLine(e)})`);
      }
    }
    if (wanted('capture')) {
      rec.current = `graph capture, ${WEB_BACKEND[entry]}`;
      rec.log(`${rec.current} …`);
      try {
        capture.push({ entry, check: await checkGraphCapture(rt, geometries.demo, batch) });
      } catch (e) {
        rec.log(`${rec.current}: failed (${firstLine(e)})`);
      }
    }
  }
  result.capture = capture;
  return result;
}
