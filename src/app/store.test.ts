import { describe, expect, it } from 'vitest';
import type { SelfTestReport } from '../engine/runtime/selftest.ts';
import type { GpuProbe } from './gpu.ts';
import type { RunSummary } from '../worker/protocol.ts';
import { DEFAULT_STUDIO_OPTIONS } from '../engine/surface.ts';
import { DEMO_SETTINGS } from './settings.ts';
import { applyEvent, applyEvents, chooseBackend, initialState, liveRunOf, type StudioState } from './store.ts';

const gpuOk = { ok: true, info: { isFallbackAdapter: false } } as GpuProbe;
const gpuSoftware = { ok: true, info: { isFallbackAdapter: true } } as GpuProbe;
const report = (onDevice: boolean): SelfTestReport => ({
  backend: 'webgpu',
  probs: [],
  onDevice,
  maxErrVsReference: 0,
  loadMs: 0,
  runMs: 0,
});

describe('chooseBackend', () => {
  it('uses WebGPU only when its self-test kept the output on the GPU', () => {
    expect(chooseBackend(gpuOk, { status: 'ok', report: report(true) })).toEqual({
      backend: 'webgpu',
      fallbackReason: null,
      webgpuUsable: true,
    });
    expect(chooseBackend(gpuOk, { status: 'ok', report: report(false) }).backend).toBe('wasm');
  });

  it('prefers WASM over a software adapter, which stays usable on request', () => {
    const c = chooseBackend(gpuSoftware, { status: 'ok', report: report(true) });
    expect(c).toMatchObject({ backend: 'wasm', webgpuUsable: true });
    expect(c.fallbackReason).toMatch(/software WebGPU adapter.*backend=webgpu/);
  });

  it('falls back to WASM with the probe reason or the engine error', () => {
    expect(chooseBackend({ ok: false, reason: 'no adapter' }, undefined)).toEqual({
      backend: 'wasm',
      fallbackReason: 'no adapter',
      webgpuUsable: false,
    });
    expect(chooseBackend(gpuOk, { status: 'failed', error: 'boom' }).fallbackReason).toBe('the WebGPU engine failed: boom');
  });
});

const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
  id: 'r1',
  createdAt: 0,
  settings: DEMO_SETTINGS,
  options: DEFAULT_STUDIO_OPTIONS,
  classes: ['a', 'b'],
  datasets: { unlabeled: 'u', test: 't' },
  teacher: { mode: 'zero-shot', promptState: 'zs' },
  status: 'running',
  step: 0,
  totalSteps: 100,
  stepsPerEpoch: 20,
  checkpointStep: null,
  checkpoints: [],
  history: [],
  references: null,
  message: null,
  models: {
    student: {
      role: 'student',
      source: 'demo',
      name: 'demo-student',
      imageSize: 32,
      visionLayers: 2,
      visionWidth: 64,
      embedDim: 64,
      textLayers: 1,
      bytes: 1,
    },
    teacher: {
      role: 'teacher',
      source: 'demo',
      name: 'demo-teacher',
      imageSize: 32,
      visionLayers: 4,
      visionWidth: 96,
      embedDim: 64,
      textLayers: 2,
      bytes: 1,
    },
  },
  ...over,
});
const withRun = (over: Partial<RunSummary> = {}): StudioState => ({ ...initialState, run: liveRunOf(summary(over)) });

describe('liveRunOf', () => {
  it('takes the latest loss and evaluation from the history', () => {
    const r = liveRunOf(
      summary({
        step: 45,
        checkpointStep: 40,
        history: [
          { step: 1, loss: 3 },
          { step: 20, loss: 2, base: 0.5, new: 0.4, hm: 0.44 },
          { step: 45, loss: 1 },
        ],
      }),
    );
    expect(r).toMatchObject({
      runId: 'r1',
      step: 45,
      epoch: 2,
      loss: 1,
      latest: { step: 20, base: 0.5, new: 0.4, hm: 0.44 },
      checkpointStep: 40,
    });
  });
});

