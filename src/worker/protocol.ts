// The typed messages between the app (main thread) and the engine worker.
//
// Every request carries an id and a `kind`; the worker answers each with exactly one reply of the
// same id: `{ok: true, result}` whose type is `EngineApi[kind]['result']`, or `{ok: false, error}`.
// Long jobs (imports, downloads, teacher tuning) answer when they are done and report progress as
// events meanwhile; a run answers `startRun`/`resume` as soon as it has started and then streams
// `step`/`eval`/`checkpoint`/`runStatus` events. Events have no id. All jobs go through the worker's
// one queue, so requests never interleave their storage writes or GPU work; `pause`, `stop`,
// `workspace` and `hubModels` are answered at once, even while a long job holds the queue.
//
// Accuracies are fractions in [0, 1]; null where the subset has no test image.
import type { CachedModel } from '../engine/clip/hub.ts';
import type { OrtWebEntry } from '../engine/runtime/runtime.ts';
import type { SelfTestReport } from '../engine/runtime/selftest.ts';

import type { ImportSettings } from '../engine/data/import-settings.ts';
import type { LabelRecipe } from '../engine/promptkd/label-recipe.ts';
import type { RunSettings, StudioBackend } from '../engine/promptkd/run-settings.ts';
import type { TeacherSettings } from '../engine/promptkd/teacher-settings.ts';
import type {
  Accuracy,
  CheckpointEntry,
  MetricPoint,
  ModelInfo,
  ModelRole,
  References,
  RunRecord,
  RunStatus,
  StorageUsage,
  TeacherInfo,
  TeacherLabelsRecord,
  TeacherMode,
} from '../storage/schema.ts';

// the records the app sees as storage keeps them (storage/schema.ts: versioned, migrated)
export type { Accuracy, CheckpointEntry, MetricPoint, ModelInfo, ModelRole, References, RunStatus, StorageUsage, TeacherInfo, TeacherMode };
export type { LabelRecipe, OrtWebEntry, SelfTestReport };
/** a run as stored (its history, references and status) */
export type RunSummary = RunRecord;

export type EngineBackend = StudioBackend;
/** One run's settings: the engine's settings table (engine/promptkd/run-settings.ts). */
export type { RunSettings };

// ---- workspace --------------------------------------------------------------------------------

export type DatasetRole = 'unlabeled' | 'test' | 'shots';

export interface SkippedFile {
  /** the file's path as given in the import */
  name: string;
  /** why it was not imported, in words (e.g. "not an image (.txt)", "damaged JPEG: …") */
  reason: string;
}

export interface DatasetSummary {
  id: string;
  name: string;
  role: DatasetRole;
  /** labeled roles: the class folder names, sorted (label order); [] for unlabeled */
  classes: string[];
  /** images stored */
  count: number;
  /** images per class (labeled roles; label order) */
  perClass: number[];
  skipped: SkippedFile[];
  createdAt: number;
  /** true for the embedded demo's datasets */
  demo: boolean;
}

/** an import cut off when its page closed: the images of its committed batches are stored */
export interface InterruptedImport {
  id: string;
  name: string;
  role: DatasetRole;
  /** images stored, and the files the folder had */
  imported: number;
  files: number;
  createdAt: number;
}

export interface ImportReport {
  datasetId: string;
  imported: number;
  skipped: SkippedFile[];
  classes: string[];
}

export type ModelSource =
  | { kind: 'demo' }
  /** a Hugging Face CLIPModel repository; baseUrl: the server root (default https://huggingface.co) */
  | { kind: 'hub'; repo: string; baseUrl?: string; revision?: string }
  /** a local Hugging Face CLIP folder's two files */
  | { kind: 'files'; config: File; weights: File };

/** the teacher labels in force, as the page shows them and checks a run against them before Start */
export interface TeacherLabelsInfo extends TeacherLabelsRecord {
  /** the labels' classes, in label order */
  classes: string[];
  recipe: LabelRecipe;
  /** images labelled, and skipped files of the labelled folder */
  images: number;
  skipped: number;
  /** test images whose centre views are labelled (the teacher's reference line comes from them) */
  testImages: number;
  /** how the newest unlabeled folder fits the labels; null without one */
  coverage: { datasetId: string; datasetName: string; problem: string | null } | null;
}

export interface Workspace {
  /** the datasets whose import finished */
  datasets: DatasetSummary[];
  /** imports cut off by a closed page (not the one going on now): complete them or delete them (deleteDataset) */
  interruptedImports: InterruptedImport[];
  runs: RunSummary[];
  /** class names, base first then new (label order); editable with setClasses */
  classes: string[];
  /** how many of `classes` are base: ⌈n/2⌉ */
  baseCount: number;
  models: { student: ModelInfo | null; teacher: ModelInfo | null };
  teacher: TeacherInfo | null;
  /** labels in force: runs take the teacher's logits and class features from them, and need no teacher model */
  teacherLabels: TeacherLabelsInfo | null;
  usage: StorageUsage | null;
  /** a run that was running or paused when the page went away, with a checkpoint to resume from */
  resumable: RunSummary | null;
  /** the run going on now in this worker */
  activeRunId: string | null;
}

