// App state (zustand): what the panels show. Only actions (actions.ts) write it; engine events go
// through the pure reducers below, so what a panel shows follows from the events alone.
import { create } from 'zustand';
import type { ClassifierPrecision, EvalProtocol } from '../engine/surface.ts';
import type {
  Accuracy,
  CachedHubModel,
  CheckpointEntry,
  DatasetRole,
  EngineBackend,
  EngineEvent,
  ErrorKind,
  ImportReport,
  ModelExport,
  References,
  RunResults,
  RunStatus,
  RunSummary,
  SelfTestReport,
  StorageUsage,
  TaskKind,
  Workspace,
} from '../worker/protocol.ts';
import type { UnreadEntry } from './folder-walk.ts';
import type { GpuProbe } from './gpu.ts';

export type SelfTestEntry = { status: 'running' } | { status: 'ok'; report: SelfTestReport } | { status: 'failed'; error: string };

export interface TaskProgress {
  done: number;
  total: number;
  label: string;
}

/** The run on screen: from its summary, then kept current by step/eval/checkpoint/status events. */
export interface LiveRun {
  runId: string;
  status: RunStatus;
  /** steps taken */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  epoch: number;
  loss: number | null;
  lr: number | null;
  /** the latest evaluation and the step it was made at */
  latest: (Accuracy & { step: number }) | null;
  references: References | null;
  checkpointStep: number | null;
  /** the checkpoints the run keeps: the last ones and the best on base */
  checkpoints: CheckpointEntry[];
  message: string | null;
  /** how it is scored: base/new/HM, or under cross-dataset one accuracy (in `base`) */
  protocol: EvalProtocol;
}

export interface Notice {
  id: number;
  kind: ErrorKind | 'settings';
  /** what was wrong and what to do */
  message: string;
  /** the Hub repo an access token may open: the models step offers the token field for it */
  tokenFor?: string;
}

export interface ImportView {
  role: DatasetRole;
  name: string;
  report: ImportReport;
  /** entries the browser would not read while walking the drop */
  unread: UnreadEntry[];
}

export interface StudioState {
  /** null until the browser has been asked */
  gpu: GpuProbe | null;
  /** the backend the studio computes on; null until the self-test has decided */
  backend: EngineBackend | null;
  /** why the studio is not on WebGPU; null when it is (or before it is decided) */
  fallbackReason: string | null;
  /** WebGPU works here (it may still not be the default: a software adapter is slower than WASM) */
  webgpuUsable: boolean;
  selfTest: Partial<Record<EngineBackend, SelfTestEntry>>;

  /** the worker's workspace; null until init answered */
  workspace: Workspace | null;
  tasks: Partial<Record<TaskKind, TaskProgress>>;
  run: LiveRun | null;
  notices: Notice[];
  lastImport: ImportView | null;
  /** folders given but not imported yet: they wait for the workspace, or for the import before them */
  queuedImports: number;
  results: RunResults | null;
  storage: StorageUsage | null;
  /** the Hub models in the worker's download cache; null until asked */
  hubModels: CachedHubModel[] | null;
  /** location.hash: the run settings (parsed against defaults that depend on the models) */
  hashText: string;
  /** the one-click demo was started: the classroom explanations are shown */
  classroom: boolean;
  /** present mode: the run's big numbers, its accuracy chart and the explanations, nothing else */
  presenting: boolean;
  /** the keyboard shortcuts list is open */
  shortcutsOpen: boolean;
  /** what the exports take, and what Resume continues from: the last checkpoint, or the best on base */
  exportFrom: 'last' | 'best';
  /** the model folder's precision (step 6) */
  modelPrecision: ClassifierPrecision;
  /** the last model folder exported: what it holds and, for fp16, what it cost against fp32 */
  modelExported: Omit<ModelExport, 'bytes'> | null;
  /** the user dismissed the resume offer for this run id */
  resumeDismissed: string | null;
  /** actions in flight, by id (buttons show it and stay disabled) */
  busy: Record<string, boolean>;
  /** another tab keeps the studio's data: this one only shows it */
  readOnly: boolean;
}

export const initialState: StudioState = {
  gpu: null,
  backend: null,
  fallbackReason: null,
  webgpuUsable: false,
  selfTest: {},
  workspace: null,
  tasks: {},
  run: null,
  notices: [],
  lastImport: null,
  queuedImports: 0,
  results: null,
  storage: null,
  hubModels: null,
  hashText: '',
  classroom: false,
  presenting: false,
  shortcutsOpen: false,
  exportFrom: 'last',
  modelPrecision: 'fp32',
  modelExported: null,
  resumeDismissed: null,
  busy: {},
  readOnly: false,
};

export const useStudio = create<StudioState>()(() => initialState);

/**
 * The empty list for selectors' defaults: zustand compares what a selector returns by identity, so
 * a selector that returns a new [] on every call never settles (React re-renders until it gives up).
 */
export const NONE: readonly never[] = [];

