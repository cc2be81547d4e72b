// Hyperparameters of a student distillation run as the engine runs them (the paper's values:
// run-settings.ts PAPER_SETTINGS, from configs/trainers/PromptKD/vit_b16_c2_ep20_batch8_4+4ctx.yaml
// and scripts/promptkd/base2new_train.sh).

export interface DistillConfig {
  /** prompt tokens per layer (N_CTX_VISION) */
  nCtx: number;
  /** prompted layers (PROMPT_DEPTH_VISION; 3 in the cross-dataset setting) */
  depth: number;
  temperature: number;
  /** 1000; the paper uses 200 for FGVCAircraft, Flowers102 and DTD */
  kdWeight: number;
  /** the student's logit scale, exp(logit_scale) of OpenAI CLIP */
  logitScale: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  bnMomentum: number;
  bnEps: number;
  batchSize: number;
  epochs: number;
  warmupEpochs: number;
  warmupLr: number;
  /** random resized crop + flip on training images; off: one centre view per image */
  augment: boolean;
  /**
   * crops per image with augmentation: 0 draws a new one every epoch (the paper); K reuses K of
   * them, the crop of epoch e mod K at epoch e, so the teacher labels K views per image (FKD-style)
   */
  views: number;
  seed: number;
}

export class DistillConfigError extends Error {
  override name = 'DistillConfigError';
}

const POSITIVE_INTS = ['nCtx', 'depth', 'batchSize', 'epochs'] as const;
const POSITIVE = ['temperature', 'kdWeight', 'logitScale', 'lr', 'bnEps', 'warmupLr'] as const;
const NON_NEGATIVE = ['weightDecay', 'warmupEpochs', 'views'] as const;

/** Check a config for values PromptKD cannot run with; the message names the field. */
export function validateDistillConfig(c: DistillConfig): DistillConfig {
  for (const k of POSITIVE_INTS)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new DistillConfigError(`${k} must be a positive integer, got ${c[k]}`);
  for (const k of POSITIVE)
    if (!(c[k] > 0) || !Number.isFinite(c[k])) throw new DistillConfigError(`${k} must be a positive number, got ${c[k]}`);
  for (const k of NON_NEGATIVE) if (!(c[k] >= 0) || !Number.isFinite(c[k])) throw new DistillConfigError(`${k} must be ≥ 0, got ${c[k]}`);
  for (const k of ['warmupEpochs', 'views'] as const)
    if (!Number.isInteger(c[k])) throw new DistillConfigError(`${k} must be an integer, got ${c[k]}`);
  for (const k of ['momentum', 'bnMomentum'] as const)
    if (!(c[k] >= 0 && c[k] < 1)) throw new DistillConfigError(`${k} must be in [0, 1), got ${c[k]}`);
  if (c.batchSize < 2) throw new DistillConfigError(`batchSize must be at least 2: BatchNorm needs a batch variance, got ${c.batchSize}`);
  if (!Number.isSafeInteger(c.seed)) throw new DistillConfigError(`seed must be an integer, got ${c.seed}`);
  return c;
}
