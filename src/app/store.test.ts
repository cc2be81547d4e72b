import { describe, expect, it } from 'vitest';
import type { SelfTestReport } from '../engine/runtime/selftest.ts';
import type { GpuProbe } from './gpu.ts';
import { chooseBackend } from './store.ts';

const gpuOk = { ok: true, info: {} } as GpuProbe;
const report = (onDevice: boolean): SelfTestReport =>
  ({ backend: 'webgpu', probs: [], onDevice, maxErrVsReference: 0, loadMs: 0, runMs: 0 });

describe('chooseBackend', () => {
  it('uses WebGPU only when its self-test kept the output on the GPU', () => {
    expect(chooseBackend(gpuOk, { status: 'ok', report: report(true) })).toEqual({ backend: 'webgpu', fallbackReason: null });
    expect(chooseBackend(gpuOk, { status: 'ok', report: report(false) }).backend).toBe('wasm');
  });

  it('falls back to WASM with the probe reason or the engine error', () => {
    expect(chooseBackend({ ok: false, reason: 'no adapter' }, undefined)).toEqual({ backend: 'wasm', fallbackReason: 'no adapter' });
    expect(chooseBackend(gpuOk, { status: 'failed', error: 'boom' }).fallbackReason).toBe('the WebGPU engine failed: boom');
  });
});