/** WebGPU when the browser offers it and the engine really ran on it; otherwise WASM, with the reason. */
export function chooseBackend(
  gpu: GpuProbe,
  webgpu: SelfTestEntry | undefined,
): Pick<StudioState, 'backend' | 'fallbackReason' | 'webgpuUsable'> {
  const wasm = (fallbackReason: string, webgpuUsable = false) => ({ backend: 'wasm' as const, fallbackReason, webgpuUsable });
  if (!gpu.ok) return wasm(gpu.reason);
  if (webgpu?.status === 'ok' && !webgpu.report.onDevice)
    return wasm('the WebGPU session returned its output on the CPU, not in a GPU buffer');
  if (webgpu?.status === 'failed') return wasm(`the WebGPU engine failed: ${webgpu.error}`);
  if (webgpu?.status !== 'ok') return wasm('the WebGPU self-test did not run');
  // a software adapter (SwiftShader) computes correctly, but dispatches cost milliseconds each:
  // measured here, the demo's train step is ~75× and its teacher ~200× slower than on WASM
  if (gpu.info.isFallbackAdapter) {
    return wasm(
      'this browser offers only a software WebGPU adapter, which trains far slower than WASM; add backend=webgpu to the page address to use it anyway',
      true,
    );
  }
  return { backend: 'webgpu', fallbackReason: null, webgpuUsable: true };
}

// ---- reducers -----------------------------------------------------------------------------------

/** The live view of a run summary (start, resume, pause and stop replies, the workspace's runs). */
export function liveRunOf(s: RunSummary): LiveRun {
  let latest: LiveRun['latest'] = null,
    loss: number | null = null;
  for (const p of s.history) {
    if (p.loss !== undefined) loss = p.loss;
    if (p.hm !== undefined || p.base !== undefined) latest = { step: p.step, base: p.base ?? null, new: p.new ?? null, hm: p.hm ?? null };
  }
  return {
    runId: s.id,
    status: s.status,
    step: s.step,
    totalSteps: s.totalSteps,
    stepsPerEpoch: s.stepsPerEpoch,
    epoch: s.stepsPerEpoch > 0 ? Math.floor(s.step / s.stepsPerEpoch) : 0,
    loss,
    lr: null,
    latest,
    references: s.references,
    checkpointStep: s.checkpointStep,
    checkpoints: s.checkpoints,
    message: s.message,
    protocol: s.settings.protocol,
  };
}

let noticeId = 0;
/** add a notice unless the same message is already shown */
export function withNotice(notices: readonly Notice[], kind: Notice['kind'], message: string, tokenFor?: string): Notice[] {
  if (notices.some((n) => n.message === message)) return [...notices];
  return [...notices, { id: ++noticeId, kind, message, ...(tokenFor ? { tokenFor } : {}) }];
}

const forRun = (run: LiveRun | null, runId: string) => (run?.runId === runId ? run : null);

/** What one engine event changes. Events of a run other than the one on screen change nothing but notices. */
export function applyEvent(s: StudioState, e: EngineEvent): Partial<StudioState> {
  switch (e.kind) {
    case 'progress': {
      const tasks = { ...s.tasks };
      if (e.done >= e.total) delete tasks[e.task];
      else tasks[e.task] = { done: e.done, total: e.total, label: e.label };
      return { tasks };
    }
    case 'step': {
      const run = forRun(s.run, e.runId);
      return run ? { run: { ...run, step: e.step, epoch: e.epoch, loss: e.loss, lr: e.lr } } : {};
    }
    case 'eval': {
      const run = forRun(s.run, e.runId);
      return run ? { run: { ...run, latest: { step: e.step, base: e.base, new: e.new, hm: e.hm } } } : {};
    }
    case 'references': {
      const run = forRun(s.run, e.runId);
      return run ? { run: { ...run, references: { teacher: e.teacher, studentZeroShot: e.studentZeroShot } } } : {};
    }
    case 'checkpoint': {
      const run = forRun(s.run, e.runId);
      return run ? { run: { ...run, checkpointStep: e.step, checkpoints: e.checkpoints } } : {};
    }
    case 'runStatus': {
      const run = forRun(s.run, e.runId);
      const notices = e.status === 'failed' && e.message ? withNotice(s.notices, 'internal', e.message) : s.notices;
      return run ? { run: { ...run, status: e.status, step: e.step, message: e.message }, notices } : { notices };
    }
    case 'deviceLost':
      // one device notice: the worker's own error event (if it sends one) says it better and replaces this
      return {
        backend: 'wasm',
        webgpuUsable: false,
        fallbackReason: `the GPU device was lost: ${e.reason}`,
        notices: s.notices.some((n) => n.kind === 'device')
          ? s.notices
          : withNotice(
              s.notices,
              'device',
              `The GPU device was lost (${e.reason}). The run is paused at its last checkpoint; the studio now computes on WASM. Resume to continue on the CPU, or reload the page to try the GPU again.`,
            ),
      };
    case 'storage':
      return { storage: { usage: e.usage, quota: e.quota, persisted: e.persisted } };
    case 'error': {
      const kept = e.error.kind === 'device' ? s.notices.filter((n) => n.kind !== 'device') : s.notices;
      return { notices: withNotice(kept, e.error.kind, e.error.message, e.error.tokenFor) };
    }
  }
}

/** Apply a batch of events in order (the app coalesces events per animation frame). */
export function applyEvents(s: StudioState, events: readonly EngineEvent[]): StudioState {
  let state = s;
  for (const e of events) state = { ...state, ...applyEvent(state, e) };
  return state;
}
