// Which checkpoints of a run are kept: the last `keep` by step, and the best on base classes
// (engine/promptkd/metrics.ts bestOnBase: Dassl's best_val). Resume continues from the last one; the
// best stays for results that should not depend on where training happened to stop.
import { bestOnBase } from '../engine/promptkd/metrics.ts';
import type { CheckpointEntry } from './schema.ts';

/** the entries to keep, ascending by step; `keep` ≥ 1 */
export function retainedCheckpoints(entries: readonly CheckpointEntry[], keep: number): CheckpointEntry[] {
  const sorted = [...entries].sort((a, b) => a.step - b.step);
  const kept = new Set(sorted.slice(-Math.max(1, keep)));
  const best = bestOnBase(sorted);
  if (best) kept.add(best);
  return sorted.filter((e) => kept.has(e));
}
