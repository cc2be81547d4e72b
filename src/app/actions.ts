// Every command the UI can give, in one registry: buttons and start-up go through `runAction`,
// `enabled` says when a command makes sense, and a failure becomes a notice saying what to do.
// This is the only place that talks to the engine worker.
import { bestOnBase, parseSplitFile, singleClassHalf } from '../engine/surface.ts';
import { EngineError } from '../worker/client.ts';
import { dropEngine, engine, watchEngineEvents } from './engine-session.ts';
import { saveBlob, saveBytes } from './save-file.ts';
import type {
  DatasetRole,
  EngineBackend,
  EngineEvent,
  ModelSource,
  PromptExport,
  RequestKind,
  RunSummary,
  SplitFileRecord,
  TeacherMode,
  Workspace,
} from '../worker/protocol.ts';
import { REQUESTS } from '../worker/protocol.ts';
import { useSplit } from './split-choice.ts';
import { chartPng, liveChart } from './live-chart-data.ts';
import type { WalkResult } from './folder-walk.ts';
import { probeWebGpu } from './gpu.ts';
import { effectiveImportSettings, effectiveSettings, effectiveTeacherSettings, startRequestOf, webGpuEntryOf } from './settings.ts';
import { labelsProblem } from './labels.ts';
import { claimWriter } from './writer-lock.ts';
import { chooseBackend, liveRunOf, useStudio, withNotice, type StudioState } from './store.ts';

/** A key that runs an action from anywhere on the page (shortcuts.ts); the `?` list shows these. */
export interface Shortcut {
  /** KeyboardEvent.key: ' ', 'p', '?', 'Escape' */
  readonly key: string;
  /** how the key is written in the list: 'Space', 'P' */
  readonly name: string;
  /** what pressing it does, for the list (a button's label alone may not say) */
  readonly does: string;
}

export interface Action<A = void> {
  /** what its button says */
  readonly label: string;
  /**
   * what it asks of the engine worker: a tab that only shows the data (another tab keeps it) can
   * run an action whose requests all only read (protocol.ts REQUESTS)
   */
  readonly requests: readonly RequestKind[];
  /** what its button says while it runs */
  readonly busyLabel?: string;
  readonly shortcut?: Shortcut;
  /**
   * true: `perform` marks itself busy and reports its own errors. Every other action runs under
   * runAction's guard: marked busy under its id while it runs, its errors shown as notices.
   */
  readonly ownGuard?: true;
  enabled(state: StudioState): boolean;
  perform(arg: A): Promise<void>;
}

const { getState: get, setState: set } = useStudio;

// ---- the engine worker -------------------------------------------------------------------------------

/**
 * After a lost GPU the worker's onnxruntime may never finish the work that was in flight, and its
 * WASM backend shares that instance: once the run has stopped (or at once, with no run going) the
 * studio starts a fresh worker, which computes on WASM and resumes the run from its checkpoint.
 */
let gpuLost = false;
watchEngineEvents(restartAfterGpuLoss);
function restartAfterGpuLoss(e: EngineEvent): void {
  if (e.kind === 'deviceLost') gpuLost = true;
  if (!gpuLost) return;
  const runStopped = e.kind === 'runStatus' && e.status !== 'running';
  const idle = e.kind === 'deviceLost' && get().run?.status !== 'running';
  if (!runStopped && !idle) return;
  gpuLost = false;
  dropEngine('the engine was restarted after the GPU was lost; try again');
  void guarded('restartEngine', async () => showWorkspace(await engine().call('init', { backend: 'wasm' })));
}

/** a fresh worker, for a tab that has just become the writer or stopped being one */
async function restartEngine(why: string, readOnly: boolean): Promise<void> {
  dropEngine(why);
  showWorkspace(await engine().call('init', { backend: currentSettings().settings.backend, readOnly }));
}

/** another tab took over: a run going on here pauses at a checkpoint, and this tab turns read-only */
function lostWriter(): void {
  set({ readOnly: true });
  void guarded('loseWriter', async () => {
    if (get().run?.status === 'running') showRun(await engine().call('pause', {}));
    await restartEngine('another tab took over the studio', true);
  });
}

const takeOver: Action = {
  label: 'Work in this tab',
  requests: ['init'],
  busyLabel: 'Taking over…',
  enabled: (s) => s.readOnly && !busy(s, 'takeOver'),
  perform: async () => {
    if (!(await claimWriter(lostWriter, true))) return;
    await restartEngine('this tab took over the studio', false);
    set({ readOnly: false });
  },
};

