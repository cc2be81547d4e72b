// The GPU pack's result (the last JSON line from bench/pack-main.ts; the lines before it are its
// parts, printed as they are measured) and what is read off it: the ratios the real-GPU issue asks
// for, and the README's table.
import type { NodeDevice } from '../src/engine/runtime/node.ts';
import { formatGraphCapture } from './gpu-report.ts';
import { NODE_CPU, NODE_WEBGPU, NODE_WEBGPU_BATCH32, NODE_WEBGPU_FP16, NODE_WEBGPU_FP16_STUDENT } from './node-rows.ts';
import { formatProfiles, type ProfileRow, type ThroughputRow, type Workload } from './report.ts';
import { WEB_BACKEND, type WebRowsResult } from './web-rows.ts';

export const PACK_KIND = 'promptkd-gpu-pack/2';
/** a line printed as soon as its part is measured: a row, a profile, the web backends' extras */
export const PACK_PART_KIND = 'promptkd-gpu-pack/2-part';

/** one precision of pytorch_reference.py's output */
interface PytorchTiming {
  images_per_s: number;
  median_ms: number;
  warmup_ms: number;
}
type PytorchWorkload = Partial<Record<'fp32' | 'fp16_autocast', PytorchTiming>>;
export type PytorchResult =
  | { device: string; torch: string; student_train_step: PytorchWorkload; teacher_forward: PytorchWorkload }
  | { error: string };

export interface Ratio {
  workload: Workload;
  /** images/s of onnxruntime-node WebGPU at the real geometry (for the teacher: its labels/s) */
  webgpu: number | null;
  /** images/s of onnxruntime-web's native EP and JSEP (the studio's WebGPU) at the real geometry */
  webNative: number | null;
  webJsep: number | null;
  /** native ÷ JSEP: above 1, the studio's default is the faster one */
  nativeVsJsep: number | null;
  /** WebGPU ÷ PyTorch eager fp32 / fp16 autocast on the same GPU, and ÷ onnxruntime-node CPU on the same machine */
  vsPytorchFp32: number | null;
  vsPytorchFp16: number | null;
  vsNodeCpu: number | null;
}

export interface GpuPackResult {
  kind: typeof PACK_KIND;
  date: string;
  only: string;
  machine: { cpu: string; cores: number; memoryBytes: number; node: string; platform: string };
  vulkan: { driverFiles: string | null };
  nodeDevices: { 'node-cpu'?: NodeDevice; 'node-webgpu'?: NodeDevice | { error: string } };
  geometries: { demo: string; real: string };
  batch: number;
  throughput: ThroughputRow[];
  profiles: ProfileRow[];
  /** onnxruntime-web's WebGPU backends in Node: which started, a step's traffic and dispatches, graph capture */
  web: WebRowsResult | null;
  pytorch: PytorchResult | null;
  ratios: Ratio[];
  stoppedEarly?: string;
  seconds: number;
}

const PYTORCH_KEY: Record<Workload, 'student_train_step' | 'teacher_forward'> = {
  'student train step': 'student_train_step',
  'teacher logits': 'teacher_forward',
};

const div = (a: number | null, b: number | null | undefined) => (a !== null && b ? a / b : null);

export function packRatios(r: Pick<GpuPackResult, 'throughput' | 'pytorch' | 'geometries'>): Ratio[] {
  const speed = (w: Workload, backend: string) =>
    r.throughput.find((t) => t.workload === w && t.geometry === r.geometries.real && t.backend === backend)?.timing?.imagesPerSec ?? null;
  return (['student train step', 'teacher logits'] as const).map((w) => {
    const webgpu = speed(w, NODE_WEBGPU);
    const webNative = speed(w, WEB_BACKEND.native),
      webJsep = speed(w, WEB_BACKEND.jsep);
    const torch = r.pytorch && !('error' in r.pytorch) ? r.pytorch[PYTORCH_KEY[w]] : undefined;
    return {
      workload: w,
      webgpu,
      webNative,
      webJsep,
      nativeVsJsep: div(webNative, webJsep),
      vsPytorchFp32: div(webgpu, torch?.fp32?.images_per_s),
      vsPytorchFp16: div(webgpu, torch?.fp16_autocast?.images_per_s),
      vsNodeCpu: div(webgpu, speed(w, NODE_CPU)),
    };
  });
}

