// What the studio keeps in IndexedDB, record by record, and how an older store is brought up to
// date. These types belong to storage: the worker's protocol shows some of them to the app as they
// are, but a change here is a schema change, with a version and a migration below.
//
// Version 1 (the first studio): no version key; run settings under the URL-hash names
//   {epochs, batch, lr, T, kd, depth, nctx, evalEvery, ckptEvery, backend, augment, seed}.
// Version 2: `schema` = 2 in the meta store; run settings are the engine's RunSettings (every
//   hyperparameter, named as in engine/promptkd/run-settings.ts).
// Versions 1 and 2 kept five IndexedDB databases (<prefix>-meta, -images, -ckpt, -teacher, -models),
//   one object store each, and one checkpoint per run under its run id.
// Version 3: one database (<prefix>-studio) with those five object stores, so that one transaction
//   can span a run record and its checkpoints, or a dataset record and its images (storage.ts).
//   Checkpoints are keyed [runId, step]; a run keeps the last `keepCheckpoints` plus its best
//   (`RunRecord.checkpoints`); a dataset being imported carries `importing` until its last batch.
//   The teacher-logit cache is not carried over (it is recomputed when needed).
// Version 4: run settings gain `views` (0, a new crop every epoch, for older runs), dataset items
//   their file's SHA-256 (absent for older imports), the workspace its teacher labels (a file in
//   OPFS), and a run from teacher labels has no teacher model (`models.teacher` null, `labels` set).
//   Migrated in place, in one transaction over the run records.
// Version 5: run settings gain `protocol` ('base2new' for older runs, the only one the studio had);
//   the split file in force is kept under 'split-file' (absent in older stores: none in force).
// Version 6: a run's studio options (`backend`, `keepCheckpoints`) leave its settings for `options`
//   (engine/settings/studio-options.ts), so that the settings are the recipe the CLI runs too.
// Version 7: run settings gain `studentFp16` (false for older runs: their students were float32).
import type { Accuracy } from '../engine/promptkd/metrics.ts';
import { PAPER_SETTINGS, type RunSettings } from '../engine/promptkd/run-settings.ts';

export type { Accuracy };
import { DEFAULT_STUDIO_OPTIONS, type StudioBackend, type StudioOptions } from '../engine/settings/studio-options.ts';

export const SCHEMA_VERSION = 7;

export interface StoredImage {
  width: number;
  height: number;
  /** RGB interleaved, height·width·3 bytes */
  rgb: Uint8Array;
}

export interface DatasetItem {
  id: string;
  /** path inside the dropped folder */
  name: string;
  /** class index, for labeled datasets */
  label?: number;
  /** the hex SHA-256 of the file as imported (teacher labels are checked against it); absent for the demo's and older imports */
  sha256?: string;
}

export type DatasetRole = 'unlabeled' | 'test' | 'shots';

/** a file of an import that the studio did not keep */
export interface SkippedImport {
  /** the file's path as given in the import */
  name: string;
  /** why it was not imported, in words (e.g. "not an image (.txt)", "damaged JPEG: …") */
  reason: string;
}

export interface Dataset {
  id: string;
  name: string;
  role: DatasetRole;
  classes: string[];
  items: DatasetItem[];
  skipped: SkippedImport[];
  createdAt: number;
  /** the embedded demo's datasets */
  demo?: boolean;
  /**
   * Present while the import is going on, and left by one that was cut off (the page closed): the
   * images of `items` are stored, the rest of the folder's `files` are not. Such a dataset is never
   * used by a run; it can be completed by choosing the folder again, or removed.
   */
  importing?: { files: number };
}

export type ModelRole = 'student' | 'teacher';

export interface ModelInfo {
  role: ModelRole;
  source: 'demo' | 'hub' | 'files';
  /** 'demo-student', 'openai/clip-vit-base-patch16', or the weights file name */
  name: string;
  imageSize: number;
  visionLayers: number;
  visionWidth: number;
  embedDim: number;
  /** text tower blocks; null when the weights have no text tower (a student needs none) */
  textLayers: number | null;
  /** weights file size in bytes */
  bytes: number;
}

