// The distillation's settings table: every hyperparameter of a PromptKD student run and of its loop,
// one row each, with the paper's defaults and the demo's (what only the studio has beside them is
// settings/studio-options.ts). The studio's URL hash and form, the CLI's
// flags and --help, and the DistillConfig the engine runs are all made from these rows.
import { DistillConfigError, validateDistillConfig, type DistillConfig } from './config.ts';
import { EVAL_PROTOCOLS, type EvalProtocol } from './metrics.ts';
import type { SettingsTable } from '../settings/table.ts';

/** One run's settings. Steps are optimizer steps of the student. */
export interface RunSettings {
  epochs: number;
  /** student train batch (the teacher labels the same views) */
  batchSize: number;
  lr: number;
  temperature: number;
  kdWeight: number;
  /** prompted student vision layers; ≤ the student's layer count */
  depth: number;
  nCtx: number;
  augment: boolean;
  /** crops per image with augmentation: 0 a new one every epoch; K: K crops reused (epoch e shows crop e mod K) */
  views: number;
  seed: number;
  /** evaluate every this many steps; 0: at the end of each epoch (and always after the last step) */
  evalEvery: number;
  /** checkpoint every this many steps; 0: at the end of each epoch (and always after the last step, at pause and stop) */
  ckptEvery: number;
  momentum: number;
  weightDecay: number;
  warmupEpochs: number;
  warmupLr: number;
  bnMomentum: number;
  bnEps: number;
  /** the student's logit scale; null: its CLIP's own exp(logit_scale), as PromptKD's code does */
  logitScale: number | null;
  /** the teacher's image tower in float16 (GPUs with shader-f16) */
  teacherFp16: boolean;
  /** the student's frozen image tower in float16 (GPUs with shader-f16); prompts, projector, optimizer and loss stay float32 */
  studentFp16: boolean;
  /** how the student is scored: base and new classes apart with their HM, or every class at once (metrics.ts) */
  protocol: EvalProtocol;
}

