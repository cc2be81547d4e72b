// Teacher tuning's settings table (stage 1, PromptSRC on the few-shot folder): its own rows and
// defaults, PromptSRC's, apart from the distillation's. The studio's Teacher step and the CLI's
// `promptkd teacher` flags are made from it.
// Pure data: the studio's main thread reads it (engine/surface.ts); teacher-tune.ts turns it into
// the engine's TeacherTuneConfig.
import type { SettingSpec, SettingsTable } from '../settings/table.ts';
import { RUN_SETTINGS, type RunSettings } from './run-settings.ts';

export interface TeacherSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  nCtx: number;
  /** prompted blocks of both towers */
  depth: number;
  /** labeled images per class */
  shots: number;
  /** tune on every class (a cross-dataset teacher) instead of the base half */
  allClasses: boolean;
  /** PromptSRC's self-regularisation (L1 to frozen features, KL to zero-shot); off: plain cross-entropy (IVLP) */
  regularisers: boolean;
  /** Gaussian prompt aggregation over epochs; off: the last epoch's prompts */
  gpa: boolean;
  augment: boolean;
  momentum: number;
  weightDecay: number;
  warmupEpochs: number;
  warmupLr: number;
  seed: number;
}

/** a row of the distillation's table, in the teacher's address (and, where it differs, its words) */
function teacherRow<K extends keyof RunSettings & keyof TeacherSettings>(key: K, hash: string, help?: string): SettingSpec<K> {
  const row = RUN_SETTINGS.find((r) => r.key === key)!;
  return { ...row, key, hash, ...(help ? { help } : {}) };
}

export const TEACHER_SETTINGS: SettingsTable<TeacherSettings> = [
  {
    key: 'epochs',
    hash: 'teacherEpochs',
    flag: 'epochs',
    label: 'Epochs',
    help: 'passes over the few-shot images',
    rule: { type: 'int', min: 1, max: 1000 },
  },
  {
    key: 'batchSize',
    hash: 'teacherBatch',
    flag: 'batch-size',
    label: 'Batch size',
    help: 'labeled images per step',
    rule: { type: 'int', min: 1, max: 512 },
  },
  {
    key: 'lr',
    hash: 'teacherLr',
    flag: 'lr',
    label: 'Learning rate',
    help: 'SGD learning rate after the warm-up, decayed by a cosine per epoch',
    rule: { type: 'number', min: 0, max: 10, exclusiveMin: true },
  },
  {
    key: 'nCtx',
    hash: 'teacherNctx',
    flag: 'n-ctx',
    label: 'Prompt tokens',
    help: 'learned tokens per prompted layer, in each tower',
    rule: { type: 'int', min: 1, max: 64 },
  },
  {
    key: 'depth',
    hash: 'teacherDepth',
    flag: 'depth',
    label: 'Prompt depth',
    help: 'prompted blocks of each tower (clamped to its blocks)',
    rule: { type: 'int', min: 1, max: 48 },
  },
  {
    key: 'shots',
    hash: 'shots',
    flag: 'shots',
    label: 'Shots per class',
    help: 'labeled images per class, sampled with the seed',
    rule: { type: 'int', min: 1, max: 100000 },
  },
  {
    key: 'allClasses',
    hash: 'teacherAllClasses',
    flag: 'all-classes',
    label: 'All classes',
    help: 'tune on every class (a cross-dataset teacher) instead of the base half',
    rule: { type: 'bool' },
  },
  {
    key: 'regularisers',
    hash: 'teacherRegularisers',
    flag: 'regularisers',
    label: 'Self-regularisation',
    help: "PromptSRC's L1 to the frozen features and KL to zero-shot (off: plain cross-entropy)",
    rule: { type: 'bool' },
  },
  {
    key: 'gpa',
    hash: 'teacherGpa',
    flag: 'gpa',
    label: 'Prompt aggregation',
    help: "Gaussian aggregation of the prompts over epochs (off: the last epoch's)",
    rule: { type: 'bool' },
  },
  {
    key: 'augment',
    hash: 'teacherAugment',
    flag: 'augment',
    label: 'Augment',
    help: 'a random resized crop and flip of every training image',
    rule: { type: 'bool' },
  },
  {
    key: 'seed',
    hash: 'teacherSeed',
    flag: 'seed',
    label: 'Seed',
    help: 'the shots, their order and the crops',
    rule: { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
  },
  // the SGD's own settings mean what they mean for the student: the same rows under the teacher's names
  teacherRow('momentum', 'teacherMomentum', "momentum of the prompts' SGD"),
  teacherRow('weightDecay', 'teacherWd', 'L2 weight decay of the prompts'),
  teacherRow('warmupEpochs', 'teacherWarmupEpochs'),
  teacherRow('warmupLr', 'teacherWarmupLr'),
];

/**
 * PromptSRC's stage-1 settings as PromptKD's teachers were tuned (16 shots of the base classes;
 * trainers/promptsrc.py, SGD lr 0.005 momentum 0.9 wd 5e-4, batch 8, 20 epochs, 4+4 tokens, depth 9).
 */
export const PROMPTSRC_SETTINGS: TeacherSettings = {
  epochs: 20,
  batchSize: 8,
  lr: 0.005,
  nCtx: 4,
  depth: 9,
  shots: 16,
  allClasses: false,
  regularisers: true,
  gpa: true,
  augment: true,
  momentum: 0.9,
  weightDecay: 5e-4,
  warmupEpochs: 1,
  warmupLr: 1e-5,
  seed: 1,
};

/**
 * The demo's tiny teacher on 28-px images: centre views (a small crop leaves a few pixels), and 2 epochs,
 * so that the one-click demo, stage 1 included, fits its 2 minutes on WASM. Measured on the demo test
 * split (HM): zero-shot 87.69; 1 epoch 86.67, 2 epochs 87.87, 5 epochs 88.44, the shipped 20-epoch prompts
 * 88.17. In the studio on WASM (2-core VM at load ~5) 2 epochs took 22 s, 12 s of it before the first
 * epoch ended (building the graphs), and the tuned teacher's pass over the test split 13 s more.
 */
export const DEMO_TEACHER_SETTINGS: TeacherSettings = { ...PROMPTSRC_SETTINGS, epochs: 2, augment: false, seed: 11 };
