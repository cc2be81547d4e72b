// The student distillation loop: which images each step sees, at which learning rate, with
// which teacher logits.
//
// Everything a step does is a function of (seed, step) alone: the epoch's order is a shuffle seeded
// by (seed, epoch), the crop and flip of an image by (seed, view epoch, the image's id), so a run
// resumed from a checkpoint at step k takes exactly the steps an uninterrupted run takes after k.
// The crop is keyed on the id, not on the image's place in the list, so it stays the same when other
// files join or leave the folder, and a teacher can label an image's views without knowing the rest
// of the folder (teacher-labels.ts). Like Dassl with drop_last, an epoch is ⌊N/B⌋ full batches (the
// train graph has a static batch size).
import { rng, seedOfString } from '../random.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { DistillConfig } from './config.ts';
import { epochOfStep, lrAtEpoch } from './schedule.ts';
import type { StudentSession } from './session.ts';
import type { ViewRef } from './teacher-cache.ts';

export interface TrainView extends ViewRef {
  /** index into the image list */
  index: number;
  /** which of the image's views: 0 for the centre view, else the view epoch (viewEpoch) */
  view: number;
  /** seeds the random crop and flip of this view; null: the plain centre view */
  augmentSeed: number | null;
}

export interface TrainImages {
  /** stable ids of the unlabeled training images (e.g. relative paths) */
  readonly ids: readonly string[];
  /** the student's pixels [B,3,S,S] for these views */
  pixels(views: readonly TrainView[]): Promise<HostTensor>;
}

export interface StepProgress {
  step: number; //         0-based index of the step just taken
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  lr: number;
  loss: number;
}

/** the teacher's logits [B,C] of these views: a frozen teacher run (through its cache) or labels read from a file */
export type TeacherLogitsOf = (views: readonly TrainView[]) => Promise<HostTensor>;

export interface DistillHooks {
  onStep?(p: StepProgress): void | Promise<void>;
  /** after the last step of `epoch`; `step` is the number of steps taken so far */
  onEpochEnd?(epoch: number, step: number): void | Promise<void>;
  /** polled before every step; true stops the run cleanly */
  shouldStop?(): boolean;
}

/**
 * The epoch whose crop an image shows at `epoch`: its own, or with `views` = K > 0 the crop of
 * epoch e mod K, so that only K crops per image are ever drawn.
 */
export const viewEpoch = (epoch: number, views: number): number => (views > 0 ? epoch % views : epoch);

/** the seed of the crop and flip that image `imageId` shows in view epoch `view` */
export const augmentSeedOf = (seed: number, view: number, imageId: string): number => mixSeed(seed, view, seedOfString(imageId));

/** A 32-bit mix of integers (murmur3's finaliser over a running hash). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export class Distiller {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private orderCache: { epoch: number; order: number[] } | null = null;

  constructor(
    private readonly config: DistillConfig,
    private readonly session: StudentSession,
    private readonly teacherLogits: TeacherLogitsOf,
    private readonly images: TrainImages,
  ) {
    const n = images.ids.length,
      B = config.batchSize;
    if (n < B) throw new Error(`${n} training images are fewer than the batch size ${B}; add images or lower the batch size`);
    this.stepsPerEpoch = Math.floor(n / B);
    this.totalSteps = this.stepsPerEpoch * config.epochs;
  }

  /** the image order of `epoch` */
  epochOrder(epoch: number): number[] {
    if (this.orderCache?.epoch !== epoch) {
      const order = rng(mixSeed(this.config.seed, epoch)).shuffle([...this.images.ids.keys()]);
      this.orderCache = { epoch, order };
    }
    return this.orderCache.order;
  }

  /** the views step `step` trains on */
  viewsAt(step: number): TrainView[] {
    const epoch = epochOfStep(step, this.stepsPerEpoch),
      B = this.config.batchSize;
    const at = (step % this.stepsPerEpoch) * B;
    const { augment, seed, views } = this.config,
      view = augment ? viewEpoch(epoch, views) : 0;
    return this.epochOrder(epoch)
      .slice(at, at + B)
      .map((index) => {
        const imageId = this.images.ids[index]!;
        const augmentSeed = augment ? augmentSeedOf(seed, view, imageId) : null;
        return { index, imageId, view, viewId: augmentSeed === null ? 'center' : `aug:${augmentSeed}`, augmentSeed };
      });
  }

  /** Take steps [from, to) (to ≤ totalSteps). Returns the number of steps taken so far. */
  async run(from: number, to: number, hooks: DistillHooks = {}): Promise<number> {
    let step = from;
    for (; step < Math.min(to, this.totalSteps); step++) {
      if (hooks.shouldStop?.()) break;
      const epoch = epochOfStep(step, this.stepsPerEpoch);
      const c = this.config;
      const lr = lrAtEpoch(epoch, { lr: c.lr, maxEpoch: c.epochs, warmupEpochs: c.warmupEpochs, warmupLr: c.warmupLr });
      const views = this.viewsAt(step);
      const teacherLogits = await this.teacherLogits(views); // [B,C]
      const { loss } = await this.session.step(await this.images.pixels(views), teacherLogits, lr);
      const stepInEpoch = step % this.stepsPerEpoch;
      await hooks.onStep?.({ step, epoch, stepInEpoch, stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps, lr, loss });
      if (stepInEpoch === this.stepsPerEpoch - 1) await hooks.onEpochEnd?.(epoch, step + 1);
    }
    return step;
  }
}
