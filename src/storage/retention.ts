// Which checkpoints of a run are kept: the last `keep` by step, and the best on base classes (the
// highest base accuracy among evaluated ones, the earliest on a tie, as Dassl's best_val keeps the
// first model that reached it). Resume continues from the last one; the best stays for results
// that should not depend on where training happened to stop.
import type { CheckpointEntry } from './schema.ts';

/** the entries to keep, ascending by step; `keep` ≥ 1 */
export function retainedCheckpoints(entries: readonly CheckpointEntry[], keep: number): CheckpointEntry[] {
  const sorted = [...entries].sort((a, b) => a.step - b.step);
  const kept = new Set(sorted.slice(-Math.max(1, keep)));
  const best = bestCheckpoint(sorted);
  if (best) kept.add(best);
  return sorted.filter((e) => kept.has(e));
}

/** the entry with the highest base accuracy (the earliest of equals); null when none was evaluated */
export function bestCheckpoint(entries: readonly CheckpointEntry[]): CheckpointEntry | null {
  let best: CheckpointEntry | null = null;
  for (const e of [...entries].sort((a, b) => a.step - b.step)) {
    if (e.base !== null && (best === null || e.base > best.base!)) best = e;
  }
  return best;
}
