// The main thread's handle on the engine worker: requests become promises, events go to one callback.
import type { ImportSettings } from '../engine/data/import-settings.ts';
import type { TeacherSettings } from '../engine/promptkd/teacher-settings.ts';
import type { SelfTestReport } from '../engine/runtime/selftest.ts';
import { handOver } from './file-handover.ts';
import type {
  CachedHubModel,
  DatasetRole,
  EngineApi,
  EngineBackend,
  EngineErrorInfo,
  EngineEvent,
  EngineMessage,
  EngineRequest,
  ErrorKind,
  ImportReport,
  ModelSource,
  OnnxExport,
  OrtWebEntry,
  PromptExport,
  RequestKind,
  RunResults,
  RunSettings,
  RunSummary,
  StorageUsage,
  TeacherInfo,
  TeacherMode,
  Workspace,
} from './protocol.ts';

/** A failed request: `kind` says whose fault (quota, device, input, model, internal). */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

type Pending = { resolve: (r: unknown) => void; reject: (e: Error) => void };

export class EngineClient {
  private readonly worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextUpload = 1;

  constructor(private readonly onEvent: (e: EngineEvent) => void) {
    this.worker.onmessage = (e: MessageEvent<EngineMessage>) => {
      const m = e.data;
      if (!('id' in m)) return onEvent(m);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(toError(m.error));
    };
    // a worker that fails to load or crashes answers nothing: fail every open request instead of hanging
    this.worker.onerror = (e) => {
      e.preventDefault();
      const err = new EngineError('internal', `engine worker failed: ${e.message || 'could not load the worker script'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  /** Ends the worker; requests still open fail with `why`. */
  terminate(why: string): void {
    this.worker.terminate();
    const err = new EngineError('device', why);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Any request by kind; the named methods below are shorthands. */
  call<K extends RequestKind>(kind: K, request: EngineApi[K]['request']): Promise<EngineApi[K]['result']> {
    const id = this.nextId++;
    const message = { ...request, id, kind } as EngineRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.worker.postMessage(message);
    });
  }

  selfTest(backend: EngineBackend, ep?: OrtWebEntry): Promise<SelfTestReport> {
    return this.call('selfTest', { backend, ...(ep ? { ep } : {}) });
  }
  init(backend: EngineBackend, readOnly = false): Promise<Workspace> {
    return this.call('init', { backend, readOnly });
  }
  workspace(): Promise<Workspace> {
    return this.call('workspace', {});
  }
  /**
   * `completes`: an interrupted import that this folder, chosen again, completes. The files go over
   * in chunks (file-handover.ts), shown as the import's progress from the start.
   */
  importFiles(
    role: DatasetRole,
    name: string,
    files: { file: File; path: string }[],
    completes?: string,
    images?: ImportSettings['images'],
  ): Promise<ImportReport> {
    const upload = this.nextUpload++;
    return handOver(
      files,
      (chunk) => this.call('stageFiles', { upload, files: chunk }),
      (last, staged) =>
        this.call('importFiles', {
          role,
          name,
          files: last,
          ...(staged ? { staged: upload } : {}),
          ...(completes ? { completes } : {}),
          ...(images ? { images } : {}),
        }),
      (sent, total) => {
        if (sent < total)
          this.onEvent({
            kind: 'progress',
            task: 'import',
            done: 0,
            total,
            label: `handing the files to the engine: ${sent.toLocaleString('en')} of ${total.toLocaleString('en')}`,
          });
      },
    );
  }
  loadDemo(): Promise<Workspace> {
    return this.call('loadDemo', {});
  }
  deleteDataset(datasetId: string): Promise<Workspace> {
    return this.call('deleteDataset', { datasetId });
  }
  deleteRun(runId: string): Promise<Workspace> {
    return this.call('deleteRun', { runId });
  }
  setClasses(classes: string[]): Promise<Workspace> {
    return this.call('setClasses', { classes });
  }
  /** `teacher` absent: the student alone (teacher labels in force) */
  setModels(student: ModelSource, teacher?: ModelSource): Promise<Workspace> {
    return this.call('setModels', { student, ...(teacher ? { teacher } : {}) });
  }
  importTeacherLabels(name: string, files: File[]): Promise<Workspace> {
    return this.call('importTeacherLabels', { name, files });
  }
  clearTeacherLabels(): Promise<Workspace> {
    return this.call('clearTeacherLabels', {});
  }
  teacher(mode: TeacherMode, opts: { file?: File; settings?: TeacherSettings } = {}): Promise<TeacherInfo> {
    return this.call('teacher', { mode, ...opts });
  }
  startRun(
    settings: RunSettings,
    opts: { datasets?: { unlabeled?: string; test?: string | null }; initialPrompts?: File } = {},
  ): Promise<RunSummary> {
    return this.call('startRun', { settings, ...opts });
  }
  pause(): Promise<RunSummary> {
    return this.call('pause', {});
  }
  resume(runId: string, backend?: EngineBackend): Promise<RunSummary> {
    return this.call('resume', { runId, ...(backend ? { backend } : {}) });
  }
  stop(): Promise<RunSummary> {
    return this.call('stop', {});
  }
  results(runId: string): Promise<RunResults> {
    return this.call('results', { runId });
  }
  /** `step`: a kept checkpoint's (default the last) */
  exportPrompts(runId: string, step?: number): Promise<PromptExport> {
    return this.call('exportPrompts', { runId, ...(step !== undefined ? { step } : {}) });
  }
  exportOnnx(runId: string, step?: number, batch?: number): Promise<OnnxExport> {
    return this.call('exportOnnx', { runId, ...(step !== undefined ? { step } : {}), ...(batch ? { batch } : {}) });
  }
  report(runId: string): Promise<{ json: string; fileName: string }> {
    return this.call('report', { runId });
  }
  storage(): Promise<StorageUsage | null> {
    return this.call('storage', {});
  }
  hubModels(): Promise<CachedHubModel[]> {
    return this.call('hubModels', {});
  }
  deleteHubModel(repo: string, revision?: string): Promise<CachedHubModel[]> {
    return this.call('deleteHubModel', { repo, ...(revision ? { revision } : {}) });
  }
}

const toError = (e: EngineErrorInfo): EngineError => new EngineError(e.kind, e.message);