export type TeacherMode = 'zero-shot' | 'tune' | 'import';

export interface TeacherInfo {
  mode: TeacherMode;
  /** the teacher's prompt state id (part of every teacher-logit cache key) */
  promptState: string;
  /** tune: shots used and epochs run; import: the prompt file's name */
  detail: string;
  /** the teacher's accuracy on the test dataset, when there is one */
  accuracy: Accuracy | null;
}

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export interface MetricPoint {
  step: number;
  loss?: number;
  /** at the last step of an epoch: the mean loss of the epoch's steps */
  epochMeanLoss?: number;
  base?: number | null;
  new?: number | null;
  hm?: number | null;
}

export interface References {
  /** the teacher (as used by the run) on the test dataset; null from labels that do not hold the test images */
  teacher: Accuracy | null;
  /** the student CLIP's own zero-shot accuracy (its text tower); null when it has none */
  studentZeroShot: Accuracy | null;
}

/** one distillation run; its checkpoint lives in the checkpoint store */
export interface RunRecord {
  id: string;
  createdAt: number;
  settings: RunSettings;
  /** what only the studio has beside the settings: where the run computes, how many checkpoints it keeps */
  options: StudioOptions;
  classes: string[];
  datasets: { unlabeled: string; test: string | null };
  /** the models the run was made with (exports and results need the same ones loaded); no teacher model for a run from labels */
  models: { student: ModelInfo; teacher: ModelInfo | null };
  teacher: { mode: TeacherMode | 'labels'; promptState: string };
  /** the teacher labels the run distils from (it needs them imported to go on) */
  labels?: TeacherLabelsRecord;
  status: RunStatus;
  /** steps taken (as of the last event) and the run's total */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  /** the last checkpoint's step (resume continues from it); null before the first */
  checkpointStep: number | null;
  /** the checkpoints kept, by step: the last `options.keepCheckpoints` and the best on base (storage.ts) */
  checkpoints: CheckpointEntry[];
  /** loss of every step, base/new/HM at evaluations */
  history: MetricPoint[];
  references: References | null;
  /** why the run is paused/failed, in words */
  message: string | null;
}

/** where a model comes from, as remembered between sessions */
export type ModelChoice =
  | { kind: 'demo' }
  /** a Hugging Face CLIPModel repository; baseUrl: the server root (default https://huggingface.co); commit: the one loaded (a reload loads it again, whatever the branch names now), absent in records from before pinning */
  | { kind: 'hub'; repo: string; baseUrl?: string; revision?: string; commit?: string }
  /** the files themselves are in the models store under the role */
  | { kind: 'files'; name: string };

export interface ModelFiles {
  name: string;
  /** config.json text */
  config: string;
  weights: Blob;
}

/** teacher labels imported into the studio (`promptkd label`'s file, kept in OPFS: model-files.ts) */
export interface TeacherLabelsRecord {
  /** the file's name, or the shards' folder's */
  name: string;
  /** the teacher's id and prompt state, as the labels name them */
  teacherId: string;
  promptState: string;
  bytes: number;
}

/** the studio's choices that outlive a page: classes, models, teacher */
export interface WorkspaceRecord {
  classes: string[];
  models: Partial<Record<ModelRole, ModelChoice>>;
  teacher: TeacherInfo | null;
  /** labels in force: runs take the teacher's logits from them and no teacher model is loaded */
  teacherLabels?: TeacherLabelsRecord | null;
}

/** the CoOp split file in force in step 1, as the user chose it */
export interface SplitFileRecord {
  /** the file's name */
  name: string;
  /** its JSON text (the app parses it, engine/data/split-file.ts) */
  text: string;
}

/** one kept checkpoint of a run */
export interface CheckpointEntry {
  step: number;
  /** the student's accuracy on the base classes at this step; null: not evaluated at this step */
  base: number | null;
}