// ---- helpers ----------------------------------------------------------------------------------

/**
 * What is marked busy while it runs: an action (its button shows its busy label), or one of these
 * engine tasks that other parts of the page follow (classroom.ts reads the stages).
 */
type BusyKey =
  | ActionId
  /** stage 1 of the demo or of the teacher step */
  | 'tuneTeacher'
  /** a run's start request, from Start or from the demo: the teacher's first labels */
  | 'startingRun'
  /** a fresh worker after the GPU was lost */
  | 'restartEngine'
  /** pausing and turning read-only after another tab took over */
  | 'loseWriter';

const busy = (s: StudioState, id: BusyKey) => !!s.busy[id];
const anyBusy = (s: StudioState, ...ids: BusyKey[]) => ids.some((id) => busy(s, id));
const running = (s: StudioState) => s.run?.status === 'running';

function notify(kind: Parameters<typeof withNotice>[1], message: string, tokenFor?: string): void {
  set((s) => ({ notices: withNotice(s.notices, kind, message, tokenFor) }));
}

/** run `fn` with `id` marked busy while it runs */
async function marked<T>(id: BusyKey, fn: () => Promise<T>): Promise<T> {
  set((s) => ({ busy: { ...s.busy, [id]: true } }));
  try {
    return await fn();
  } finally {
    set((s) => ({ busy: { ...s.busy, [id]: false } }));
  }
}

/** run `fn` with the action marked busy; an engine error becomes a notice instead of a crash */
async function guarded(id: BusyKey, fn: () => Promise<void>): Promise<void> {
  try {
    await marked(id, fn);
  } catch (e) {
    if (e instanceof EngineError) notify(e.kind, e.message, e.tokenFor);
    else notify('internal', `${(e as Error).message || String(e)}. Reload the page; your imported data and checkpoints are kept.`);
  }
}

const showWorkspace = (workspace: Workspace) => set({ workspace, ...(workspace.usage ? { storage: workspace.usage } : {}) });

/** the download cache's Hub models: after start-up and whenever the workspace's models may have changed */
const showHubModels = async () => set({ hubModels: await engine().call('hubModels', {}) });

/** the workspace a model load answers, then the Hub models even when it failed (it may have cached some files: config.json before bad weights) */
async function showModelsLoaded(load: Promise<Workspace>): Promise<void> {
  try {
    showWorkspace(await load);
  } finally {
    await showHubModels();
  }
}

function showRun(summary: RunSummary): void {
  const current = get().run;
  if (current?.runId !== summary.id) {
    liveChart.clear();
    liveChart.load(summary.history);
  }
  liveChart.setProtocol(summary.settings.protocol);
  if (summary.references) liveChart.setReferences(summary.references.teacher, summary.references.studentZeroShot);
  set({ run: liveRunOf(summary), results: null });
}

/** after a pause or a stop the chart and the results stay: only where the run stands changes */
function showRunStanding({ status, step, checkpointStep }: Pick<RunSummary, 'status' | 'step' | 'checkpointStep'>): void {
  set((s) => ({ run: s.run && { ...s.run, status, step, checkpointStep } }));
}

function currentSettings(s: StudioState = get()) {
  return effectiveSettings(s.hashText, s.workspace?.models.student ?? null, s.backend, s.webgpuUsable, s.gpu?.info?.shaderF16 ?? false);
}

/** why the teacher labels in force cannot serve a run started now; null without labels, or when they can */
export function labelsProblemOf(s: StudioState): string | null {
  const labels = s.workspace?.teacherLabels;
  return labels ? labelsProblem(labels, s.workspace!.classes, currentSettings(s).settings) : null;
}

// ---- backend and start-up -----------------------------------------------------------------------

const selfTestRunning = (s: StudioState) => Object.values(s.selfTest).some((e) => e?.status === 'running');

async function selfTestOn(backend: EngineBackend): Promise<void> {
  const put = (entry: StudioState['selfTest'][EngineBackend]) => set((s) => ({ selfTest: { ...s.selfTest, [backend]: entry } }));
  put({ status: 'running' });
  try {
    put({ status: 'ok', report: await engine().call('selfTest', { backend, ep: webGpuEntryOf(get().hashText) }) });
  } catch (e) {
    put({ status: 'failed', error: (e as Error).message });
  }
}

