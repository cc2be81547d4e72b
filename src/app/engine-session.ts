// The page's one engine worker and the events it sends: the live chart takes them at once, the store
// once per animation frame (a burst of steps re-renders the page once). The registry (actions.ts)
// asks the worker through `engine()` and may start a fresh one with `dropEngine`.
import { EngineClient } from '../worker/client.ts';
import type { EngineEvent } from '../worker/protocol.ts';
import { liveChart } from './live-chart-data.ts';
import { applyEvents, useStudio } from './store.ts';

let client: EngineClient | null = null;
let listener: ((e: EngineEvent) => void) | null = null;
let pending: EngineEvent[] = [];
let flushScheduled = false;

/** the worker, started on first use */
export const engine = (): EngineClient => (client ??= new EngineClient(onEngineEvent));

/** ends the worker (its open requests fail with `why`); the next `engine()` starts a fresh one */
export function dropEngine(why: string): void {
  client?.terminate(why);
  client = null;
}

/** `fn` sees every event first, before the chart and the store */
export function watchEngineEvents(fn: (e: EngineEvent) => void): void {
  listener = fn;
}

function flush(): void {
  flushScheduled = false;
  const events = pending;
  pending = [];
  useStudio.setState((s) => applyEvents(s, events));
}

function onEngineEvent(e: EngineEvent): void {
  listener?.(e);
  const run = useStudio.getState().run;
  if (run && 'runId' in e && e.runId === run.runId) {
    if (e.kind === 'step') liveChart.addStep(e.step, e.loss);
    else if (e.kind === 'eval') liveChart.addEval(e.step, e.base, e.new, e.hm);
    else if (e.kind === 'references') liveChart.setReferences(e.teacher, e.studentZeroShot);
  }
  pending.push(e);
  if (flushScheduled) return;
  flushScheduled = true;
  // a hidden tab runs no animation frames: fall back to a timer so the state still catches up
  if (document.visibilityState === 'visible') requestAnimationFrame(flush);
  else setTimeout(flush, 250);
}
