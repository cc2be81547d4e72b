// App state (zustand): what the panels show. Only actions (actions.ts) write it.
import { create } from 'zustand';
import type { SelfTestReport } from '../engine/runtime/selftest.ts';
import type { EngineBackend } from '../worker/protocol.ts';
import type { GpuProbe } from './gpu.ts';

export type SelfTestEntry =
  | { status: 'running' }
  | { status: 'ok'; report: SelfTestReport }
  | { status: 'failed'; error: string };

export interface StudioState {
  /** null until the browser has been asked */
  gpu: GpuProbe | null;
  /** the backend the studio computes on; null until the self-test has decided */
  backend: EngineBackend | null;
  /** why the studio is not on WebGPU; null when it is (or before it is decided) */
  fallbackReason: string | null;
  selfTest: Partial<Record<EngineBackend, SelfTestEntry>>;
}

export const initialState: StudioState = { gpu: null, backend: null, fallbackReason: null, selfTest: {} };

export const useStudio = create<StudioState>()(() => initialState);

/** WebGPU when the browser offers it and the engine really ran on it; otherwise WASM, with the reason. */
export function chooseBackend(gpu: GpuProbe, webgpu: SelfTestEntry | undefined): Pick<StudioState, 'backend' | 'fallbackReason'> {
  if (!gpu.ok) return { backend: 'wasm', fallbackReason: gpu.reason };
  if (webgpu?.status === 'ok' && webgpu.report.onDevice) return { backend: 'webgpu', fallbackReason: null };
  if (webgpu?.status === 'ok') return { backend: 'wasm', fallbackReason: 'the WebGPU session returned its output on the CPU, not in a GPU buffer' };
  if (webgpu?.status === 'failed') return { backend: 'wasm', fallbackReason: `the WebGPU engine failed: ${webgpu.error}` };
  return { backend: 'wasm', fallbackReason: 'the WebGPU self-test did not run' };
}