const checkBackend: Action = {
  label: 'Run self-test',
  requests: ['selfTest'],
  enabled: (s) => !selfTestRunning(s),
  async perform() {
    // the WASM test always runs: mark it now so the command is disabled while the GPU is probed
    set({ gpu: null, backend: null, fallbackReason: null, webgpuUsable: false, selfTest: { wasm: { status: 'running' } } });
    const gpu = await probeWebGpu();
    set({ gpu });
    // WASM first: it is always there, and a WebGPU failure must not hide its result
    const backends: EngineBackend[] = gpu.ok ? ['wasm', 'webgpu'] : ['wasm'];
    for (const b of backends) await selfTestOn(b);
    set(chooseBackend(gpu, get().selfTest.webgpu));
  },
};

/** once per page load: capability check, then the workspace (and a run to resume, if any) */
const boot: Action = {
  label: 'Start the studio',
  requests: ['selfTest', 'init', 'splitFile', 'hubModels'],
  enabled: (s) => !s.workspace && !busy(s, 'boot'),
  perform: async () => {
    await checkBackend.perform();
    const writer = await claimWriter(lostWriter);
    set({ readOnly: !writer });
    const ws = await engine().call('init', { backend: currentSettings().settings.backend, readOnly: !writer });
    showWorkspace(ws);
    // the split file in force before the reload, if any: its classes and its folder's plan come back with it
    const split = await engine().call('splitFile', {});
    try {
      if (split) useSplit.setState({ chosen: { name: split.name, split: parseSplitFile(split.text, split.name) } });
    } catch (e) {
      notify(
        'input',
        `The split file ${split!.name} kept from before cannot be read any more (${(e as Error).message}); choose it again in step 1.`,
      );
    }
    workspaceShown();
    const active = ws.activeRunId ? ws.runs.find((r) => r.id === ws.activeRunId) : null;
    if (active) showRun(active);
    // the worker runs nothing after a reload: the interrupted run waits, paused, at its checkpoint
    else if (ws.resumable)
      showRun({ ...ws.resumable, status: 'paused', message: ws.resumable.message ?? 'interrupted when the page went away' });
    await showHubModels();
  },
};

const refreshWorkspace = async () => showWorkspace(await engine().call('workspace', {}));

// ---- demo -----------------------------------------------------------------------------------------

/** stage 1: PromptSRC on the newest few-shot folder, with the hash's teacher settings over the teacher's defaults */
async function tuneTeacher(): Promise<void> {
  const s = get();
  const { settings } = effectiveTeacherSettings(s.hashText, s.workspace?.models.teacher ?? null);
  // marked on its own: the explanations say "stage 1" while it runs (classroom.ts)
  await marked('tuneTeacher', () => engine().call('teacher', { mode: 'tune', settings }));
}

/** both stages, as the paper does them: the teacher's prompts tuned on the demo's 16 shots per base class, then distillation */
const startDemo: Action = {
  label: 'Start the demo',
  requests: ['loadDemo', 'teacher', 'startRun', 'workspace', 'hubModels'],
  busyLabel: 'Starting…',
  enabled: (s) => !!s.workspace && !running(s) && !anyBusy(s, 'startDemo', 'startRun', 'importData', 'setModels', 'setTeacher'),
  perform: async () => {
    set({ classroom: true });
    showWorkspace(await engine().call('loadDemo', {}));
    await tuneTeacher();
    const start = startRequestOf(currentSettings().settings);
    // the explanations say that stage 2 has begun (classroom.ts)
    showRun(await marked('startingRun', () => engine().call('startRun', start)));
    await refreshWorkspace();
    await showHubModels();
  },
};

// ---- data, classes, models, teacher ------------------------------------------------------------------

export interface ImportRequest {
  role: DatasetRole;
  name: string;
  walk: WalkResult;
  /** the id of an interrupted import this folder completes */
  completes?: string;
}

/** resolves once boot has shown the workspace: what the user gives before then waits for it */
let workspaceShown!: () => void;
const workspaceReady = new Promise<void>((resolve) => {
  workspaceShown = resolve;
});
/** imports one after another, in the order they were given */
let imports: Promise<void> = Promise.resolve();