describe('applyEvent', () => {
  it('keeps a task while it runs and drops it when done', () => {
    let s = applyEvents(initialState, [{ kind: 'progress', task: 'import', done: 3, total: 10, label: 'photos' }]);
    expect(s.tasks.import).toEqual({ done: 3, total: 10, label: 'photos' });
    s = applyEvents(s, [{ kind: 'progress', task: 'import', done: 10, total: 10, label: 'photos' }]);
    expect(s.tasks.import).toBeUndefined();
  });

  it('updates the live run from step, eval, references, checkpoint and status events in order', () => {
    const s = applyEvents(withRun(), [
      { kind: 'references', runId: 'r1', teacher: { base: 0.9, new: 0.8, hm: 0.85 }, studentZeroShot: { base: 0.6, new: 0.4, hm: 0.48 } },
      { kind: 'step', runId: 'r1', step: 1, epoch: 0, loss: 2.5, lr: 1e-5, epochMeanLoss: null },
      { kind: 'step', runId: 'r1', step: 2, epoch: 0, loss: 2.25, lr: 0.005, epochMeanLoss: null },
      { kind: 'eval', runId: 'r1', step: 2, base: 0.7, new: 0.5, hm: 0.58 },
      {
        kind: 'checkpoint',
        runId: 'r1',
        step: 2,
        checkpoints: [
          { step: 1, base: 0.75 },
          { step: 2, base: 0.7 },
        ],
      },
      { kind: 'runStatus', runId: 'r1', status: 'paused', step: 2, message: 'paused by you' },
    ]);
    expect(s.run).toMatchObject({
      step: 2,
      loss: 2.25,
      lr: 0.005,
      latest: { step: 2, hm: 0.58 },
      checkpointStep: 2,
      checkpoints: [
        { step: 1, base: 0.75 },
        { step: 2, base: 0.7 },
      ],
      status: 'paused',
      message: 'paused by you',
      references: { studentZeroShot: { hm: 0.48 } },
    });
  });

  it('ignores metric events of another run', () => {
    const before = withRun();
    const s = applyEvents(before, [
      { kind: 'step', runId: 'other', step: 9, epoch: 0, loss: 1, lr: 1, epochMeanLoss: null },
      { kind: 'eval', runId: 'other', step: 9, base: 1, new: 1, hm: 1 },
    ]);
    expect(s.run).toEqual(before.run);
  });

  it('turns errors, failures and device loss into notices that say what to do, once each', () => {
    const quota = { kind: 'error', error: { kind: 'quota', message: 'Storage is full: delete old runs in the storage panel.' } } as const;
    const s = applyEvents(withRun(), [
      quota,
      quota,
      { kind: 'deviceLost', reason: 'GPU hung' },
      { kind: 'deviceLost', reason: 'GPU hung' },
      { kind: 'runStatus', runId: 'r1', status: 'failed', step: 3, message: 'teacher failed: out of memory; lower the batch size' },
    ]);
    expect(s.notices.map((n) => n.kind)).toEqual(['quota', 'device', 'internal']);
    expect(s.notices[1]!.message).toMatch(/GPU device was lost \(GPU hung\).*paused.*Resume/);
    expect(s.backend).toBe('wasm');
    expect(s.run!.status).toBe('failed');
  });

  it("keeps one device notice: the worker's device error replaces the generic one, in either order", () => {
    const lost = { kind: 'deviceLost', reason: 'GPU hung' } as const;
    const error = {
      kind: 'error',
      error: { kind: 'device', message: 'The GPU was lost; the run is paused at step 40. Resume on WASM.' },
    } as const;
    for (const order of [
      [lost, error],
      [error, lost],
    ]) {
      const s = applyEvents(initialState, order);
      expect(s.notices.map((n) => n.message)).toEqual([error.error.message]);
    }
  });

  it('records storage usage', () => {
    expect(applyEvent(initialState, { kind: 'storage', usage: 5, quota: 10, persisted: true })).toEqual({
      storage: { usage: 5, quota: 10, persisted: true },
    });
  });
});