export interface Checkpoint {
  runId: string;
  step: number;
  savedAt: number;
  /** safetensors bytes: prompts, projector, optimizer state, running stats, metadata */
  bytes: Uint8Array;
  /** the teacher's tuned or imported prompts (safetensors) the run distils from; absent: zero-shot */
  teacherPrompts?: Uint8Array;
}

export interface StorageUsage {
  usage: number;
  quota: number;
  /** whether the browser promised not to evict the studio's data */
  persisted: boolean;
}

// ---- migrations ---------------------------------------------------------------------------------

/** run settings as version 5 stored them (with the studio options), version 4, version 3, and version 2 */
type RunSettingsV6 = Omit<RunSettings, 'studentFp16'>;
type RunSettingsV5 = RunSettingsV6 & StudioOptions;
type RunSettingsV4 = Omit<RunSettingsV5, 'protocol'>;
type RunSettingsV3 = Omit<RunSettingsV4, 'views'>;
type RunSettingsV2 = Omit<RunSettingsV3, 'keepCheckpoints'>;

/** the number of checkpoints a run of version 2 or older keeps (it had one; the studio's default now) */
const KEEP_MIGRATED = DEFAULT_STUDIO_OPTIONS.keepCheckpoints;

/** run settings as version 1 stored them */
interface RunSettingsV1 {
  epochs: number;
  batch: number;
  lr: number;
  T: number;
  kd: number;
  depth: number;
  nctx: number;
  evalEvery: number;
  ckptEvery: number;
  backend: StudioBackend;
  augment: boolean;
  seed: number;
}

/**
 * A version-1 run's settings as version 2 names them. The hyperparameters version 1 did not store
 * were PromptKD's fixed values then (PAPER_SETTINGS), and its student's logit scale was its own (null).
 */
export function runSettingsFromV1(v: RunSettingsV1): RunSettingsV2 {
  return {
    ...PAPER_SETTINGS,
    epochs: v.epochs,
    batchSize: v.batch,
    lr: v.lr,
    temperature: v.T,
    kdWeight: v.kd,
    depth: v.depth,
    nCtx: v.nctx,
    evalEvery: v.evalEvery,
    ckptEvery: v.ckptEvery,
    backend: v.backend,
    augment: v.augment,
    seed: v.seed,
    logitScale: null,
    teacherFp16: false,
  };
}

/**
 * A stored run of `version` brought to the current schema; `checkpointStep` is the step of its
 * stored checkpoint (up to version 2, one at most; later versions list theirs).
 */
export function migrateRun(record: unknown, version: number, checkpointStep: number | null): RunRecord {
  const r = record as Omit<RunRecord, 'settings' | 'options' | 'checkpoints'> & {
    settings: unknown;
    options?: StudioOptions;
    checkpoints?: CheckpointEntry[];
  };
  const v2 = version < 2 ? runSettingsFromV1(r.settings as RunSettingsV1) : (r.settings as RunSettingsV2);
  const v3 = version < 3 ? { ...v2, keepCheckpoints: KEEP_MIGRATED } : (r.settings as RunSettingsV3);
  // before version 4 every run drew a new crop each epoch; before version 5 every run was base-to-new
  const v4 = version < 4 ? { ...v3, views: 0 } : (r.settings as RunSettingsV4);
  const v5 = version < 5 ? { ...v4, protocol: 'base2new' as const } : (r.settings as RunSettingsV5);
  let v6: RunSettingsV6, options: StudioOptions;
  if (version < 6) {
    const { backend, keepCheckpoints, ...recipe } = v5;
    [v6, options] = [recipe, { backend, keepCheckpoints }];
  } else [v6, options] = [r.settings as RunSettingsV6, r.options!];
  const settings: RunSettings = version < 7 ? { ...v6, studentFp16: false } : (r.settings as RunSettings);
  if (version >= 3) return { ...r, settings, options, checkpoints: r.checkpoints! } as RunRecord;
  const base = checkpointStep === null ? null : (r.history.find((p) => p.step === checkpointStep)?.base ?? null);
  return { ...r, settings, options, checkpointStep, checkpoints: checkpointStep === null ? [] : [{ step: checkpointStep, base }] };
}
