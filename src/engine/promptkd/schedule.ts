// The student's learning-rate schedule, as Dassl runs it for PromptKD (optim/lr_scheduler.py):
// a constant warm-up at `warmupLr` for the first `warmupEpochs` epochs, then cosine annealing with
// T_max = maxEpoch restarted after the warm-up (WARMUP_RECOUNT), stepped once per epoch.
// With the paper's settings (lr 0.005, 20 epochs, 1 warm-up epoch at 1e-5): epoch 0 → 1e-5,
// epoch e ≥ 1 → 0.0025·(1 + cos(π·(e−1)/20)); it never reaches 0.

export interface LrSchedule {
  lr: number;
  maxEpoch: number;
  warmupEpochs: number;
  warmupLr: number;
}

export const PAPER_SCHEDULE: LrSchedule = { lr: 0.005, maxEpoch: 20, warmupEpochs: 1, warmupLr: 1e-5 };

/** The learning rate used for every step of epoch `epoch` (0-based). */
export function lrAtEpoch(epoch: number, s: LrSchedule): number {
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`lrAtEpoch: epoch must be a non-negative integer, got ${epoch}`);
  if (epoch < s.warmupEpochs) return s.warmupLr;
  return 0.5 * s.lr * (1 + Math.cos((Math.PI * (epoch - s.warmupEpochs)) / s.maxEpoch));
}

/**
 * The two ways a run counts epochs, each used for one thing. A step has a 0-based index (the step
 * being taken) and a count (steps taken so far, after it).
 */
/** the epoch (0-based) that the step of 0-based index `stepIndex` belongs to: its shuffle, its crops, its learning rate */
export const epochOfStep = (stepIndex: number, stepsPerEpoch: number): number => Math.floor(stepIndex / stepsPerEpoch);

/** epochs completed after `steps` steps: what a checkpoint records, where a resumed run goes on from */
export const epochsDone = (steps: number, stepsPerEpoch: number): number => Math.floor(steps / stepsPerEpoch);