async function importOne({ role, name, walk, completes }: ImportRequest): Promise<void> {
  if (walk.files.length === 0) {
    const why = walk.unread.length ? `none of its ${walk.unread.length} entries could be read` : 'it holds no files';
    notify('input', `Nothing to import from "${name}": ${why}. Drop a folder of PNG or JPEG images.`);
    return;
  }
  set({ lastImport: null });
  // the stored copies' size is the import setting in the address when the import starts
  const report = await engine().importFiles(role, name, walk.files, completes, effectiveImportSettings(get().hashText).settings.images);
  set({ lastImport: { role, name, report, unread: walk.unread } });
  const ws = await engine().call('workspace', {});
  showWorkspace(ws);
  // the first labeled folder names the classes, as a Teachable Machine project would
  if (role !== 'unlabeled' && ws.classes.length === 0 && report.classes.length >= 2)
    showWorkspace(await engine().call('setClasses', { classes: report.classes }));
}

const importData: Action<ImportRequest> = {
  label: 'Import',
  requests: ['stageFiles', 'importFiles', 'workspace', 'setClasses'],
  // never refused: a folder chosen while the studio starts, or while another folder imports, waits
  // its turn (the page says so) instead of being dropped; each import is guarded when its turn comes
  enabled: () => true,
  ownGuard: true,
  perform: (request) => {
    set((s) => ({ queuedImports: s.queuedImports + 1 }));
    imports = imports.then(async () => {
      await workspaceReady;
      set((s) => ({ queuedImports: s.queuedImports - 1 }));
      await guarded('importData', () => importOne(request));
    });
    return imports;
  },
};

/** a CoOp split file (step 1), kept so that a reload finds it in force; its classes are set with setClasses */
const keepSplitFile: Action<SplitFileRecord> = {
  label: 'From a split file…',
  requests: ['setSplitFile'],
  enabled: (s) => !!s.workspace && !running(s),
  perform: async (split) => {
    useSplit.setState({ chosen: { name: split.name, split: parseSplitFile(split.text, split.name) }, missing: null });
    await engine().call('setSplitFile', { split });
  },
};

const setClasses: Action<string[]> = {
  label: 'Save classes',
  requests: ['setClasses'],
  enabled: (s) => !!s.workspace && !running(s) && !busy(s, 'setClasses'),
  perform: async (classes) => showWorkspace(await engine().call('setClasses', { classes })),
};

/** `teacher` absent: the student alone, with teacher labels in force */
const setModels: Action<{ student: ModelSource; teacher?: ModelSource }> = {
  label: 'Load models',
  requests: ['setModels', 'hubModels'],
  busyLabel: 'Loading…',
  enabled: (s) => !!s.workspace && !running(s) && !anyBusy(s, 'setModels', 'startDemo'),
  perform: async ({ student, teacher }) => showModelsLoaded(engine().call('setModels', { student, teacher })),
};

const setTeacher: Action<{ mode: TeacherMode; file?: File }> = {
  label: 'Prepare teacher',
  requests: ['teacher'],
  busyLabel: 'Preparing…',
  enabled: (s) =>
    !!s.workspace?.models.teacher &&
    !s.workspace.teacherLabels &&
    !running(s) &&
    !anyBusy(s, 'setTeacher', 'startDemo', 'importTeacherLabels'),
  perform: async ({ mode, file }) => {
    if (mode === 'tune') await tuneTeacher();
    else await engine().call('teacher', { mode, file });
    await refreshWorkspace();
  },
};

/** labels made by `promptkd label`: a merged file, or every shard of a labelling (`name`: the file's or the folder's) */
const importTeacherLabels: Action<{ name: string; files: File[] }> = {
  label: 'Import teacher labels',
  requests: ['importTeacherLabels'],
  busyLabel: 'Importing…',
  enabled: (s) => !!s.workspace && !running(s) && !anyBusy(s, 'importTeacherLabels', 'setTeacher', 'startDemo'),
  perform: async ({ name, files }) => showWorkspace(await engine().call('importTeacherLabels', { name, files })),
};

const clearTeacherLabels: Action = {
  label: 'Stop using labels',
  requests: ['clearTeacherLabels'],
  busyLabel: 'Stopping…',
  enabled: (s) => !!s.workspace?.teacherLabels && !running(s) && !busy(s, 'clearTeacherLabels'),
  perform: async () => showWorkspace(await engine().call('clearTeacherLabels', {})),
};

// ---- runs -----------------------------------------------------------------------------------------

