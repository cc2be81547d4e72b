// The demo's test split as the engine's evaluations read it, and a score as the demo reports it.
import { demoPixels, type DemoSplit } from '../engine/demo/data.ts';
import type { Evaluation } from '../engine/promptkd/metrics.ts';
import type { TestImages } from '../engine/promptkd/test-eval.ts';

/** base / new / HM in percent, to 2 decimals (a missing subset counts 0) */
export interface DemoRow {
  base: number;
  new: number;
  hm: number;
}

const percent = (x: number | null) => Math.round(10000 * (x ?? 0)) / 100;

export const demoRow = (e: Evaluation): DemoRow => ({ base: percent(e.base), new: percent(e.new), hm: percent(e.hm) });

/** the demo's 1,000 test images at any input size */
export const demoTestImages = (test: DemoSplit): TestImages => ({
  id: 'demo-test',
  labels: Array.from(test.labels),
  pixels: async (indices, size) => demoPixels(test, indices, size),
});