export const RUN_SETTINGS: SettingsTable<RunSettings> = [
  {
    key: 'epochs',
    hash: 'epochs',
    flag: 'epochs',
    label: 'Epochs',
    help: 'passes over the unlabeled images',
    rule: { type: 'int', min: 1, max: 1000 },
  },
  {
    key: 'batchSize',
    hash: 'batch',
    flag: 'batch-size',
    label: 'Batch size',
    help: 'images per student step (BatchNorm needs 2 or more)',
    rule: { type: 'int', min: 2, max: 512 },
  },
  {
    key: 'lr',
    hash: 'lr',
    flag: 'lr',
    label: 'Learning rate',
    help: 'SGD learning rate after the warm-up, decayed by a cosine per epoch',
    rule: { type: 'number', min: 0, max: 10, exclusiveMin: true },
  },
  {
    key: 'temperature',
    hash: 'T',
    flag: 'temperature',
    label: 'Temperature T',
    help: 'softens teacher and student scores before comparing them',
    rule: { type: 'number', min: 0, max: 100, exclusiveMin: true },
  },
  {
    key: 'kdWeight',
    hash: 'kd',
    flag: 'kd-weight',
    label: 'KD weight',
    help: 'how strongly the student is pulled towards the teacher (the paper: 200 for FGVCAircraft, Flowers102, DTD)',
    rule: { type: 'number', min: 0, max: 1e6, exclusiveMin: true },
  },
  {
    key: 'depth',
    hash: 'depth',
    flag: 'depth',
    label: 'Prompt depth',
    help: 'how many student layers get learned prompt tokens (at most its layers)',
    rule: { type: 'int', min: 1, max: 48 },
  },
  {
    key: 'nCtx',
    hash: 'nctx',
    flag: 'n-ctx',
    label: 'Prompt tokens',
    help: 'learned tokens added in each prompted layer',
    rule: { type: 'int', min: 1, max: 64 },
  },
  {
    key: 'augment',
    hash: 'augment',
    flag: 'augment',
    label: 'Augment',
    help: 'a random resized crop and flip of every training view (off: the centre view, and the teacher runs once per image)',
    rule: { type: 'bool' },
  },
  {
    key: 'views',
    hash: 'views',
    flag: 'views',
    label: 'Views per image',
    help: 'with augmentation: 0 draws a new crop of every image each epoch; K reuses K crops (epoch e shows crop e mod K), so the teacher labels K views per image',
    rule: { type: 'int', min: 0, max: 1000 },
    advanced: true,
  },
  {
    key: 'seed',
    hash: 'seed',
    flag: 'seed',
    label: 'Seed',
    help: "the image order, the crops and the prompts' initial values",
    rule: { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
  },
  {
    key: 'evalEvery',
    hash: 'evalEvery',
    flag: 'eval-every',
    label: 'Evaluate every (steps)',
    help: 'steps between evaluations on the test folder; 0: at the end of each epoch',
    rule: { type: 'int', min: 0, max: 1e6 },
  },
  {
    key: 'ckptEvery',
    hash: 'ckptEvery',
    flag: 'ckpt-every',
    label: 'Checkpoint every (steps)',
    help: 'steps between checkpoints; 0: at the end of each epoch',
    rule: { type: 'int', min: 0, max: 1e6 },
  },
  {
    key: 'protocol',
    hash: 'protocol',
    // the CLI has its own --protocol (cli/promptkd.ts), which sets this
    flag: null,
    label: 'Evaluation',
    help: "base2new: base and new classes apart, and their harmonic mean (the paper's main setting); cross-dataset: every test image among all classes, one accuracy (a teacher tuned on another dataset, as the paper's cross-dataset setting)",
    rule: { type: 'enum', values: EVAL_PROTOCOLS },
  },
  {
    key: 'teacherFp16',
    hash: 'teacherFp16',
    flag: 'teacher-fp16',
    label: 'Teacher in float16',
    help: "the teacher's image tower in float16: half its memory; faster on GPUs with shader-f16",
    rule: { type: 'bool' },
    advanced: true,
  },
  {
    key: 'studentFp16',
    hash: 'studentFp16',
    flag: 'student-fp16',
    label: 'Student in float16',
    help: "the student's frozen image tower computes in float16 (its prompts, projector, optimizer and loss stay float32): half its memory; the studio offers it on GPUs with shader-f16",
    rule: { type: 'bool' },
    advanced: true,
  },
  {
    key: 'momentum',
    hash: 'momentum',
    flag: 'momentum',
    label: 'SGD momentum',
    help: "momentum of the prompts' and projector's SGD",
    rule: { type: 'number', min: 0, max: 0.999 },
    advanced: true,
  },
  {
    key: 'weightDecay',
    hash: 'wd',
    flag: 'weight-decay',
    label: 'Weight decay',
    help: 'L2 weight decay of every trained tensor',
    rule: { type: 'number', min: 0, max: 1 },
    advanced: true,
  },
  {
    key: 'warmupEpochs',
    hash: 'warmupEpochs',
    flag: 'warmup-epochs',
    label: 'Warm-up epochs',
    help: 'epochs at the constant warm-up learning rate',
    rule: { type: 'int', min: 0, max: 1000 },
    advanced: true,
  },
  {
    key: 'warmupLr',
    hash: 'warmupLr',
    flag: 'warmup-lr',
    label: 'Warm-up learning rate',
    help: 'the learning rate of the warm-up epochs',
    rule: { type: 'number', min: 0, max: 10, exclusiveMin: true },
    advanced: true,
  },
  {
    key: 'bnMomentum',
    hash: 'bnMomentum',
    flag: 'bn-momentum',
    label: 'BatchNorm momentum',
    help: "update rate of the projector's BatchNorm running statistics",
    rule: { type: 'number', min: 0, max: 0.999 },
    advanced: true,
  },
  {
    key: 'bnEps',
    hash: 'bnEps',
    flag: 'bn-eps',
    label: 'BatchNorm epsilon',
    help: 'added to the BatchNorm variance',
    rule: { type: 'number', min: 0, max: 1, exclusiveMin: true },
    advanced: true,
  },
  {
    key: 'logitScale',
    hash: 'logitScale',
    flag: 'logit-scale',
    label: 'Student logit scale',
    help: "multiplies the student's cosine scores; default: its CLIP's own exp(logit_scale), 100 for OpenAI CLIP",
    rule: { type: 'number', min: 0, max: 1000, exclusiveMin: true },
    nullable: true,
    advanced: true,
  },
];

/** PromptKD's base-to-new settings (ViT-B/16 student, 4+4 context; trainers/promptkd.py and its configs). */
export const PAPER_SETTINGS: RunSettings = {
  epochs: 20,
  batchSize: 8,
  lr: 0.005,
  temperature: 1,
  kdWeight: 1000,
  depth: 9,
  nCtx: 4,
  augment: true,
  views: 0,
  seed: 1,
  evalEvery: 0,
  ckptEvery: 0,
  momentum: 0.9,
  weightDecay: 5e-4,
  warmupEpochs: 1,
  warmupLr: 1e-5,
  bnMomentum: 0.1,
  bnEps: 1e-5,
  logitScale: null,
  teacherFp16: false,
  studentFp16: false,
  protocol: 'base2new',
};

/**
 * The embedded demo (tiny CLIPs, 28-px images): a big batch and few epochs, so it ends in a minute or
 * two; prompts in both of the tiny student's blocks; centre views only (a random crop of a 28-px
 * image down to 8 % of it leaves a few pixels); a tenth of the paper's learning rate: at 0.005 the
 * first step after the warm-up threw the tiny student from 84 to 43 HM, and three epochs did not
 * win it back (models/README.md).
 */
export const DEMO_SETTINGS: RunSettings = {
  ...PAPER_SETTINGS,
  epochs: 3,
  batchSize: 32,
  lr: 5e-4,
  depth: 2,
  evalEvery: 25,
  ckptEvery: 25,
  augment: false,
  seed: 7,
};

/** Why `depth` prompted layers cannot fit a student of `visionLayers` layers; null when they can. */
export const promptDepthProblem = (depth: number, visionLayers: number): string | null =>
  depth <= visionLayers ? null : `prompt depth ${depth} needs ${depth} vision layers, but the student has ${visionLayers}`;

/** exp(logit_scale) of OpenAI's CLIPs, the scale PromptKD's student uses */
const OPENAI_LOGIT_SCALE = 100;

/** The engine's config for these settings; `studentLogitScale` fills a null logit scale. */
export function distillConfigOf(s: RunSettings, studentLogitScale: number): DistillConfig {
  return validateDistillConfig({
    nCtx: s.nCtx,
    depth: s.depth,
    temperature: s.temperature,
    kdWeight: s.kdWeight,
    logitScale: s.logitScale ?? studentLogitScale,
    lr: s.lr,
    momentum: s.momentum,
    weightDecay: s.weightDecay,
    bnMomentum: s.bnMomentum,
    bnEps: s.bnEps,
    batchSize: s.batchSize,
    epochs: s.epochs,
    warmupEpochs: s.warmupEpochs,
    warmupLr: s.warmupLr,
    augment: s.augment,
    views: s.views,
    seed: s.seed,
  });
}

/** the paper's settings as the engine runs them, for an OpenAI CLIP student */
export const PAPER_CONFIG: DistillConfig = distillConfigOf(PAPER_SETTINGS, OPENAI_LOGIT_SCALE);

export { DistillConfigError };

/** the settings a checkpoint records (its DistillConfig's fields, under their RunSettings names) */
const CHECKPOINT_KEYS = [
  'nCtx',
  'depth',
  'temperature',
  'kdWeight',
  'logitScale',
  'lr',
  'momentum',
  'weightDecay',
  'bnMomentum',
  'bnEps',
  'batchSize',
  'epochs',
  'warmupEpochs',
  'warmupLr',
  'augment',
  'views',
  'seed',
] as const satisfies readonly (keyof RunSettings & keyof DistillConfig)[];

export interface ResumedSettings {
  /** what the resumed run uses: the checkpoint's settings, but for epochs given now (a longer run goes on) */
  settings: RunSettings;
  /** the prompt geometry asked for now (given settings win): the checkpoint must have it */
  wanted: Pick<RunSettings, 'depth' | 'nCtx'>;
  /** settings given now that the checkpoint overrides, as "name value" */
  ignored: string[];
}

/**
 * A resumed run's settings: the checkpoint's win, because its prompts were trained under them, but
 * for the epochs when given, so a run can be continued for longer. `given` names the settings the
 * user set now (the CLI's flags): those the checkpoint overrides are reported; the prompt geometry
 * given must be the checkpoint's.
 */
export function resumedSettings(settings: RunSettings, saved: DistillConfig, given: ReadonlySet<keyof RunSettings>): ResumedSettings {
  const fromCheckpoint: RunSettings = { ...settings };
  for (const k of CHECKPOINT_KEYS) (fromCheckpoint as unknown as Record<string, unknown>)[k] = saved[k];
  const pick = <K extends keyof RunSettings>(k: K) => (given.has(k) ? settings[k] : fromCheckpoint[k]);
  const ignored = CHECKPOINT_KEYS.filter((k) => k !== 'epochs' && given.has(k) && saved[k] !== settings[k]).map((k) => `${k} ${saved[k]}`);
  return { settings: { ...fromCheckpoint, epochs: pick('epochs') }, wanted: { depth: pick('depth'), nCtx: pick('nCtx') }, ignored };
}
