// Stage 1: the teacher learns PromptSRC prompts on both towers from a few labeled images of the
// base classes (PromptSRC trainers/promptsrc.py, config vit_l14_c2_ep20_batch8_4+4ctx):
// 16 shots per class (Dassl generate_fewshot_dataset), SGD lr 0.005 momentum 0.9 wd 5e-4, batch 8,
// one warm-up epoch at 1e-5 then cosine, CE + 25·L1(text) + 10·L1(image) + KL(zero-shot), and
// Gaussian prompt aggregation over epochs (GPA, mean 15 std 1 of 20 epochs).
//
// Every step is a function of (seed, epoch, step): the epoch order is a shuffle seeded by
// (seed, epoch) and each batch's augmentation by (seed, epoch, step).
import { zeroState } from '../autodiff/train-step.ts';
import type { ClipWeights } from '../clip/weights.ts';
import { rng, type Rng } from '../random.ts';
import type { DeviceTensor, Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { mixSeed } from './distill.ts';
import { baseNewSplit } from './metrics.ts';
import { argmax } from './top-one.ts';
import { lrAtEpoch } from './schedule.ts';
import { PROMPTSRC_SETTINGS, type TeacherSettings } from './teacher-settings.ts';
import {
  buildTeacherTuneStep,
  CE,
  LOGITS,
  PROMPTSRC_LOSS,
  tuneBatchFeeds,
  tuneClassFeeds,
  type TeacherTuneLoss,
} from './teacher-graphs.ts';
import {
  initTeacherPrompts,
  planTeacherPrompts,
  teacherPromptStateDict,
  teacherPromptsFromStateDict,
  teacherPromptTemplate,
  type TeacherPromptPlan,
  type TeacherPrompts,
} from './teacher-prompts.ts';
import { classTextInputs, initPhraseEmbedding, ZERO_SHOT_TEMPLATES } from './teacher-text.ts';
import { Teacher } from './teacher.ts';

export class TeacherTuneError extends Error {
  override name = 'TeacherTuneError';
}

export interface TeacherTuneConfig {
  nCtx: number;
  /** prompted blocks per tower, clamped to each tower's block count */
  depth: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  warmupEpochs: number;
  warmupLr: number;
  /** labeled images per class (fewer where a class has fewer) */
  shots: number;
  /** 'base': the first ⌈n/2⌉ classes (base-to-new); 'all': every class (cross-dataset teacher) */
  classes: 'base' | 'all';
  loss: TeacherTuneLoss;
  /** Gaussian prompt aggregation over epochs, given for 20 epochs and scaled to `epochs`; null: keep the last prompts */
  gpa: { mean: number; std: number } | null;
  /** random resized crop + flip of the training images (Dassl's train transform) */
  augment: boolean;
  /** prompts for the frozen zero-shot text features of the regularisers */
  zeroShotTemplates: readonly string[];
  seed: number;
}

/** The engine's tuning config for a row of the tuning settings table. */
export function tuneConfigOf(s: TeacherSettings): TeacherTuneConfig {
  return {
    nCtx: s.nCtx,
    depth: s.depth,
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    momentum: s.momentum,
    weightDecay: s.weightDecay,
    warmupEpochs: s.warmupEpochs,
    warmupLr: s.warmupLr,
    shots: s.shots,
    classes: s.allClasses ? 'all' : 'base',
    loss: s.regularisers ? PROMPTSRC_LOSS : { textL1Weight: 0, imageL1Weight: 0, zeroShotKl: false },
    gpa: s.gpa ? { mean: 15, std: 1 } : null,
    augment: s.augment,
    zeroShotTemplates: ZERO_SHOT_TEMPLATES,
    seed: s.seed,
  };
}

export const PROMPTSRC_TUNE_CONFIG: TeacherTuneConfig = tuneConfigOf(PROMPTSRC_SETTINGS);

/** PromptSRC's GPA epoch count: mean and std are given for it */
const GPA_REFERENCE_EPOCHS = 20;

/** A labeled image set, classes in label order (sorted folder names, as Dassl labels them). */
export interface LabeledImageSet {
  readonly classes: readonly string[];
  /** label of every image */
  readonly labels: readonly number[];
  /** preprocessed pixels [n,3,S,S] of images `indices`; with `random`, a random training view of each */
  pixels(indices: readonly number[], random: Rng | null): Promise<HostTensor>;
}

/** The classes tuning trains on (a prefix of the labels), checked for what a cross-entropy needs. */
export function tuningClasses(classes: readonly string[], labels: readonly number[], which: 'base' | 'all'): string[] {
  if (classes.length === 0) throw new TeacherTuneError('the labeled set has no classes');
  const counts = new Array<number>(classes.length).fill(0);
  labels.forEach((y, i) => {
    if (!Number.isInteger(y) || y < 0 || y >= classes.length)
      throw new TeacherTuneError(`image ${i} has label ${y}, outside 0..${classes.length - 1}`);
    counts[y]!++;
  });
  const train = which === 'base' ? classes.slice(0, baseNewSplit(classes.length).base.length) : [...classes];
  if (train.length < 2) {
    const why =
      which === 'base'
        ? `the labeled set has ${classes.length} class${classes.length > 1 ? 'es' : ''} (${classes.map((c) => `'${c}'`).join(', ')}), so ${train.length} base class`
        : `the labeled set has only the class '${classes[0]}'`;
    throw new TeacherTuneError(
      `teacher tuning needs at least 2 classes to tell apart: ${why}${which === 'base' ? '; base-to-new needs at least 3 classes (or tune on all classes)' : ''}`,
    );
  }
  const empty = train.filter((_, c) => counts[c] === 0);
  if (empty.length > 0)
    throw new TeacherTuneError(
      `class${empty.length > 1 ? 'es' : ''} ${empty.map((c) => `'${c}'`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no labeled images`,
    );
  return train;
}

/** Dassl generate_fewshot_dataset (repeat=False): up to `shots` images per class, sampled without replacement. */
export function sampleFewShot(labels: readonly number[], nClasses: number, shots: number, random: Rng): number[] {
  if (!Number.isInteger(shots) || shots < 1) throw new TeacherTuneError(`shots must be a positive integer, got ${shots}`);
  const picked: number[] = [];
  for (let c = 0; c < nClasses; c++) {
    const mine = labels.flatMap((y, i) => (y === c ? [i] : []));
    picked.push(...random.shuffle(mine).slice(0, shots));
  }
  return picked.sort((a, b) => a - b);
}

/** GPA weight of each epoch: a Gaussian over epochs 1…E (mean, std scaled from 20 epochs), summing to 1. */
export function gpaWeights(epochs: number, gpa: { mean: number; std: number }): number[] {
  const k = epochs / GPA_REFERENCE_EPOCHS;
  const mean = gpa.mean * k,
    std = gpa.std * k;
  const raw = Array.from({ length: epochs }, (_, e) => Math.exp(-0.5 * ((e + 1 - mean) / std) ** 2));
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new TeacherTuneError(`GPA weights vanish for ${epochs} epochs (mean ${mean}, std ${std})`);
  return raw.map((w) => w / total);
}

export interface TeacherEpochLog {
  epoch: number;
  lr: number;
  /** mean total loss and mean cross-entropy over the epoch's steps */
  loss: number;
  ce: number;
  /** accuracy of the training batches (before each step's update) */
  trainAccuracy: number;
}

export interface TeacherTuneHooks {
  onEpoch?(log: TeacherEpochLog): void | Promise<void>;
  /** polled before every step; true stops after the current epoch's aggregation */
  shouldStop?(): boolean;
}

export interface TeacherTuneResult {
  /** GPA-aggregated prompts (the last epoch's when GPA is off or the run stopped early) */
  prompts: TeacherPrompts;
  plan: TeacherPromptPlan;
  /** the classes trained on, labels 0…n−1 */
  trainedClasses: string[];
  /** indices of the few-shot images used */
  fewShot: number[];
  history: TeacherEpochLog[];
}

function validateConfig(c: TeacherTuneConfig): void {
  for (const k of ['epochs', 'batchSize', 'shots'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new TeacherTuneError(`${k} must be a positive integer, got ${c[k]}`);
  for (const k of ['lr', 'warmupLr'] as const) if (!(c[k] > 0)) throw new TeacherTuneError(`${k} must be positive, got ${c[k]}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) throw new TeacherTuneError(`momentum must be in [0, 1), got ${c.momentum}`);
  if (!(c.weightDecay >= 0)) throw new TeacherTuneError(`weightDecay must be ≥ 0, got ${c.weightDecay}`);
  if (!Number.isInteger(c.warmupEpochs) || c.warmupEpochs < 0)
    throw new TeacherTuneError(`warmupEpochs must be an integer ≥ 0, got ${c.warmupEpochs}`);
}

const readScalar = async (t: DeviceTensor): Promise<number> => Number((await t.read()).data[0]);

/** Tune teacher prompts on `set`; see the file comment. */
export async function tuneTeacherPrompts(
  runtime: Runtime,
  clip: ClipWeights,
  set: LabeledImageSet,
  config: TeacherTuneConfig = PROMPTSRC_TUNE_CONFIG,
  hooks: TeacherTuneHooks = {},
): Promise<TeacherTuneResult> {
  validateConfig(config);
  const plan = planTeacherPrompts(clip.config, { nCtx: config.nCtx, depth: config.depth });
  const classes = tuningClasses(set.classes, set.labels, config.classes);
  const C = classes.length;
  const fewShot = sampleFewShot(set.labels, C, config.shots, rng(mixSeed(config.seed, 0x5ec7)));
  const B = Math.min(config.batchSize, fewShot.length);
  const stepsPerEpoch = Math.floor(fewShot.length / B);

  const needZsText = config.loss.textL1Weight > 0 || config.loss.zeroShotKl;
  let zsText: HostTensor | null = null;
  if (needZsText) {
    const zeroShot = await Teacher.create(runtime, clip, { prompts: null, templates: config.zeroShotTemplates });
    try {
      zsText = await zeroShot.textFeatures(classes);
    } finally {
      await zeroShot.release();
    }
  }
  const text = classTextInputs(clip, classes, teacherPromptTemplate(plan.nCtx));
  const art = buildTeacherTuneStep(clip, plan, { batch: B, nClasses: C, textLength: text.ids.shape[1]! }, config.loss, {
    momentum: config.momentum,
    weightDecay: config.weightDecay,
  });
  const session = await runtime.load(art.graph, { deviceOutputs: art.spec.carry.map((c) => c.from) });
  const constants: Record<string, DeviceTensor> = {};
  const current: Record<string, DeviceTensor> = {};
  try {
    const hostConstants = { ...art.frozen, ...tuneClassFeeds(text, zsText) };
    for (const [name, t] of Object.entries(hostConstants)) constants[name] = await runtime.upload(t);
    const initial = initTeacherPrompts(plan, initPhraseEmbedding(clip), rng(mixSeed(config.seed, 0x1a17)));
    for (const [name, t] of Object.entries({ ...teacherPromptStateDict(initial), ...zeroState(art.spec) }))
      current[name] = await runtime.upload(t);

    const weights = config.gpa ? gpaWeights(config.epochs, config.gpa) : null;
    const aggregate = new Map<string, Float64Array>();
    let last: TeacherPrompts = initial;
    const history: TeacherEpochLog[] = [];
    const schedule = { lr: config.lr, maxEpoch: config.epochs, warmupEpochs: config.warmupEpochs, warmupLr: config.warmupLr };
    let stopped = false;
    for (let epoch = 0; epoch < config.epochs && !stopped; epoch++) {
      const lr = lrAtEpoch(epoch, schedule);
      const order = rng(mixSeed(config.seed, epoch)).shuffle([...fewShot]);
      let lossSum = 0,
        ceSum = 0,
        correct = 0,
        seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (hooks.shouldStop?.()) {
          stopped = true;
          break;
        }
        const batch = order.slice(step * B, (step + 1) * B);
        const labels = batch.map((i) => set.labels[i]!);
        const pixels = await set.pixels(batch, config.augment ? rng(mixSeed(config.seed, epoch, step)) : null);
        const out = await session.run({
          ...constants,
          ...current,
          ...tuneBatchFeeds(pixels, labels, C),
          [art.spec.lr]: hostTensor('float32', [], Float32Array.of(lr)),
        });
        const loss = await readScalar(out[art.spec.loss]!);
        if (!Number.isFinite(loss))
          throw new TeacherTuneError(`the teacher loss became ${loss} in epoch ${epoch}; lower the learning rate`);
        lossSum += loss;
        ceSum += await readScalar(out[CE]!);
        const logits = (await out[LOGITS]!.read()).data as Float32Array;
        labels.forEach((y, r) => {
          const row = logits.subarray(r * C, (r + 1) * C);
          if (argmax(row) === y) correct++;
        });
        seen += labels.length;
        const carried = new Set(art.spec.carry.map((c) => c.from));
        for (const { from, to } of art.spec.carry) {
          current[to]!.dispose();
          current[to] = out[from]!;
        }
        for (const [name, t] of Object.entries(out)) if (!carried.has(name)) t.dispose();
      }
      if (seen === 0) break;
      const state = new Map<string, HostTensor>();
      for (const name of art.trainable) {
        const t = await current[name]!.read();
        state.set(name, hostTensor('float32', t.shape, Float32Array.from(t.data as Float32Array)));
      }
      last = teacherPromptsFromStateDict(state, clip.config, 'tuned prompts');
      if (weights) {
        for (const [name, t] of state) {
          let acc = aggregate.get(name);
          if (!acc) {
            acc = new Float64Array(t.data.length);
            aggregate.set(name, acc);
          }
          const d = t.data as Float32Array;
          for (let i = 0; i < d.length; i++) acc[i]! += weights[epoch]! * d[i]!;
        }
      }
      const log = { epoch, lr, loss: lossSum / (seen / B), ce: ceSum / (seen / B), trainAccuracy: correct / seen };
      history.push(log);
      await hooks.onEpoch?.(log);
    }
    const finished = history.length === config.epochs && !stopped;
    const shapes = teacherPromptStateDict(last);
    const prompts =
      weights && finished
        ? teacherPromptsFromStateDict(
            new Map([...aggregate].map(([n, a]) => [n, hostTensor('float32', shapes[n]!.shape, Float32Array.from(a))])),
            clip.config,
            'aggregated prompts',
          )
        : last;
    return { prompts, plan, trainedClasses: classes, fewShot, history };
  } finally {
    await session.release();
    for (const t of [...Object.values(constants), ...Object.values(current)]) t.dispose();
  }
}