const num = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '–' : x.toFixed(digits));
const ratio = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);

/** the README's table: images/s at the real geometry per backend, the ratios, and the top kernels */
export function formatPackTable(r: GpuPackResult): string {
  const gpu = r.nodeDevices['node-webgpu'];
  const torch = r.pytorch && !('error' in r.pytorch) ? r.pytorch : null;
  const lines = [
    `GPU pack, ${r.date.slice(0, 10)}: ${gpu && !('error' in gpu) ? gpu.adapter : 'no WebGPU adapter'}; PyTorch ${torch ? `${torch.torch} on ${torch.device}` : r.pytorch && 'error' in r.pytorch ? `not run (${r.pytorch.error})` : 'not run'}; CPU ${r.machine.cpu} (${r.machine.cores} cores)`,
    '',
    `| ${r.geometries.real}, batch ${r.batch}, images/s | onnxruntime-node WebGPU | PyTorch fp32 | PyTorch fp16 | onnxruntime-node CPU | WebGPU ÷ PyTorch fp32 | ÷ fp16 | ÷ CPU |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const q of r.ratios) {
    const t = torch?.[PYTORCH_KEY[q.workload]];
    const cpu = r.throughput.find((x) => x.workload === q.workload && x.geometry === r.geometries.real && x.backend === NODE_CPU)?.timing
      ?.imagesPerSec;
    lines.push(
      `| ${q.workload} | ${num(q.webgpu)} | ${num(t?.fp32?.images_per_s)} | ${num(t?.fp16_autocast?.images_per_s)} | ${num(cpu, 2)} | ${ratio(q.vsPytorchFp32)} | ${ratio(q.vsPytorchFp16)} | ${ratio(q.vsNodeCpu)} |`,
    );
  }
  for (const [backend, what, workload] of [
    [NODE_WEBGPU_FP16, 'Teacher with a float16 image tower', 'teacher_forward'],
    [NODE_WEBGPU_FP16_STUDENT, 'Student step with its frozen tower in float16', 'student_train_step'],
  ] as const) {
    const fp16 = r.throughput.find((x) => x.backend === backend && x.geometry === r.geometries.real);
    if (!fp16) continue;
    const t = torch?.[workload];
    lines.push(
      '',
      `${what} (WebGPU shader-f16): ${
        fp16.timing
          ? `${num(fp16.timing.imagesPerSec)} images/s, ${ratio(div(fp16.timing.imagesPerSec, t?.fp32?.images_per_s))} PyTorch fp32, ${ratio(div(fp16.timing.imagesPerSec, t?.fp16_autocast?.images_per_s))} PyTorch fp16${fp16.note ? `; ${fp16.note}` : ''}`
          : fp16.note
      }`,
    );
  }
  const b32 = r.throughput.find((x) => x.backend === NODE_WEBGPU_BATCH32 && x.geometry === r.geometries.real);
  if (b32) lines.push(`Teacher at batch 32 on WebGPU: ${b32.timing ? `${num(b32.timing.imagesPerSec)} images/s` : b32.note}`);
  lines.push(
    '',
    `| the studio's WebGPU (onnxruntime-web in Node), images/s | native EP | JSEP | native ÷ JSEP |`,
    '|---|---|---|---|',
    ...r.ratios.map((q) => `| ${q.workload} | ${num(q.webNative)} | ${num(q.webJsep)} | ${ratio(q.nativeVsJsep)} |`),
  );
  const teacher = r.ratios.find((q) => q.workload === 'teacher logits');
  if (teacher)
    lines.push(`Teacher labels/s (one label a view): onnxruntime-node WebGPU ${num(teacher.webgpu)}, native EP ${num(teacher.webNative)}`);
  for (const t of r.web?.traffic ?? [])
    lines.push(
      `One steady student step, ${t.geometry}, batch ${t.batch}, ${t.entry}: ${t.steady.dispatches} dispatches, ${t.steady.readbacks} readback (${t.steady.bytesRead} B), ${t.steady.buffersCreated} buffers created, ${t.steady.uploads} uploads`,
    );
  if (r.web) lines.push(...formatGraphCapture(r.web.capture));
  lines.push(
    ...formatProfiles(
      r.profiles.filter((p) => p.backend === NODE_WEBGPU),
      3,
    ),
  );
  return lines.join('\n');
}