/**
 * A model downloaded from a Hub server, as the worker's cache keeps it (Cache Storage). The cache
 * is keyed by repo and revision, whichever server the files came from.
 */
export interface CachedHubModel extends CachedModel {
  /** the roles the workspace's loaded models play that came from this repo and revision */
  usedBy: ModelRole[];
}

// ---- results and exports ----------------------------------------------------------------------

export interface GalleryItem {
  datasetId: string;
  itemId: string;
  /** true class index */
  label: number;
  /** top class (argmax over all classes); null when the teacher is labels that do not hold the test images */
  teacher: number | null;
  student: number;
  /** a small PNG of the stored image */
  thumbnail: Blob;
}

export interface RunResults {
  runId: string;
  step: number;
  classes: string[];
  accuracy: Accuracy;
  /** per class, within its base/new subset (label order) */
  perClass: (number | null)[];
  /** confusion[true][predicted], predictions restricted to the true class' subset */
  confusion: number[][];
  /** student top class (argmax over all classes) of every test image, in dataset order */
  predictions: number[];
  /** the test dataset's item ids, in the order of `predictions` */
  itemIds: string[];
  gallery: GalleryItem[];
}

export interface PromptExport {
  /** student prompts + projector (+ BN running stats) under PromptKD's state-dict names */
  safetensors: Uint8Array;
  /** the same tensors as a Dassl checkpoint (torch.save zip) that the official PromptKD code loads */
  pth: Uint8Array;
  /** JSON: settings, classes, models, teacher, step (everything needed to reload the prompts) */
  config: string;
  /** suggested base name, e.g. 'promptkd-student-<run>-step120' */
  fileName: string;
}

export interface OnnxExport {
  /** a self-contained ModelProto: pixels → logits, weights as initializers */
  bytes: Uint8Array;
  fileName: string;
  /** float32 [batch,3,S,S], CLIP-normalised (resize shortest edge to S bicubic, centre crop, CLIP mean/std) */
  inputName: string;
  /** the fixed batch N of the input and output (pad the last batch; rows are independent) */
  batch: number;
  /** float32 [N,C] student logits, classes in `classes` order */
  outputName: string;
  imageSize: number;
  classes: string[];
}

// ---- requests ---------------------------------------------------------------------------------

