// The typed messages between the app (main thread) and the engine worker. Every request carries an
// id; the worker answers each with exactly one reply of the same id. Events have no id.
import type { SelfTestReport } from '../engine/runtime/selftest.ts';

export type EngineBackend = 'webgpu' | 'wasm';

export type EngineRequest = { id: number; kind: 'selfTest'; backend: EngineBackend };

export type EngineReply =
  | { id: number; ok: true; report: SelfTestReport }
  | { id: number; ok: false; error: string };

/** sent unprompted, e.g. when ORT's GPU device goes away */
export type EngineEvent = { kind: 'deviceLost'; reason: string };

export type EngineMessage = EngineReply | EngineEvent;