/** a new run from fresh prompts, or from exported student prompts (.safetensors of an earlier run) */
const startRun: Action<File | undefined> = {
  label: 'Start distillation',
  requests: ['startRun', 'workspace'],
  busyLabel: 'Starting…',
  enabled: (s) => !!s.workspace && !running(s) && !anyBusy(s, 'startRun', 'startDemo', 'resumeRun') && labelsProblemOf(s) === null,
  perform: async (initialPrompts) => {
    const { settings, notes } = currentSettings();
    for (const n of notes) notify('settings', `Settings: ${n}.`);
    const lonely = singleClassHalf(get().workspace!.classes, settings.protocol);
    if (lonely) notify('settings', `Evaluation: ${lonely}.`);
    showRun(await marked('startingRun', () => engine().call('startRun', { ...startRequestOf(settings), initialPrompts })));
    await refreshWorkspace();
  },
};

const pauseRun: Action = {
  label: 'Pause',
  requests: ['pause'],
  busyLabel: 'Pausing…',
  enabled: (s) => running(s) && !busy(s, 'pauseRun'),
  perform: async () => showRunStanding(await engine().call('pause', {})),
};

const resumeRun: Action<string> = {
  label: 'Resume',
  requests: ['resume'],
  busyLabel: 'Resuming…',
  enabled: (s) => s.run?.status === 'paused' && !anyBusy(s, 'resumeRun', 'startRun'),
  perform: async (runId) => {
    // a run made on WebGPU goes on on WASM where WebGPU is gone: after a lost GPU, the app's fresh
    // worker has no memory of the loss and would open the run on the GPU again
    // from the best on base when that is chosen (Export and resume from): the steps after it are dropped
    const summary = await engine().call('resume', { runId, backend: get().webgpuUsable ? undefined : 'wasm', step: exportStep(get()) });
    // the run goes on from its checkpoint: what was drawn after it is a trajectory that is gone
    liveChart.truncateAfter(summary.checkpointStep ?? 0);
    set({ resumeDismissed: runId });
    showRun(summary);
    await refreshWorkspace();
  },
};

const stopRun: Action = {
  label: 'Stop',
  requests: ['stop'],
  busyLabel: 'Stopping…',
  enabled: (s) => (running(s) || s.run?.status === 'paused') && !busy(s, 'stopRun'),
  perform: async () => {
    showRunStanding(await engine().call('stop', {}));
    await refreshWorkspace();
  },
};

/** one key for both: the person at the keyboard is talking, and wants one key to pause */
const pauseOrResume: Action = {
  label: 'Pause or resume',
  requests: ['pause', 'resume'],
  shortcut: {
    key: ' ',
    name: 'Space',
    does: 'pause the run, or resume it (unless a button or field has the focus: then Space presses it)',
  },
  enabled: (s) => isEnabled('pauseRun', s) || isEnabled('resumeRun', s),
  perform: async () => {
    const s = get();
    if (isEnabled('pauseRun', s)) await runAction('pauseRun');
    else if (s.run) await runAction('resumeRun', s.run.runId);
  },
};

const dismissResume: Action = {
  label: 'Not now',
  requests: [],
  enabled: (s) => !!s.workspace?.resumable,
  perform: async () => set((s) => ({ resumeDismissed: s.workspace?.resumable?.id ?? null })),
};

// ---- results and exports --------------------------------------------------------------------------

const hasCheckpoint = (s: StudioState) => s.run?.checkpointStep != null && !running(s);

const loadResults: Action = {
  label: 'Show results of the last checkpoint',
  requests: ['results'],
  busyLabel: 'Evaluating…',
  enabled: (s) => hasCheckpoint(s) && !busy(s, 'loadResults'),
  perform: async () => set({ results: await engine().call('results', { runId: get().run!.runId }) }),
};

/** the checkpoint the exports take: the best on base when chosen, else the last (undefined) */
const exportStep = (s: StudioState): number | undefined =>
  s.exportFrom === 'best' && s.run ? bestOnBase(s.run.checkpoints)?.step : undefined;

const chooseExport: Action<StudioState['exportFrom']> = {
  label: 'Export and resume from',
  requests: [],
  enabled: (s) => hasCheckpoint(s),
  perform: async (from) => set({ exportFrom: from }),
};

