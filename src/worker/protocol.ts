// The typed messages between the app (main thread) and the engine worker.
//
// Every request carries an id and a `kind`; the worker answers each with exactly one reply of the
// same id: `{ok: true, result}` whose type is `EngineApi[kind]['result']`, or `{ok: false, error}`.
// Long jobs (imports, downloads, teacher tuning) answer when they are done and report progress as
// events meanwhile; a run answers `startRun`/`resume` as soon as it has started and then streams
// `step`/`eval`/`checkpoint`/`runStatus` events. Events have no id. All jobs go through the worker's
// one queue, so requests never interleave their storage writes or GPU work; the few that must work
// while a long job holds the queue are answered at once (REQUESTS below says which).
//
// Accuracies are fractions in [0, 1]; null where the subset has no test image.
import type { CachedModel } from '../engine/clip/hub.ts';
import type { OrtWebEntry } from '../engine/runtime/runtime.ts';
import type { SelfTestReport } from '../engine/runtime/selftest.ts';

import type { ImportSettings } from '../engine/data/import-settings.ts';
import type { ClassifierPrecision } from '../engine/promptkd/export-onnx.ts';
import type { Fp16Cost } from '../engine/promptkd/model-folder.ts';
import type { LabelRecipe } from '../engine/promptkd/label-recipe.ts';
import type { RunSettings } from '../engine/promptkd/run-settings.ts';
import type { StudioBackend, StudioOptions } from '../engine/settings/studio-options.ts';
import type { TeacherSettings } from '../engine/promptkd/teacher-settings.ts';
import type {
  Accuracy,
  CheckpointEntry,
  DatasetRole,
  MetricPoint,
  ModelChoice,
  ModelInfo,
  ModelRole,
  References,
  RunRecord,
  RunStatus,
  SkippedImport,
  SplitFileRecord,
  StorageUsage,
  TeacherInfo,
  TeacherLabelsRecord,
  TeacherMode,
} from '../storage/schema.ts';

// the records the app sees as storage keeps them (storage/schema.ts: versioned, migrated)
export type {
  Accuracy,
  CheckpointEntry,
  DatasetRole,
  MetricPoint,
  ModelInfo,
  ModelRole,
  References,
  RunStatus,
  SkippedImport,
  SplitFileRecord,
  StorageUsage,
  TeacherInfo,
  TeacherMode,
};
export type { ClassifierPrecision, Fp16Cost, LabelRecipe, OrtWebEntry, SelfTestReport };
/** a run as stored (its history, references and status) */
export type RunSummary = RunRecord;

export type EngineBackend = StudioBackend;
/** One run's settings: the engine's settings table (engine/promptkd/run-settings.ts). */
export type { RunSettings };
/** What a studio run has beside its settings (engine/settings/studio-options.ts). */
export type { StudioOptions };

// ---- workspace --------------------------------------------------------------------------------

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
  skipped: SkippedImport[];
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
  skipped: SkippedImport[];
  classes: string[];
}

/** where to load a model from: as the studio remembers the choice, but local files as the files themselves */
export type ModelSource =
  | Exclude<ModelChoice, { kind: 'files' | 'hub' }>
  /**
   * a Hugging Face CLIPModel repository as remembered, and for this load only: `token` for a gated
   * or private repo, never stored; `commit` loads exactly this commit
   */
  | (Extract<ModelChoice, { kind: 'hub' }> & { token?: string })
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
 * A model downloaded from a Hub server, as the worker's cache keeps it (the origin private file
 * system): keyed by repo and commit, whichever server the files came from. Files still downloading
 * (paused, cut off) are listed with `complete: false`; `newest` other than `commit` marks an older revision.
 */
