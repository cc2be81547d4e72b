// The main thread's handle on the engine worker: requests become promises.
import type { SelfTestReport } from '../engine/runtime/selftest.ts';
import type { EngineBackend, EngineEvent, EngineMessage, EngineRequest } from './protocol.ts';

type Pending = { resolve: (r: SelfTestReport) => void; reject: (e: Error) => void };

export class EngineClient {
  private readonly worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(onEvent: (e: EngineEvent) => void) {
    this.worker.onmessage = (e: MessageEvent<EngineMessage>) => {
      const m = e.data;
      if (!('id' in m)) return onEvent(m);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.report);
      else p?.reject(new Error(m.error));
    };
    // a worker that fails to load or crashes answers nothing: fail every open request instead of hanging
    this.worker.onerror = (e) => {
      e.preventDefault();
      const err = new Error(`engine worker failed: ${e.message || 'could not load the worker script'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  selfTest(backend: EngineBackend): Promise<SelfTestReport> {
    const id = this.nextId++;
    const request: EngineRequest = { id, kind: 'selfTest', backend };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }
}