/** the student's prompts, saved as the files `save` picks from the worker's answer */
const promptExport = (id: 'exportPrompts' | 'exportPromptsPth', label: string, save: (e: PromptExport) => void): Action => ({
  label,
  requests: ['exportPrompts'],
  busyLabel: 'Preparing…',
  enabled: (s) => hasCheckpoint(s) && !busy(s, id),
  perform: async () => save(await engine().call('exportPrompts', { runId: get().run!.runId, step: exportStep(get()) })),
});

const exportPrompts = promptExport('exportPrompts', 'Student prompts (.safetensors + .json)', (e) => {
  saveBytes(e.safetensors, `${e.fileName}.safetensors`);
  saveBytes(e.config, `${e.fileName}.json`, 'application/json');
});

const exportPromptsPth = promptExport('exportPromptsPth', 'Student prompts for PyTorch (.pth.tar)', (e) => {
  saveBytes(e.pth, `${e.fileName}.pth.tar`);
});

const exportOnnx: Action = {
  label: 'Student classifier (.onnx)',
  requests: ['exportOnnx'],
  busyLabel: 'Preparing…',
  enabled: (s) => hasCheckpoint(s) && !busy(s, 'exportOnnx'),
  perform: () =>
    engine()
      .call('exportOnnx', { runId: get().run!.runId, step: exportStep(get()) })
      .then((onnx) => saveBytes(onnx.bytes, onnx.fileName)),
};

const chooseModelPrecision: Action<StudioState['modelPrecision']> = {
  label: 'Model precision',
  requests: [],
  enabled: (s) => hasCheckpoint(s) && !busy(s, 'exportModel'),
  perform: async (precision) => set({ modelPrecision: precision }),
};

/** the student as a model folder (zip): transformers.js, onnxruntime and the page in it run it */
const exportModel: Action = {
  label: 'Model folder (.zip)',
  requests: ['exportModel'],
  busyLabel: 'Exporting…',
  enabled: (s) => hasCheckpoint(s) && !busy(s, 'exportModel'),
  perform: async () => {
    const { bytes, ...made } = await engine().call('exportModel', {
      runId: get().run!.runId,
      precision: get().modelPrecision,
      step: exportStep(get()),
    });
    saveBytes(bytes, made.fileName, 'application/zip');
    set({ modelExported: made });
  },
};

const exportReport: Action = {
  label: 'Run report (.json)',
  requests: ['report'],
  busyLabel: 'Preparing…',
  enabled: (s) => !!s.run && !busy(s, 'exportReport'),
  perform: async () => {
    const r = await engine().call('report', { runId: get().run!.runId });
    saveBytes(r.json, r.fileName, 'application/json');
  },
};

const exportChart: Action = {
  label: 'Chart (.png)',
  requests: [],
  busyLabel: 'Preparing…',
  enabled: (s) => !!s.run,
  perform: async () => {
    const png = await chartPng();
    if (!png) return notify('input', 'There is no chart to save yet: start or resume a run first.');
    saveBlob(png, `promptkd-chart-${get().run!.runId}.png`);
  },
};

// ---- storage ----------------------------------------------------------------------------------------

const deleteDataset: Action<string> = {
  label: 'Delete',
  requests: ['deleteDataset'],
  enabled: (s) => !running(s) && !busy(s, 'deleteDataset'),
  perform: async (datasetId) => showWorkspace(await engine().call('deleteDataset', { datasetId })),
};

/** a running run stops first (its status line says so), then it goes from the page */
const deleteRun: Action<string> = {
  label: 'Delete',
  requests: ['deleteRun'],
  enabled: (s) => !busy(s, 'deleteRun'),
  perform: async (runId) => {
    const workspace = await engine().call('deleteRun', { runId });
    if (get().run?.runId === runId) {
      liveChart.clear();
      set({ run: null, results: null });
    }
    showWorkspace(workspace);
  },
};

const deleteHubModel: Action<{ repo: string; commit: string }> = {
  label: 'Delete',
  requests: ['deleteHubModel'],
  // a download writes to the same cache
  enabled: (s) => !anyBusy(s, 'deleteHubModel', 'setModels', 'updateHubModel'),
  perform: async ({ repo, commit }) => set({ hubModels: await engine().call('deleteHubModel', { repo, commit }) }),
};

