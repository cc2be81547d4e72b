// The JS heaps of a studio page and of its engine worker, read over the DevTools protocol
// (Runtime.getHeapUsage): the V8 heap in use and the ArrayBuffer backing stores (where decoded pixels
// and host tensors live). The worker is reached through its auto-attached target session.
import type { CDPSession } from '@playwright/test';
import type { HeapBytes } from './report.ts';

export interface HeapNow {
  page: HeapBytes;
  /** the page's dedicated workers summed (the studio has one: the engine); null when none answered */
  worker: HeapBytes | null;
}

/** attaches to the page's workers; the returned function reads both heaps now */
export async function heapProbe(cdp: CDPSession): Promise<(options?: { collectGarbage?: boolean }) => Promise<HeapNow>> {
  const workers = new Set<string>();
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type === 'worker') workers.add(e.sessionId);
  });
  cdp.on('Target.detachedFromTarget', (e) => {
    workers.delete(e.sessionId);
  });
  const waiting = new Map<number, (r: unknown) => void>();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) waiting.get(m.id)?.(m.result ?? null);
  });
  // the flat-less protocol: messages to a worker travel inside Target.sendMessageToTarget
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  let id = 1;
  /** a protocol method's result in a worker; null if it did not answer within 10 s */
  const inWorker = <T>(sessionId: string, method: string) =>
    new Promise<T | null>((resolve) => {
      const i = id++;
      const timer = setTimeout(() => {
        waiting.delete(i);
        resolve(null);
      }, 10_000);
      waiting.set(i, (r) => {
        clearTimeout(timer);
        waiting.delete(i);
        resolve(r as T);
      });
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method }) }).catch(() => resolve(null));
    });
  /** `collectGarbage`: a full GC first, so that the figures are what is still reachable (not yet-to-be-collected garbage) */
  return async ({ collectGarbage = false } = {}) => {
    if (collectGarbage) await cdp.send('HeapProfiler.collectGarbage');
    const p = await cdp.send('Runtime.getHeapUsage');
    // onnxruntime's own threads are not JS workers that import: the engine is the one that answers
    let used = 0,
      backing = 0,
      seen = false;
    for (const s of workers) {
      if (collectGarbage) await inWorker(s, 'HeapProfiler.collectGarbage');
      const w = await inWorker<{ usedSize: number; backingStorageSize: number }>(s, 'Runtime.getHeapUsage');
      if (w) {
        used += w.usedSize;
        backing += w.backingStorageSize;
        seen = true;
      }
    }
    return {
      page: { usedBytes: p.usedSize, backingBytes: p.backingStorageSize },
      worker: seen ? { usedBytes: used, backingBytes: backing } : null,
    };
  };
}