/** request fields and result type of every request kind */
export interface EngineApi {
  /** `ep` (webgpu): the onnxruntime-web WebGPU backend to try first, when the worker first opens WebGPU (the page's `#ep=`) */
  selfTest: { request: { backend: EngineBackend; ep?: OrtWebEntry }; result: SelfTestReport };
  /**
   * first call: default backend; asks navigator.storage.persist(). `readOnly`: another tab keeps the
   * studio's data; this one only reads it (every request that would write is refused)
   */
  init: { request: { backend: EngineBackend; readOnly?: boolean }; result: Workspace };
  workspace: { request: Record<never, never>; result: Workspace };
  /**
   * Decode, resize and store images. `path` is the file's path relative to the chosen folder (the
   * picked or dropped folder's own name removed: 'cat/1.jpg'); labeled roles take the class by
   * ImageFolder's rule, the first folder of that path (engine/data/image-folder.ts). Progress events: task 'import'.
   */
  importFiles: {
    /**
     * `completes`: the id of an interrupted import that these files (the same folder, chosen again) complete; files stored already are passed over.
     * `images`: the size of the stored copies (engine/data/import-settings.ts; default '256')
     */
    request: {
      role: DatasetRole;
      name: string;
      files: { file: File; path: string }[];
      completes?: string;
      images?: ImportSettings['images'];
      staged?: number;
    };
    result: ImportReport;
  };
  /**
   * Files handed over ahead of the importFiles request that names their `upload` (its `staged`),
   * which imports them before its own `files`. A folder goes in several of these because cloning a
   * File into a message takes the main thread ~0.5 ms: 10,000 in one message froze the page for seconds.
   */
  stageFiles: { request: { upload: number; files: { file: File; path: string }[] }; result: { staged: number } };
  /** stores the demo's unlabeled/test/shots datasets, selects the demo models and classes; idempotent */
  loadDemo: { request: Record<never, never>; result: Workspace };
  deleteDataset: { request: { datasetId: string }; result: Workspace };
  deleteRun: { request: { runId: string }; result: Workspace };
  setClasses: { request: { classes: string[] }; result: Workspace };
  /** loads and checks both models (downloads with task 'download' progress); with teacher labels in force, the student only */
  setModels: { request: { student: ModelSource; teacher?: ModelSource }; result: Workspace };
  /**
   * Teacher labels from `promptkd label`: one merged file, or every shard of a labelling (the files
   * of its folder). Checked complete, merged and kept in the browser; from then on runs distil from
   * them, with no teacher model, until clearTeacherLabels.
   */
  importTeacherLabels: { request: { name: string; files: File[] }; result: Workspace };
  /** stops using the teacher labels (their file is deleted): runs need a teacher model again */
  clearTeacherLabels: { request: Record<never, never>; result: Workspace };
  /**
   * zero-shot; 'tune': stage-1 PromptSRC tuning on the newest 'shots' dataset (task 'teacher'
   * progress; `settings` default PromptSRC's); 'import': a PromptSRC prompt file.
   */
  teacher: { request: { mode: TeacherMode; file?: File; settings?: TeacherSettings }; result: TeacherInfo };
  /**
   * Starts a distillation run on the given (default: newest) unlabeled and test datasets, optionally
   * from exported prompts (safetensors of exportPrompts). Replies when the first step is about to run.
   */
  startRun: {
    request: { settings: RunSettings; datasets?: { unlabeled?: string; test?: string | null }; initialPrompts?: File };
    result: RunSummary;
  };
  /** pauses after the current step and writes a checkpoint; replies when paused */
  pause: { request: Record<never, never>; result: RunSummary };
  /**
   * continues a paused or interrupted run from its last checkpoint (same trajectory), on `backend`
   * when given (WASM where WebGPU is gone), else on the run's own
   */
  resume: { request: { runId: string; backend?: EngineBackend }; result: RunSummary };
  /** ends the run after the current step (checkpoint written); it cannot be resumed */
  stop: { request: Record<never, never>; result: RunSummary };
  /** evaluates the run's last checkpoint on its test dataset */
  results: { request: { runId: string }; result: RunResults };
  /** the prompts at checkpoint `step` (one the run keeps: the last ones and the best on base), default the last */
  exportPrompts: { request: { runId: string; step?: number }; result: PromptExport };
  /** batch: the model's fixed batch (default 1); `step` as for exportPrompts */
  exportOnnx: { request: { runId: string; batch?: number; step?: number }; result: OnnxExport };
  /** the run report (JSON text): settings, models, datasets, references, history, final results */
  report: { request: { runId: string }; result: { json: string; fileName: string } };
  /** usage/quota now (also sent as 'storage' events after writes) */
  storage: { request: Record<never, never>; result: StorageUsage | null };
  /** the Hub models in the download cache, with their sizes (answered at once, even during a download) */
  hubModels: { request: Record<never, never>; result: CachedHubModel[] };
  /**
   * Removes a cached Hub model's files (of `revision`, default every revision); refused while a run
   * uses it. A loaded model stays loaded: the next load downloads it again. Replies with the cache's models.
   */
  deleteHubModel: { request: { repo: string; revision?: string }; result: CachedHubModel[] };
}

export type RequestKind = keyof EngineApi;

export type EngineRequest = { [K in RequestKind]: { id: number; kind: K } & EngineApi[K]['request'] }[RequestKind];

export type ErrorKind = 'quota' | 'device' | 'input' | 'model' | 'internal';

export interface EngineErrorInfo {
  kind: ErrorKind;
  /** what was wrong and what to do, in one or two sentences */
  message: string;
}

export type EngineReply =
  | { id: number; ok: true; result: EngineApi[RequestKind]['result'] }
  | { id: number; ok: false; error: EngineErrorInfo };

// ---- events -----------------------------------------------------------------------------------

export type TaskKind = 'import' | 'demo' | 'download' | 'model' | 'teacher' | 'teacher-logits' | 'evaluate' | 'export';

export type EngineEvent =
  /** a long job's progress; done === total ends it */
  | { kind: 'progress'; task: TaskKind; done: number; total: number; label: string }
  /**
   * after every student step; `step` = steps taken so far (1 after the first), `epoch` 0-based;
   * `epochMeanLoss` is the epoch's mean loss when the step ended it, else null
   */
  | { kind: 'step'; runId: string; step: number; epoch: number; loss: number; lr: number; epochMeanLoss: number | null }
  /** base/new/HM of the student after `step` steps */
  | { kind: 'eval'; runId: string; step: number; base: number | null; new: number | null; hm: number | null }
  /** the run's reference lines, sent once when it starts or resumes */
  | { kind: 'references'; runId: string; teacher: Accuracy | null; studentZeroShot: Accuracy | null }
  /** a checkpoint at `step` is stored; `checkpoints`: those the run keeps now (older ones retired) */
  | { kind: 'checkpoint'; runId: string; step: number; checkpoints: CheckpointEntry[] }
  | { kind: 'runStatus'; runId: string; status: RunStatus; step: number; message: string | null }
  /** the GPU device is gone: the run (if any) is paused; the studio falls back to wasm */
  | { kind: 'deviceLost'; reason: string }
  | { kind: 'storage'; usage: number; quota: number; persisted: boolean }
  /** a failure outside any request (e.g. a full disk or a lost GPU during a run), with what to do */
  | { kind: 'error'; error: EngineErrorInfo };

export type EngineMessage = EngineReply | EngineEvent;