/** the roles using a kept model take the newest commit of the branch it came from */
const updateHubModel: Action<{ repo: string; commit: string }> = {
  label: 'Update',
  requests: ['updateHubModel', 'hubModels'],
  busyLabel: 'Updating…',
  enabled: (s) => !!s.workspace && !running(s) && !anyBusy(s, 'setModels', 'updateHubModel', 'deleteHubModel', 'startDemo'),
  perform: async ({ repo, commit }) => showModelsLoaded(engine().call('updateHubModel', { repo, commit })),
};

const downloading = (s: StudioState) => anyBusy(s, 'setModels', 'updateHubModel') && !!s.tasks.download;

/** the load going on fails with "paused"; what arrived is kept, and the next load goes on from there */
const pauseDownload: Action = {
  label: 'Pause download',
  requests: ['stopDownload'],
  enabled: downloading,
  perform: async () => void (await engine().call('stopDownload', { discard: false })),
};

const cancelDownload: Action = {
  label: 'Cancel download',
  requests: ['stopDownload'],
  enabled: downloading,
  perform: async () => void (await engine().call('stopDownload', { discard: true })),
};

const persistStorage: Action = {
  label: 'Keep my data',
  requests: ['storage'],
  enabled: (s) => !!s.storage && !s.storage.persisted && !busy(s, 'persistStorage'),
  perform: async () => {
    // only a page can ask (the worker has no StorageManager.persist)
    const granted = await navigator.storage?.persist?.();
    if (!granted)
      notify(
        'quota',
        "The browser did not promise to keep the studio's data (it may evict it when the disk runs low). Bookmarking the page or installing it makes Chrome more likely to agree.",
      );
    const usage = await engine().call('storage', {});
    if (usage) set({ storage: usage });
  },
};

// ---- presenting ---------------------------------------------------------------------------------

const togglePresent: Action = {
  label: 'Present',
  requests: [],
  shortcut: { key: 'p', name: 'P', does: 'present mode on or off: big numbers, the accuracy chart and the explanations, nothing else' },
  enabled: () => true,
  perform: async () => set((s) => ({ presenting: !s.presenting })),
};

const showShortcuts: Action = {
  label: 'Keyboard shortcuts',
  requests: [],
  shortcut: { key: '?', name: '?', does: 'list these shortcuts' },
  enabled: (s) => !s.shortcutsOpen,
  perform: async () => set({ shortcutsOpen: true }),
};

/** the shortcuts list closes first; with it closed, present mode ends */
const closeView: Action = {
  label: 'Close',
  requests: [],
  shortcut: { key: 'Escape', name: 'Esc', does: 'close this list, or leave present mode' },
  enabled: (s) => s.shortcutsOpen || s.presenting,
  perform: async () => set((s) => (s.shortcutsOpen ? { shortcutsOpen: false } : { presenting: false })),
};

const dismissNotice: Action<number> = {
  label: 'Dismiss',
  requests: [],
  enabled: () => true,
  perform: async (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
};

export const actions = {
  checkBackend,
  boot,
  startDemo,
  importData,
  keepSplitFile,
  setClasses,
  setModels,
  setTeacher,
  importTeacherLabels,
  clearTeacherLabels,
  startRun,
  pauseRun,
  resumeRun,
  stopRun,
  pauseOrResume,
  dismissResume,
  togglePresent,
  showShortcuts,
  closeView,
  loadResults,
  chooseExport,
  exportPrompts,
  exportPromptsPth,
  exportOnnx,
  chooseModelPrecision,
  exportModel,
  exportReport,
  exportChart,
  deleteDataset,
  deleteRun,
  deleteHubModel,
  updateHubModel,
  pauseDownload,
  cancelDownload,
  persistStorage,
  dismissNotice,
  takeOver,
};
export type ActionId = keyof typeof actions;
export type ArgOf<K extends ActionId> = (typeof actions)[K] extends Action<infer A> ? A : never;

export const isEnabled = (id: ActionId, s: StudioState) => {
  const action = actions[id] as Action<unknown>;
  return (!s.readOnly || action.requests.every((kind) => REQUESTS[kind].reads)) && action.enabled(s);
};

export async function runAction<K extends ActionId>(
  id: K,
  ...arg: undefined extends ArgOf<K> ? [ArgOf<K>?] : ArgOf<K> extends void ? [] : [ArgOf<K>]
): Promise<void> {
  const action = actions[id] as Action<unknown>;
  if (!isEnabled(id, get())) return;
  await (action.ownGuard ? action.perform(arg[0]) : guarded(id, () => action.perform(arg[0])));
}
