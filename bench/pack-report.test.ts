import { describe, expect, it } from 'vitest';
import { NODE_CPU, NODE_WEBGPU } from './node-rows.ts';
import { formatPackTable, packRatios, type GpuPackResult } from './pack-report.ts';
import type { ThroughputRow } from './report.ts';
import { WEB_BACKEND } from './web-rows.ts';

const REAL = 'ViT-B/16 ← ViT-L/14';
const row = (workload: ThroughputRow['workload'], backend: string, imagesPerSec: number): ThroughputRow => ({
  workload,
  geometry: REAL,
  backend,
  timing: { batch: 8, warmupMs: 1, runsMs: [1], medianMs: 8000 / imagesPerSec, imagesPerSec },
});

const result: GpuPackResult = {
  kind: 'promptkd-gpu-pack/2',
  date: '2026-11-28T00:00:00Z',
  only: '',
  batch: 8,
  seconds: 1,
  machine: { cpu: 'x', cores: 16, memoryBytes: 1, node: 'v20', platform: 'linux-x64' },
  vulkan: { driverFiles: null },
  nodeDevices: { 'node-webgpu': { backend: 'webgpu', adapter: 'nvidia hopper NVIDIA H100', software: false, shaderF16: true } },
  geometries: { demo: 'demo (tiny)', real: REAL },
  throughput: [
    row('student train step', NODE_WEBGPU, 100),
    row('student train step', NODE_CPU, 5),
    row('student train step', WEB_BACKEND.native, 60),
    row('student train step', WEB_BACKEND.jsep, 40),
    row('teacher logits', NODE_WEBGPU, 46),
  ],
  profiles: [],
  web: null,
  pytorch: {
    device: 'NVIDIA H100',
    torch: '2.11',
    student_train_step: {
      fp32: { images_per_s: 200, median_ms: 40, warmup_ms: 1 },
      fp16_autocast: { images_per_s: 400, median_ms: 20, warmup_ms: 1 },
    },
    teacher_forward: { fp32: { images_per_s: 230, median_ms: 35, warmup_ms: 1 } },
  },
  ratios: [],
};

describe('the GPU pack report', () => {
  it('divides WebGPU by PyTorch on the same GPU and by the CPU on the same machine; a missing figure gives no ratio', () => {
    expect(packRatios(result)).toEqual([
      {
        workload: 'student train step',
        webgpu: 100,
        webNative: 60,
        webJsep: 40,
        nativeVsJsep: 1.5,
        vsPytorchFp32: 0.5,
        vsPytorchFp16: 0.25,
        vsNodeCpu: 20,
      },
      {
        workload: 'teacher logits',
        webgpu: 46,
        webNative: null,
        webJsep: null,
        nativeVsJsep: null,
        vsPytorchFp32: 0.2,
        vsPytorchFp16: null,
        vsNodeCpu: null,
      },
    ]);
    expect(packRatios({ ...result, pytorch: { error: 'no CUDA' } })[0]).toMatchObject({ vsPytorchFp32: null, vsNodeCpu: 20 });
  });

  it('prints the README table', () => {
    const table = formatPackTable({ ...result, ratios: packRatios(result) });
    expect(table).toContain('GPU pack, 2026-11-28: nvidia hopper NVIDIA H100; PyTorch 2.11 on NVIDIA H100');
    expect(table).toContain('| student train step | 100.0 | 200.0 | 400.0 | 5.00 | 0.50× | 0.25× | 20.00× |');
    expect(table).toContain('| teacher logits | 46.0 | 230.0 | – | – | 0.20× | – | – |');
    expect(table).toContain('| student train step | 60.0 | 40.0 | 1.50× |');
    expect(table).toContain('Teacher labels/s (one label a view): onnxruntime-node WebGPU 46.0, native EP –');
  });
});