export interface CachedHubModel extends CachedModel {
  /** the roles the workspace's loaded models play that came from this repo and commit */
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

/** the student as a model folder, zipped (engine/promptkd/model-folder.ts) */
export interface ModelExport {
  /** a zip of stored entries under one folder: onnx/model.onnx or onnx/model_fp16.onnx, config.json, README.md, … */
  bytes: Uint8Array;
  fileName: string;
  /** the folder's name inside the zip (the snippets name it) */
  folder: string;
  precision: ClassifierPrecision;
  /** the ONNX file's size */
  onnxBytes: number;
  /** the model's input side S: pixel_values [N,3,S,S] */
  imageSize: number;
  /** fp16 against fp32 on the run's test set; null for fp32, or without a test set */
  fp16Cost: Fp16Cost | null;
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
  /** the CoOp split file in force in step 1, as kept between sessions; null: none */
  splitFile: { request: Record<never, never>; result: SplitFileRecord | null };
  /** keeps the split file now in force (null: none), so that a reload finds it */
  setSplitFile: { request: { split: SplitFileRecord | null }; result: null };
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
    /** `options` absent or in part: the backend the worker was started on, and the default checkpoints kept */
    request: {
      settings: RunSettings;
      options?: Partial<StudioOptions>;
      datasets?: { unlabeled?: string; test?: string | null };
      initialPrompts?: File;
    };
    result: RunSummary;
  };
  /** pauses after the current step and writes a checkpoint; replies when paused */
  pause: { request: Record<never, never>; result: RunSummary };
  /**
   * continues a paused or interrupted run from its last checkpoint (same trajectory), on `backend`
   * when given (WASM where WebGPU is gone), else on the run's own. `step`: from that kept checkpoint
   * instead (the best on base): the checkpoints and history after it are dropped
   */
  resume: { request: { runId: string; backend?: EngineBackend; step?: number }; result: RunSummary };
  /** ends the run after the current step (checkpoint written); it cannot be resumed */
  stop: { request: Record<never, never>; result: RunSummary };
  /** evaluates the run's last checkpoint on its test dataset */
  results: { request: { runId: string }; result: RunResults };
  /** the prompts at checkpoint `step` (one the run keeps: the last ones and the best on base), default the last */
  exportPrompts: { request: { runId: string; step?: number }; result: PromptExport };
  /** batch: the model's fixed batch (default 1); `step` as for exportPrompts */
  exportOnnx: { request: { runId: string; batch?: number; step?: number }; result: OnnxExport };
  /**
   * the student as a Hugging Face-style model folder in a zip (model, configs, model card, report,
   * classifier page), in fp32 or fp16; `step` as for exportPrompts. Refused while the run is going on.
   */
  exportModel: { request: { runId: string; precision: ClassifierPrecision; step?: number }; result: ModelExport };
  /** the run report (JSON text): settings, models, datasets, references, history, final results */
  report: { request: { runId: string }; result: { json: string; fileName: string } };
  /** usage/quota now (also sent as 'storage' events after writes) */
  storage: { request: Record<never, never>; result: StorageUsage | null };
  /** the Hub models in the download cache, with their sizes (answered at once, even during a download) */
  hubModels: { request: Record<never, never>; result: CachedHubModel[] };
  /**
   * Removes a cached Hub model's files (of `commit`, default every commit); refused while a run
   * uses it. A loaded model stays loaded: the next load downloads it again. Replies with the cache's models.
   */
  deleteHubModel: { request: { repo: string; commit?: string }; result: CachedHubModel[] };
  /**
   * Stops the Hub download going on (answered at once): paused, its part is kept and the next load
   * continues it; discarded, its part is deleted. The load that was downloading fails with a message saying so.
   */
  stopDownload: { request: { discard: boolean }; result: null };
  /** Loads the newest commit of the branch a kept model came from, for the roles that use that model. */
  updateHubModel: { request: { repo: string; commit: string }; result: Workspace };
}

export type RequestKind = keyof EngineApi;

/** how the worker treats a request of a kind */
export interface RequestTraits {
  /** answered at once instead of in turn: it must work while a long job holds the queue */
  readonly immediate: boolean;
  /** a read-only studio (another tab keeps the data) answers it: it writes nothing */
  readonly reads: boolean;
}

/**
 * Every request kind's traits, in one place: the worker's dispatch and the page's read-only
 * commands are made from it.
 */
export const REQUESTS = {
  selfTest: { immediate: true, reads: true },
  init: { immediate: false, reads: true },
  workspace: { immediate: true, reads: true },
  importFiles: { immediate: false, reads: false },
  stageFiles: { immediate: true, reads: false },
  loadDemo: { immediate: false, reads: false },
  deleteDataset: { immediate: false, reads: false },
  deleteRun: { immediate: false, reads: false },
  setClasses: { immediate: false, reads: false },
  setModels: { immediate: false, reads: false },
  importTeacherLabels: { immediate: false, reads: false },
  splitFile: { immediate: false, reads: true },
  setSplitFile: { immediate: false, reads: false },
  clearTeacherLabels: { immediate: false, reads: false },
  teacher: { immediate: false, reads: false },
  startRun: { immediate: false, reads: false },
  pause: { immediate: true, reads: false },
  resume: { immediate: false, reads: false },
  stop: { immediate: true, reads: false },
  results: { immediate: false, reads: false },
  exportPrompts: { immediate: false, reads: false },
  exportOnnx: { immediate: false, reads: false },
  exportModel: { immediate: false, reads: false },
  report: { immediate: false, reads: false },
  storage: { immediate: true, reads: true },
  hubModels: { immediate: true, reads: true },
  deleteHubModel: { immediate: false, reads: false },
  stopDownload: { immediate: true, reads: false },
  updateHubModel: { immediate: false, reads: false },
} as const satisfies { readonly [K in RequestKind]: RequestTraits };

export type EngineRequest = { [K in RequestKind]: { id: number; kind: K } & EngineApi[K]['request'] }[RequestKind];

/** whose fault a failed request is; 'stopped': nobody's, the user stopped it (a paused or cancelled download) */
export type ErrorKind = 'quota' | 'device' | 'input' | 'model' | 'internal' | 'stopped';

export interface EngineErrorInfo {
  kind: ErrorKind;
  /** what was wrong and what to do, in one or two sentences */
  message: string;
  /** the Hub repo that refused the page as gated or private (HTTP 401/403): an access token may open it */
  tokenFor?: string;
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
