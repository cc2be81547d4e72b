// The studio behind the worker: its state (storage, models, teacher, the open run) and one handler
// per protocol request. It knows nothing of the worker itself: the browser worker and the unit
// tests give it a `StudioEnv` (runtimes, decoder, fetchers, event sink).
//
// Requests that touch storage or the device go through one job queue; a run takes one job per step,
// so imports and exports slot in between steps. `workspace`, `storage`, `pause` and `stop` are
// answered at once, even while a long job runs.
import type { RgbImage } from '../engine/clip/image.ts';
import { checkNewest, deleteCachedModel, deletePartialDownloads, listCachedModels, type HubCache } from '../engine/clip/hub.ts';
import { DEFAULT_IMPORT_SETTINGS, storedEdgeOf } from '../engine/data/import-settings.ts';
import { importTeacherPrompts, type TeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { imagesMismatch, mergeLabelShards, readLabelPart, TeacherLabelError, TeacherLabels } from '../engine/promptkd/teacher-labels.ts';
import { tooFewClasses } from '../engine/promptkd/metrics.ts';
import { PROMPTSRC_SETTINGS } from '../engine/promptkd/teacher-settings.ts';
import { DEFAULT_STUDIO_OPTIONS, type StudioOptions } from '../engine/settings/studio-options.ts';
import type { DemoReader } from '../engine/demo/data.ts';
import type { OrtWebEntry, Runtime } from '../engine/runtime/runtime.ts';
import { runSelfTest } from '../engine/runtime/selftest.ts';
import { JobQueue } from '../engine/runtime/queue.ts';
import {
  isQuotaError,
  type StudioStorage,
  type Dataset,
  type RunRecord,
  type StorageOptions,
  type WorkspaceRecord,
} from '../storage/storage.ts';
import { storeDemoData } from './demo.ts';
import { errorInfo, StoppedError, StudioInputError } from './errors.ts';
import { importFolder, newId, type Decode } from './import.ts';
import { labeledSet, type LabeledSet } from './labeled.ts';
import { loadModelChoice, loadModelSource, type LoadedModel, type ModelEnv } from './models.ts';
import type { LocalModelStore } from '../storage/model-files.ts';
import type { TeacherLabelStore } from '../storage/label-files.ts';
import type {
  CachedHubModel,
  DatasetRole,
  DatasetSummary,
  EngineApi,
  EngineBackend,
  EngineEvent,
  EngineRequest,
  ModelRole,
  RequestKind,
  TaskKind,
  TeacherLabelsInfo,
  Workspace,
} from './protocol.ts';
import { REQUESTS } from './protocol.ts';
import { exportModelFolder } from './model-export.ts';
import { exportOnnx, exportPrompts, runReport, runResults } from './results.ts';
import { DistillRun, type RunEnv, type RunStart } from './run.ts';
import { prepareTeacher, type TeacherStageEnv } from './teacher-stage.ts';

export interface StudioEnv {
  /**
   * the runtime of a backend, created once and kept; `ep` (webgpu): the onnxruntime-web WebGPU
   * backend to try first when it is created (the page's `#ep=`)
   */
  runtime(backend: EngineBackend, ep?: OrtWebEntry): Promise<Runtime>;
  /** forget a backend's runtime (its device is gone) */
  dropRuntime(backend: EngineBackend): void;
  decode: Decode;
  demoReader: DemoReader;
  /** a file of the demo models by path under /models/ */
  fetchModelFile(path: string): Promise<Blob>;
  /** a file of the exported classifier page by path under /page/ (engine/promptkd/classifier-page-html.ts) */
  fetchPageFile(path: string): Promise<Blob>;
  hubCache: HubCache;
  /** local model files kept between sessions (the origin private file system) */
  localModels: LocalModelStore;
  /** the teacher labels in force, kept between sessions (the origin private file system) */
  labelFiles: TeacherLabelStore;
  /** the Hub's transport; default the global fetch */
  fetch?: typeof fetch;
  /** resolves when the network is back (the worker's `online` event): a download waits for it while offline */
  waitForNetwork?: (signal?: AbortSignal) => Promise<void>;
  /** a small PNG of an image, for the results gallery */
  thumbnail(img: RgbImage): Promise<Blob>;
  emit(e: EngineEvent): void;
  /** the storage to use; tests give each studio its own database prefix */
  openStorage(options: StorageOptions): StudioStorage;
  requestPersistence(): Promise<boolean>;
}

type Handler<K extends RequestKind> = (r: EngineApi[K]['request']) => Promise<EngineApi[K]['result']>;

type LoadedChoice = Awaited<ReturnType<typeof loadModelSource>>['choice'];

/** why a download stopped on the page's word: the load that was downloading fails with it */
class DownloadStopped extends StoppedError {
  constructor(readonly discard: boolean) {
    super(
      discard
        ? 'The download was cancelled, and what had arrived was deleted.'
        : 'The download is paused: what has arrived is kept, and Load models continues from there.',
    );
  }
}

const summarize = (d: Dataset): DatasetSummary => ({
  id: d.id,
  name: d.name,
  role: d.role,
  classes: d.classes,
  count: d.items.length,
  skipped: d.skipped,
  createdAt: d.createdAt,
  demo: d.demo ?? false,
  perClass: d.classes.map((_, c) => d.items.filter((it) => it.label === c).length),
});

const newest = (datasets: Dataset[], role: DatasetRole): Dataset | undefined => datasets.filter((d) => d.role === role).at(-1);

export class Studio {
  private storage!: StudioStorage;
  private ws: WorkspaceRecord = { classes: [], models: {}, teacher: null };
  private readonly models: Partial<Record<ModelRole, LoadedModel>> = {};
  private teacherPrompts: TeacherPrompts | null = null;
  /** the teacher labels in force (ws.teacherLabels), opened from their stored file */
  private labels: TeacherLabels | null = null;
  private run: DistillRun | null = null;
  private backend: EngineBackend = 'wasm';
  private lost: string | null = null;
  /** the dataset an import is writing now (listed as interrupted only once no import writes it) */
  private importingNow: string | null = null;
  /** files handed over for an import request still to come, by upload (stageFiles) */
  private readonly staged = new Map<number, { file: File; path: string }[]>();
  /** another tab keeps the data: nothing is written from here */
  private readOnly = false;
  /** resolves when the GPU device is lost */
  private readonly lostSignal: Promise<string>;
  private signalLost!: (reason: string) => void;
  private readonly queue = new JobQueue();
  /** reference accuracies by referenceKey (frozen models: they never change for a key) */
  private readonly memos = new Map<string, Promise<unknown>>();
  /** stops the Hub download going on (stopDownload) */
  private download: AbortController | null = null;

  constructor(private readonly env: StudioEnv) {
    this.lostSignal = new Promise((resolve) => {
      this.signalLost = resolve;
    });
  }

  /** Answers one request; the result goes back as the reply. */
  handle(req: EngineRequest): Promise<unknown> {
    const { id: _id, kind, ...body } = req;
    const handler = this.handlers[kind] as Handler<typeof kind>;
    if (kind !== 'init' && kind !== 'selfTest' && !this.storage)
      return Promise.reject(new StudioInputError(`'${kind}' before 'init': the studio starts with init`));
    if (this.readOnly && !REQUESTS[kind].reads) {
      return Promise.reject(
        new StudioInputError(
          'the studio is open in another tab, which keeps its data; this tab only shows it (take over here to work in this tab)',
        ),
      );
    }
    if (REQUESTS[kind].immediate) return handler(body as never);
    // a running run steps through this queue: stop it first, outside the queue, or its deletion
    // would wait for a step queued behind it
    if (kind === 'deleteRun' && this.running && this.run!.id === (body as { runId: string }).runId) {
      return this.run!.halt('stop').then(() => this.queue.enqueue(() => handler(body as never)));
    }
    return this.queue.enqueue(() => handler(body as never));
  }

  // ---- helpers ---------------------------------------------------------------------------

  private progress(task: TaskKind) {
    return (done: number, total: number, label: string) => this.env.emit({ kind: 'progress', task, done, total, label });
  }

  private modelEnv(task: TaskKind): ModelEnv {
    return {
      storage: this.storage,
      fetchDemoFile: this.env.fetchModelFile,
      hubCache: this.env.hubCache,
      localModels: this.env.localModels,
      onProgress: this.progress(task),
      onNotKept: (message) => this.env.emit({ kind: 'error', error: { kind: 'quota', message } }),
      onChanged: (message) => this.env.emit({ kind: 'error', error: { kind: 'model', message } }),
      ...(this.env.fetch ? { fetch: this.env.fetch } : {}),
      ...(this.download ? { signal: this.download.signal } : {}),
      ...(this.env.waitForNetwork ? { waitForNetwork: this.env.waitForNetwork } : {}),
    };
  }

  private runtime(backend: EngineBackend = this.backend): Promise<Runtime> {
    return this.env.runtime(this.lost && backend === 'webgpu' ? 'wasm' : backend);
  }

  private get running(): boolean {
    return this.run?.running ?? false;
  }

  private notWhileRunning(what: string): void {
    if (this.running) throw new StudioInputError(`a run is going on; pause or stop it before ${what}`);
  }

  private need(role: ModelRole): LoadedModel {
    const m = this.models[role];
    if (!m) throw new StudioInputError(`no ${role} model is chosen; load the demo or choose a ${role} model first`);
    return m;
  }

  private async saveWorkspace(): Promise<void> {
    await this.storage.saveWorkspace(this.ws);
  }

  private takeStaged(upload: number): { file: File; path: string }[] {
    const files = this.staged.get(upload);
    if (!files) throw new Error(`no files were staged for upload ${upload}: stageFiles must come before the importFiles that names it`);
    this.staged.delete(upload);
    return files;
  }

  private async emitUsage(): Promise<void> {
    const u = await this.storage.usage();
    if (u) this.env.emit({ kind: 'storage', ...u });
  }

  private async testSet(id: string | null | undefined, classes: string[]): Promise<LabeledSet | null> {
    if (!id) return null;
    const d = await this.storage.getDataset(id);
    return d ? labeledSet(d, classes) : null;
  }

  private async workspace(): Promise<Workspace> {
    const [datasets, runs] = [await this.storage.listDatasets(), await this.storage.listRuns()];
    const interruptedImports = (await this.storage.listIncompleteDatasets())
      .filter((d) => d.id !== this.importingNow)
      .map((d) => ({
        id: d.id,
        name: d.name,
        role: d.role,
        imported: d.items.length,
        files: d.importing!.files,
        createdAt: d.createdAt,
      }));
    const active = this.running ? this.run!.id : null;
    const resumable =
      [...runs].reverse().find((r) => r.id !== active && (r.status === 'paused' || r.status === 'running') && r.checkpointStep !== null) ??
      null;
    return {
      datasets: datasets.map(summarize),
      interruptedImports,
      runs,
      classes: this.ws.classes,
      baseCount: Math.ceil(this.ws.classes.length / 2),
      models: { student: this.models.student?.info ?? null, teacher: this.models.teacher?.info ?? null },
      teacher: this.ws.teacher,
      teacherLabels: this.labelsInfo(datasets),
      usage: await this.storage.usage(),
      resumable,
      activeRunId: active,
    };
  }

  /** the labels in force, and how the newest unlabeled folder fits them */
  private labelsInfo(datasets: readonly Dataset[]): TeacherLabelsInfo | null {
    const labels = this.labels,
      record = this.ws.teacherLabels;
    if (!labels || !record) return null;
    const unlabeled = newest([...datasets], 'unlabeled');
    const sha = new Map(unlabeled?.items.map((it) => [it.name, it.sha256]));
    return {
      ...record,
      classes: [...labels.classes],
      recipe: labels.recipe,
      images: labels.imageCount,
      skipped: labels.skipped.length,
      testImages: labels.test?.ids.length ?? 0,
      coverage: unlabeled
        ? {
            datasetId: unlabeled.id,
            datasetName: unlabeled.name,
            problem: imagesMismatch(
              labels,
              unlabeled.items.map((it) => it.name),
              (id) => sha.get(id),
            ),
          }
        : null,
    };
  }

  /** the stored labels of ws.teacherLabels, opened; a file gone from storage is said, and the choice dropped */
  private async openStoredLabels(): Promise<void> {
    const record = this.ws.teacherLabels;
    if (!record || this.labels) return;
    const file = await this.env.labelFiles.get();
    try {
      if (!file) throw new TeacherLabelError("their file is no longer in this browser's storage");
      this.labels = TeacherLabels.open([await readLabelPart(file, record.name)]);
    } catch (e) {
      this.ws.teacherLabels = null;
      await this.saveWorkspace();
      this.env.emit({
        kind: 'error',
        error: {
          kind: 'input',
          message: `The teacher labels ${record.name} could not be opened (${(e as Error).message}); import them again in step 4.`,
        },
      });
    }
  }

  /** refuses work that needs a teacher model while teacher labels are in force */
  private noLabels(what: string): void {
    if (this.ws.teacherLabels)
      throw new StudioInputError(
        `teacher labels are in force (step 4), and ${what} needs a teacher model; choose "Stop using labels" in step 4 first`,
      );
  }

  /** the cached Hub models, each with the roles the workspace's models from it play */
  private async hubModels(): Promise<CachedHubModel[]> {
    return (await listCachedModels(this.env.hubCache)).map((m) => ({ ...m, usedBy: this.rolesUsing(m.repo, m.commit) }));
  }

  /**
   * the roles whose chosen model is `repo` at `commit` (every commit when undefined); a choice saved
   * before choices were pinned names no commit, and counts as using every commit of its repo
   */
  private rolesUsing(repo: string, commit?: string): ModelRole[] {
    return (['student', 'teacher'] as const).filter((role) => {
      const c = this.ws.models[role];
      return c?.kind === 'hub' && c.repo === repo && (commit === undefined || c.commit === undefined || c.commit === commit);
    });
  }

  /** prompts belong to one teacher: another teacher (another commit of it too) starts zero-shot */
  private async forgetTeacherPrompts(): Promise<void> {
    this.ws.teacher = null;
    this.teacherPrompts = null;
    await this.storage.saveTeacherPrompts(undefined);
  }

  /** runs `load` (which downloads) so that stopDownload can stop it; a cancel deletes what had arrived */
  private async downloading<T>(load: () => Promise<T>): Promise<T> {
    const download = new AbortController();
    this.download = download;
    try {
      return await load();
    } catch (e) {
      const stopped = download.signal.reason;
      if (!(stopped instanceof DownloadStopped)) throw e;
      if (stopped.discard) await deletePartialDownloads(this.env.hubCache);
      throw stopped;
    } finally {
      this.download = null;
    }
  }

  /** the teacher prompts of the workspace (tuned or imported), loaded once */
  private async currentTeacherPrompts(): Promise<TeacherPrompts | null> {
    if (this.ws.teacher === null || this.ws.teacher.mode === 'zero-shot') return null;
    if (!this.teacherPrompts) {
      const bytes = await this.storage.getTeacherPrompts();
      if (!bytes) return null;
      this.teacherPrompts = await importTeacherPrompts(
        new Blob([bytes as Uint8Array<ArrayBuffer>]),
        this.need('teacher').weights.config,
        'stored teacher prompts',
      );
    }
    return this.teacherPrompts;
  }

  private memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let hit = this.memos.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = compute();
      this.memos.set(key, hit);
      hit.catch(() => this.memos.delete(key));
    }
    return hit;
  }

  private runEnv(runtime: Runtime): RunEnv {
    return {
      runtime,
      storage: this.storage,
      emit: this.env.emit,
      memo: (k, f) => this.memo(k, f),
      enqueue: (job) => this.queue.enqueue(job),
      deviceLost: () => (runtime.backend === 'webgpu' ? this.lost : null),
      lost: runtime.backend === 'webgpu' ? this.lostSignal : new Promise<string>(() => {}),
      settle: async () => {
        await runtime.settle?.();
      },
    };
  }

  private async closeRun(): Promise<void> {
    if (this.running) throw new StudioInputError('a run is going on; pause or stop it first');
    const run = this.run;
    this.run = null;
    // sessions on a lost GPU device may fail to release, or never finish (their device's queue holds
    // the work that was in flight): nothing of them is needed any more
    const release = run?.release().catch(() => undefined);
    if (!(this.lost && run?.record.options.backend === 'webgpu')) await release;
  }

  /** the run `runId` with its sessions at its checkpoint (the open one when it is), on `on` or its own backend */
  private async openRun(runId: string, start: RunStart = { kind: 'checkpoint' }, on?: EngineBackend): Promise<DistillRun> {
    if (this.run?.id === runId) return this.run;
    const record = await this.storage.getRun(runId);
    if (!record) throw new StudioInputError(`run ${runId} is not in the browser's storage (deleted?)`);
    for (const role of ['student', 'teacher'] as const) {
      const made = record.models[role];
      if (made && this.need(role).info.name !== made.name) {
        throw new StudioInputError(
          `run ${runId} was made with the ${role} model ${made.name}, but ${this.models[role]!.info.name} is loaded; choose that model again`,
        );
      }
    }
    const labels = record.labels ? this.labelsOf(record) : null;
    const unlabeled = await this.storage.getDataset(record.datasets.unlabeled);
    if (!unlabeled) throw new StudioInputError(`the unlabeled folder of run ${runId} was deleted; the run cannot continue`);
    const ckpt = await this.storage.loadCheckpoint(runId);
    const teacherPrompts = ckpt?.teacherPrompts
      ? await importTeacherPrompts(
          new Blob([ckpt.teacherPrompts as Uint8Array<ArrayBuffer>]),
          this.need('teacher').weights.config,
          "the run's teacher prompts",
        )
      : null;
    await this.closeRun();
    let backend = on ?? record.options.backend;
    if (backend === 'webgpu' && this.lost) backend = 'wasm';
    const runtime = await this.runtime(backend);
    record.options = { ...record.options, backend };
    const models = { student: this.models.student!, teacher: labels ? null : this.models.teacher!, teacherPrompts, labels };
    this.run = await DistillRun.open(
      this.runEnv(runtime),
      record,
      models,
      unlabeled,
      await this.testSet(record.datasets.test, record.classes),
      start,
    );
    return this.run;
  }

  /** takes a paused run back to its kept checkpoint at `step` (the best on base), dropping what came after */
  private async rewind(runId: string, step: number): Promise<void> {
    const record = await this.storage.getRun(runId);
    if (!record) throw new StudioInputError(`run ${runId} is not in the browser's storage (deleted?)`);
    if (record.status === 'done' || record.status === 'stopped')
      throw new StudioInputError(`run ${runId} is ${record.status}; start a new run (or a run from its exported prompts)`);
    if (step === record.checkpointStep) return;
    if (!record.checkpoints.some((c) => c.step === step)) {
      const kept = record.checkpoints.map((c) => c.step).join(', ') || 'none';
      throw new StudioInputError(`run ${runId} keeps no checkpoint at step ${step} (it keeps steps ${kept}); resume from one of those`);
    }
    await this.storage.rewindRun(record, step);
  }

  /** the labels in force when they are the ones a run distils from */
  private labelsOf(record: RunRecord): TeacherLabels {
    const want = record.labels!,
      have = this.ws.teacherLabels;
    if (!this.labels || !have || have.teacherId !== want.teacherId || have.promptState !== want.promptState || have.bytes !== want.bytes) {
      throw new StudioInputError(
        `run ${record.id} distils from the teacher labels ${want.name}, which are not in force now; import them again in step 4 to open it`,
      );
    }
    return this.labels;
  }

  /** a paused-looking record for runs that were running when the page went away */
  private async markInterrupted(): Promise<void> {
    for (const r of await this.storage.listRuns()) {
      if (r.status !== 'running') continue;
      r.message = `Interrupted at step ${r.step} (the page was closed or reloaded)${r.checkpointStep === null ? '' : `; resume continues from the checkpoint at step ${r.checkpointStep}`}.`;
      r.status = 'paused';
      await this.storage.saveRun(r);
    }
  }

  private async loadRememberedModels(): Promise<void> {
    await this.openStoredLabels();
    for (const role of ['student', 'teacher'] as const) {
      const choice = this.ws.models[role];
      // with labels in force nothing is fetched or loaded for a teacher
      if (!choice || this.models[role] || (role === 'teacher' && this.ws.teacherLabels)) continue;
      try {
        this.models[role] = await loadModelChoice(this.modelEnv('model'), role, choice);
        // is the branch it came from still at its commit? (one request; offline, no answer and no harm)
        if (choice.kind === 'hub')
          await checkNewest(choice.repo, {
            cache: this.env.hubCache,
            ...(choice.baseUrl ? { baseUrl: choice.baseUrl } : {}),
            ...(choice.revision ? { revision: choice.revision } : {}),
            ...(this.env.fetch ? { fetch: this.env.fetch } : {}),
          });
      } catch (e) {
        this.env.emit({ kind: 'error', error: { ...errorInfo(e), kind: 'model' } });
      }
    }
  }

  /** the GPU device is gone (the worker calls this when onnxruntime's device reports its loss) */
  deviceLost(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    this.signalLost(reason);
    this.env.dropRuntime('webgpu');
    if (this.backend === 'webgpu') this.backend = 'wasm';
    this.env.emit({ kind: 'deviceLost', reason });
  }

  // ---- handlers --------------------------------------------------------------------------

  private readonly handlers: { [K in RequestKind]: Handler<K> } = {
    selfTest: async ({ backend, ep }) => runSelfTest(await this.env.runtime(backend, ep)),

    init: async ({ backend, readOnly }) => {
      this.backend = backend;
      this.readOnly = readOnly ?? false;
      this.storage ??= this.env.openStorage({});
      this.ws = (await this.storage.getWorkspace()) ?? this.ws;
      // a read-only tab leaves the writer's runs as they are: they may be running there
      if (!this.readOnly) {
        await this.env.requestPersistence().catch(() => false);
        await this.markInterrupted();
        await this.loadRememberedModels();
      }
      return this.workspace();
    },

    workspace: () => this.workspace(),

    storage: () => this.storage.usage(),

    stageFiles: async ({ upload, files }) => {
      const held = this.staged.get(upload) ?? [];
      for (const f of files) held.push(f);
      this.staged.set(upload, held);
      return { staged: held.length };
    },

    importFiles: async ({ role, name, files: last, completes, images, staged }) => {
      const files = staged === undefined ? last : [...this.takeStaged(staged), ...last];
      const prior = completes === undefined ? undefined : await this.storage.getDataset(completes);
      if (completes !== undefined && !prior?.importing) {
        throw new StudioInputError(
          prior
            ? `"${prior.name}" is imported completely already`
            : "the interrupted import to complete is not in the browser's storage (removed?); import the folder as a new one",
        );
      }
      const { report } = await importFolder(
        this.storage,
        this.env.decode,
        {
          role,
          name,
          files,
          maxEdge: storedEdgeOf({ ...DEFAULT_IMPORT_SETTINGS, ...(images ? { images } : {}) }),
          ...(prior ? { completes: prior } : {}),
        },
        this.progress('import'),
        (id) => {
          this.importingNow = id;
        },
      ).finally(() => {
        this.importingNow = null;
      });
      if (role !== 'unlabeled' && this.ws.classes.length === 0) {
        this.ws.classes = report.classes;
        await this.saveWorkspace();
      }
      await this.emitUsage();
      return report;
    },

    loadDemo: async () => {
      this.noLabels('the demo (it tunes its own teacher)');
      const classes = await storeDemoData(this.storage, this.env.demoReader, this.progress('demo'));
      if (!this.running) {
        this.ws.classes = classes;
        // prompts belong to one teacher: another teacher's are no use to the demo's
        if (this.ws.models.teacher && this.ws.models.teacher.kind !== 'demo') {
          this.ws.teacher = null;
          this.teacherPrompts = null;
          await this.storage.saveTeacherPrompts(undefined);
        }
        for (const role of ['student', 'teacher'] as const) {
          if (this.ws.models[role]?.kind !== 'demo' || !this.models[role]) {
            this.models[role] = (await loadModelSource(this.modelEnv('model'), role, { kind: 'demo' })).model;
            this.ws.models[role] = { kind: 'demo' };
          }
        }
        // no teacher is prepared here: the studio's demo tunes it next (stage 1, `teacher`), and a
        // zero-shot teacher's pass over the test folder first would only delay that
        await this.saveWorkspace();
      }
      await this.emitUsage();
      return this.workspace();
    },

    deleteDataset: async ({ datasetId }) => {
      if (this.running && Object.values(this.run!.record.datasets).includes(datasetId)) {
        throw new StudioInputError('the run going on uses this folder; stop the run before deleting it');
      }
      await this.storage.deleteDataset(datasetId);
      await this.emitUsage();
      return this.workspace();
    },

    deleteRun: async ({ runId }) => {
      if (this.run?.id === runId) await this.closeRun();
      await this.storage.deleteRun(runId);
      await this.emitUsage();
      return this.workspace();
    },

    hubModels: () => this.hubModels(),

    deleteHubModel: async ({ repo, commit }) => {
      const roles = this.rolesUsing(repo, commit);
      // a run's models load again from the cache whenever a new worker resumes it (after a reload
      // or a lost GPU): deleting them mid-run would put a download of up to 1.7 GB before it goes on
      if (this.running && roles.length > 0) {
        throw new StudioInputError(`the run going on uses ${repo} as its ${roles.join(' and ')}; stop the run before deleting the model`);
      }
      await deleteCachedModel(this.env.hubCache, repo, commit);
      await this.emitUsage();
      return this.hubModels();
    },

    stopDownload: async ({ discard }) => {
      this.download?.abort(new DownloadStopped(discard));
      return null;
    },

    updateHubModel: async ({ repo, commit }) => {
      this.notWhileRunning('updating a model');
      const roles = this.rolesUsing(repo, commit);
      if (roles.length === 0)
        throw new StudioInputError(`no loaded model is ${repo} at ${commit.slice(0, 10)}; load it from the Models step`);
      await this.closeRun();
      for (const role of roles) {
        const { commit: _old, ...branch } = this.ws.models[role] as Extract<LoadedChoice, { kind: 'hub' }>;
        const loaded = await this.downloading(() => loadModelSource(this.modelEnv('download'), role, branch));
        this.models[role] = loaded.model;
        this.ws.models = { ...this.ws.models, [role]: loaded.choice };
        if (role === 'teacher' && loaded.choice.kind === 'hub' && loaded.choice.commit !== commit) await this.forgetTeacherPrompts();
      }
      await this.saveWorkspace();
      await this.emitUsage();
      return this.workspace();
    },

    setClasses: async ({ classes }) => {
      this.notWhileRunning('changing the classes');
      const names = classes.map((c) => c.trim());
      if (names.length < 2) throw new StudioInputError(`name at least 2 classes (got ${names.length})`);
      const empty = names.findIndex((c) => c.length === 0);
      if (empty >= 0) throw new StudioInputError(`class ${empty + 1} has no name`);
      const dup = names.find((c, i) => names.indexOf(c) !== i);
      if (dup !== undefined) throw new StudioInputError(`the class '${dup}' is named twice`);
      this.ws.classes = names;
      await this.saveWorkspace();
      return this.workspace();
    },

    setModels: async ({ student, teacher }) => {
      this.notWhileRunning('changing the models');
      if (!teacher && !this.ws.teacherLabels)
        throw new StudioInputError('choose a teacher model too, or import teacher labels in step 4 to distil without one');
      await this.closeRun();
      const s = await this.downloading(() => loadModelSource(this.modelEnv('download'), 'student', student));
      this.models.student = s.model;
      if (!teacher || this.ws.teacherLabels) {
        // labels in force: the student alone, and nothing fetched for a teacher
        this.ws.models = { ...this.ws.models, student: s.choice };
        await this.saveWorkspace();
        await this.emitUsage();
        return this.workspace();
      }
      const t = await this.downloading(() => loadModelSource(this.modelEnv('download'), 'teacher', teacher));
      this.models.teacher = t.model;
      const teacherChanged = JSON.stringify(this.ws.models.teacher) !== JSON.stringify(t.choice);
      this.ws.models = { student: s.choice, teacher: t.choice };
      if (teacherChanged) await this.forgetTeacherPrompts();
      await this.saveWorkspace();
      await this.emitUsage();
      return this.workspace();
    },

    importTeacherLabels: async ({ name, files }) => {
      this.notWhileRunning('importing teacher labels');
      const chosen = files.filter((f) => f.name.endsWith('.safetensors'));
      if (chosen.length === 0)
        throw new StudioInputError(
          `"${name}" holds no .safetensors file; choose the labels' file (promptkd label merge) or the folder of its shards`,
        );
      let merged: Blob;
      try {
        const parts = await Promise.all(chosen.map((f) => readLabelPart(f, f.name)));
        TeacherLabels.open(parts);
        merged = parts.length === 1 ? parts[0]!.blob : mergeLabelShards(parts);
      } catch (e) {
        throw e instanceof TeacherLabelError ? new StudioInputError(`"${name}" cannot be used as teacher labels: ${e.message}`) : e;
      }
      let kept: Blob = merged;
      try {
        await this.env.labelFiles.save(merged);
        kept = (await this.env.labelFiles.get())!;
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        // as with a model the browser will not keep (models.ts): used from the chosen files while the page is open
        this.env.emit({
          kind: 'error',
          error: {
            kind: 'quota',
            message: `The browser refused to keep the teacher labels (${(merged.size / 1e6).toFixed(0)} MB; private windows limit what a site may keep). They are used from the chosen files until this page closes; after a reload, import them again.`,
          },
        });
      }
      this.labels = TeacherLabels.open([await readLabelPart(kept, name)]);
      this.ws.teacherLabels = { name, teacherId: this.labels.teacher.id, promptState: this.labels.teacher.promptState, bytes: merged.size };
      // the labels fix the classes and their order, as a split file does
      this.ws.classes = [...this.labels.classes];
      await this.saveWorkspace();
      await this.emitUsage();
      return this.workspace();
    },

    splitFile: async () => (await this.storage.getSplitFile()) ?? null,

    setSplitFile: async ({ split }) => {
      await this.storage.saveSplitFile(split ?? undefined);
      return null;
    },

    clearTeacherLabels: async () => {
      this.notWhileRunning('changing the teacher');
      await this.closeRun();
      await this.env.labelFiles.delete();
      this.labels = null;
      this.ws.teacherLabels = null;
      await this.saveWorkspace();
      await this.loadRememberedModels();
      await this.emitUsage();
      return this.workspace();
    },

    teacher: async ({ mode, file, settings }) => {
      this.notWhileRunning('changing the teacher');
      this.noLabels('preparing the teacher');
      const env = await this.teacherEnv();
      let shots: LabeledSet | null = null;
      if (mode === 'tune') {
        const d = newest(await this.storage.listDatasets(), 'shots');
        if (!d) throw new StudioInputError('tuning the teacher needs a few-shot labeled folder; import one (one subfolder per class)');
        shots = labeledSet(d, env.classes);
      }
      if (mode === 'import' && !file)
        throw new StudioInputError('choose a prompt file (safetensors or a PromptSRC/PromptKD .pth checkpoint) to import');
      const req =
        mode === 'zero-shot'
          ? ({ mode } as const)
          : mode === 'import'
            ? ({ mode, file: file!, name: file!.name || 'prompt file' } as const)
            : ({ mode, shots: shots!, settings: settings ?? PROMPTSRC_SETTINGS } as const);
      const { info, prompts } = await prepareTeacher(env, req);
      this.ws.teacher = info;
      this.teacherPrompts = prompts;
      await this.saveWorkspace();
      return info;
    },

    startRun: async ({ settings, options: asked, datasets, initialPrompts }) => {
      if (this.running) throw new StudioInputError('a run is going on; pause or stop it before starting another');
      const labels = this.ws.teacherLabels ? this.labels : null;
      const student = this.need('student'),
        teacher = labels ? null : this.need('teacher');
      const all = await this.storage.listDatasets();
      const unlabeled = datasets?.unlabeled ? all.find((d) => d.id === datasets.unlabeled) : newest(all, 'unlabeled');
      if (!unlabeled) throw new StudioInputError('distillation needs an unlabeled image folder; import one or load the demo');
      const testId = datasets?.test === null ? null : (datasets?.test ?? newest(all, 'test')?.id ?? null);
      let classes = this.ws.classes;
      const few = tooFewClasses(classes.length, settings.protocol);
      if (few) throw new StudioInputError(`${few}; name them in step 1 (or import a labeled test folder, whose subfolders name them)`);
      classes = [...classes];
      const test = await this.testSet(testId, classes);
      await this.closeRun();
      const options: StudioOptions = { ...DEFAULT_STUDIO_OPTIONS, backend: this.backend, ...asked };
      const record: RunRecord = {
        id: newId('run'),
        createdAt: Date.now(),
        settings,
        options,
        classes,
        datasets: { unlabeled: unlabeled.id, test: test?.dataset.id ?? null },
        models: { student: student.info, teacher: teacher?.info ?? null },
        teacher: labels
          ? { mode: 'labels', promptState: labels.teacher.promptState }
          : { mode: this.ws.teacher?.mode ?? 'zero-shot', promptState: this.ws.teacher?.promptState ?? 'zero-shot' },
        ...(labels ? { labels: this.ws.teacherLabels! } : {}),
        status: 'running',
        step: 0,
        totalSteps: 0,
        stepsPerEpoch: 0,
        checkpointStep: null,
        checkpoints: [],
        history: [],
        references: null,
        message: null,
      };
      const runtime = await this.runtime(options.backend);
      const start: RunStart = initialPrompts
        ? { kind: 'prompts', file: initialPrompts, name: initialPrompts.name || 'prompt file' }
        : { kind: 'fresh' };
      const models = { student, teacher, teacherPrompts: labels ? null : await this.currentTeacherPrompts(), labels };
      const run = await DistillRun.open(this.runEnv(runtime), record, models, unlabeled, test, start);
      this.run = run;
      try {
        this.progress('evaluate')(0, 2, 'reference lines: teacher and zero-shot student');
        await run.references();
        this.progress('evaluate')(1, 2, 'the student before training');
        await run.evalNow();
        this.progress('evaluate')(2, 2, 'done');
        await run.checkpoint();
      } catch (e) {
        await this.closeRun();
        await this.storage.deleteRun(record.id).catch(() => undefined);
        throw e;
      }
      run.start();
      return run.record;
    },

    pause: async () => {
      if (!this.running) throw new StudioInputError('no run is going on');
      return this.run!.halt('pause');
    },

    stop: async () => {
      if (!this.run) throw new StudioInputError('no run is open');
      return this.run.halt('stop');
    },

    resume: async ({ runId, backend, step }) => {
      if (this.running) {
        if (this.run!.id === runId) return this.run!.record;
        throw new StudioInputError('another run is going on; pause or stop it first');
      }
      // a paused run continues from its checkpoint, like a run after a reload: one path for both
      if (this.run?.id === runId) await this.closeRun();
      if (step !== undefined) await this.rewind(runId, step);
      const run = await this.openRun(runId, undefined, backend);
      if (run.record.status === 'done' || run.record.status === 'stopped')
        throw new StudioInputError(`run ${runId} is ${run.record.status}; start a new run`);
      if (run.record.references) this.env.emit({ kind: 'references', runId, ...run.record.references });
      run.start();
      return run.record;
    },

    results: async ({ runId }) => {
      const run = await this.openRun(runId);
      const test = await this.testSet(run.record.datasets.test, run.record.classes);
      return runResults(run, this.storage, test, this.env.thumbnail);
    },

    exportPrompts: async ({ runId, step }) => exportPrompts(await this.openRun(runId), step),

    exportOnnx: async ({ runId, batch, step }) => {
      const run = await this.openRun(runId);
      this.progress('export')(0, 1, 'building the classifier ONNX');
      const out = await exportOnnx(run, this.need('student').weights, batch ?? 1, step);
      this.progress('export')(1, 1, 'done');
      return out;
    },

    exportModel: async ({ runId, precision, step }) => {
      // the run's state moves with every step, and its checkpoints are being replaced
      if (this.running)
        throw new StudioInputError('a run is going on and writing its checkpoints; pause or stop it before exporting the model');
      const run = await this.openRun(runId);
      const test = await this.testSet(run.record.datasets.test, run.record.classes);
      return exportModelFolder(
        run,
        precision,
        {
          storage: this.storage,
          runtime: await this.env.runtime('wasm'),
          student: this.need('student').weights,
          test,
          report: (await this.reportOf(run, test)).json,
          pageFile: this.env.fetchPageFile,
          onProgress: this.progress('export'),
        },
        step,
      );
    },

    report: async ({ runId }) => {
      const run = await this.openRun(runId);
      return this.reportOf(run, await this.testSet(run.record.datasets.test, run.record.classes));
    },
  };

  /** the run's report; `test`: its test set, or null when it has none */
  private async reportOf(run: DistillRun, test: LabeledSet | null): Promise<{ json: string; fileName: string }> {
    const results = test ? await runResults(run, this.storage, test, null) : null;
    const summaries = (await this.storage.listDatasets()).filter((d) => Object.values(run.record.datasets).includes(d.id)).map(summarize);
    return runReport(run, results, Object.fromEntries(summaries.map((d) => [d.role, d])));
  }

  private async teacherEnv(): Promise<TeacherStageEnv> {
    const teacher = this.need('teacher');
    const classes = this.ws.classes;
    if (classes.length < 2) throw new StudioInputError('name at least 2 classes first (or import a labeled test folder)');
    const test = newest(await this.storage.listDatasets(), 'test');
    return {
      runtime: await this.runtime(),
      storage: this.storage,
      teacher,
      classes,
      test: test ? labeledSet(test, classes) : null,
      onProgress: this.progress('teacher'),
      memo: (k, f) => this.memo(k, f),
    };
  }
}
