// One distillation run in the worker: the engine's DistillJob over stored images, driven one step
// per job of the worker's queue (so other requests slot in between steps), with evaluations,
// checkpoints and status changes reported as events and kept in IndexedDB.
//
// A run opened from its checkpoint continues the same trajectory (job.ts). Pause, stop, a full disk
// and a lost GPU all end the loop with the last checkpoint intact: a checkpoint and the run record
// that makes it current are one transaction (storage.ts), which also retires the checkpoints beyond
// the last `keepCheckpoints` and the best.
import { readCheckpoint } from '../engine/promptkd/checkpoint.ts';
import { DistillJob, type JobStart, type JobTeacher, type StudentEvaluation } from '../engine/promptkd/job.ts';
import type { TeacherLabels } from '../engine/promptkd/teacher-labels.ts';
import { accuracyOf } from '../engine/promptkd/metrics.ts';
import type { StudentState } from '../engine/promptkd/state.ts';
import { exportTeacherPrompts, type TeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import type { HostTensor } from '../engine/graph/tensor.ts';
import { StorageError, type Checkpoint, type Dataset, type RunRecord, type StudioStorage } from '../storage/storage.ts';
import { DeviceLostError, errorInfo, StudioInputError } from './errors.ts';
import { testImagesOf, type LabeledSet } from './labeled.ts';
import type { LoadedModel } from './models.ts';
import { viewPixels } from './pixels.ts';
import type { EngineEvent, MetricPoint, RunStatus } from './protocol.ts';
import { persistentTeacherSource } from './teacher-logits.ts';

export interface RunEnv {
  runtime: Runtime;
  storage: StudioStorage;
  emit(e: EngineEvent): void;
  /** the worker's job queue */
  enqueue<T>(job: () => Promise<T>): Promise<T>;
  /** the reason, once the GPU device is gone */
  deviceLost(): string | null;
  /** resolves with the reason when the run's GPU device is lost (never on WASM) */
  lost: Promise<string>;
  /** resolves once the device has finished the work submitted so far, or is lost */
  settle(): Promise<void>;
  /** a value computed once per key (reference accuracies: the frozen teacher on a test folder) */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export interface RunModels {
  student: LoadedModel;
  /** null: the run distils from `labels` */
  teacher: LoadedModel | null;
  /** null: zero-shot teacher */
  teacherPrompts: TeacherPrompts | null;
  /** teacher labels in place of a teacher model */
  labels: TeacherLabels | null;
}

export type RunStart = { kind: 'fresh' } | { kind: 'prompts'; file: Blob; name: string } | { kind: 'checkpoint' };

const storedBlob = (ckpt: Checkpoint) => new Blob([ckpt.bytes as Uint8Array<ArrayBuffer>]);

export class DistillRun {
  private control: 'run' | 'pause' | 'stop' = 'run';
  private loopEnd: Promise<void> | null = null;
  /** the pending untilLost calls' rejections, called once if the device is lost */
  private readonly onLost = new Set<(error: DeviceLostError) => void>();

  private constructor(
    private readonly env: RunEnv,
    readonly record: RunRecord,
    private readonly models: RunModels,
    readonly job: DistillJob,
    private readonly test: LabeledSet | null,
  ) {
    // one reaction per run on a promise that may never settle (WASM), rather than one per step
    void env.lost.then((reason) => {
      for (const reject of this.onLost) reject(new DeviceLostError(reason));
    });
  }

  /** Opens the run's job at its start state; `record.step` becomes the state's step. */
  static async open(
    env: RunEnv,
    record: RunRecord,
    models: RunModels,
    unlabeled: Dataset,
    test: LabeledSet | null,
    start: RunStart,
  ): Promise<DistillRun> {
    let from: JobStart;
    if (start.kind === 'checkpoint') {
      const ckpt = await env.storage.loadCheckpoint(record.id);
      if (!ckpt) throw new StudioInputError(`run ${record.id} has no checkpoint to continue from; start a new run`);
      from = { kind: 'checkpoint', file: storedBlob(ckpt), name: `the checkpoint of run ${record.id} at step ${ckpt.step}` };
    } else {
      from = start;
    }
    // images are named by their path in the folder, as the CLI names them: the crops are keyed on it (distill.ts)
    const itemOf = new Map(unlabeled.items.map((it) => [it.name, it]));
    const teacher: JobTeacher = models.labels
      ? { kind: 'labels', labels: models.labels }
      : { kind: 'model', weights: models.teacher!.weights, prompts: models.teacherPrompts };
    const job = await DistillJob.open({
      runtime: env.runtime,
      student: models.student.weights,
      teacher,
      classes: record.classes,
      settings: record.settings,
      protocol: record.settings.protocol,
      start: from,
      unlabeled: {
        id: unlabeled.id,
        ids: unlabeled.items.map((it) => it.name),
        sha256Of: (name) => itemOf.get(name)?.sha256,
        pixels: (views, size) =>
          viewPixels(
            env.storage,
            views.map((v) => ({ datasetId: unlabeled.id, itemId: itemOf.get(v.imageId)!.id, augmentSeed: v.augmentSeed })),
            size,
          ),
      },
      test: test && testImagesOf(env.storage, test),
      teacherLogits: (source) => persistentTeacherSource(source, env.storage),
    }).catch((e: unknown) => {
      throw e instanceof Error && e.name === 'JobInputError' ? new StudioInputError(e.message) : e;
    });
    record.step = job.step;
    record.totalSteps = job.totalSteps;
    record.stepsPerEpoch = job.stepsPerEpoch;
    record.history = record.history.filter((p) => p.step <= job.step);
    return new DistillRun(env, record, models, job, test);
  }

  get id(): string {
    return this.record.id;
  }
  get running(): boolean {
    return this.loopEnd !== null;
  }
  get dims() {
    return this.job.dims;
  }
  get hyper() {
    return this.job.hyper;
  }
  get teacherText(): HostTensor {
    return this.job.teacherText;
  }

  /** a host copy of params, momentum and running stats now */
  state(): Promise<StudentState> {
    return this.job.state();
  }

  /** the state saved at checkpoint `step` (the state now when that is the run's step) */
  async stateAt(step: number): Promise<StudentState> {
    if (step === this.record.step) return this.state();
    const ckpt = await this.env.storage.loadCheckpoint(this.id, step);
    if (!ckpt) {
      const kept = this.record.checkpoints.map((c) => c.step).join(', ') || 'none';
      throw new StudioInputError(`this run keeps no checkpoint at step ${step} (it keeps steps ${kept}); export one of those`);
    }
    return (await readCheckpoint(storedBlob(ckpt), this.dims)).state;
  }

  // ---- evaluation --------------------------------------------------------------------------

  /** the student on the test set now; null without a test set */
  evaluateStudent(): Promise<StudentEvaluation | null> {
    return this.job.evaluate();
  }

  /** teacher logits [n,C] of test items `indices`; null from labels that do not hold them */
  teacherLogitsOf(indices: readonly number[]): Promise<HostTensor | null> {
    return this.job.teacherLogitsOf(indices);
  }

  /** the reference lines: the teacher as used, and the student CLIP's own zero-shot accuracy */
  async references(): Promise<void> {
    if (!this.test) return;
    const refs = await this.job.references(this.env.memo);
    const teacher = refs.teacher && accuracyOf(refs.teacher),
      studentZeroShot = refs.studentZeroShot && accuracyOf(refs.studentZeroShot);
    this.record.references = { teacher, studentZeroShot };
    this.env.emit({ kind: 'references', runId: this.id, teacher, studentZeroShot });
  }

  private point(step: number): MetricPoint {
    let p = this.record.history.find((h) => h.step === step);
    if (!p) {
      p = { step };
      this.record.history.push(p);
    }
    return p;
  }

  /** evaluates after `step` steps and reports it */
  async evalNow(): Promise<void> {
    const r = await this.evaluateStudent();
    if (!r) return;
    const { base, new: nw, hm } = r.evaluation;
    Object.assign(this.point(this.record.step), { base, new: nw, hm });
    this.env.emit({ kind: 'eval', runId: this.id, step: this.record.step, base, new: nw, hm });
  }

  // ---- checkpoints and status --------------------------------------------------------------

  async checkpoint(): Promise<void> {
    const step = this.record.step;
    const bytes = await this.job.checkpoint();
    const prompts = this.models.teacherPrompts;
    const stored = await this.env.storage.saveCheckpoint(
      this.record,
      {
        runId: this.id,
        step,
        savedAt: Date.now(),
        bytes,
        ...(prompts ? { teacherPrompts: exportTeacherPrompts(prompts) } : {}),
      },
      this.record.history.find((p) => p.step === step)?.base ?? null,
    );
    this.record.checkpointStep = stored.checkpointStep;
    this.record.checkpoints = stored.checkpoints;
    this.env.emit({ kind: 'checkpoint', runId: this.id, step, checkpoints: stored.checkpoints });
    const usage = await this.env.storage.usage();
    if (usage) this.env.emit({ kind: 'storage', ...usage });
  }

  /** records and reports a status; a failed save of the record is reported, never thrown */
  async setStatus(status: RunStatus, message: string | null): Promise<void> {
    this.record.status = status;
    this.record.message = message;
    try {
      await this.env.storage.saveRun(this.record);
    } catch (e) {
      this.env.emit({ kind: 'error', error: errorInfo(e) });
    }
    this.env.emit({ kind: 'runStatus', runId: this.id, status, step: this.record.step, message });
  }

  // ---- the loop ----------------------------------------------------------------------------

  /** Starts stepping in the background; `loopEnded` resolves when it stops for any reason. */
  start(): void {
    this.control = 'run';
    this.loopEnd = this.loop().finally(() => {
      this.loopEnd = null;
    });
  }

  get loopEnded(): Promise<void> {
    return this.loopEnd ?? Promise.resolve();
  }

  /** ask the loop to stop after the current step: 'pause' keeps it resumable, 'stop' ends it */
  async halt(how: 'pause' | 'stop'): Promise<RunRecord> {
    this.control = how;
    await this.loopEnded;
    if (how === 'stop' && this.record.status === 'paused') await this.setStatus('stopped', null);
    return this.record;
  }

  private async loop(): Promise<void> {
    await this.setStatus('running', null);
    try {
      while (!this.job.done && this.control === 'run') {
        const lost = this.env.deviceLost();
        if (lost) throw new DeviceLostError(lost);
        const p = await this.env.enqueue(() => this.untilLost(this.job.next()));
        this.record.step = this.job.step;
        const point = this.point(this.job.step);
        point.loss = p.loss;
        const epochMeanLoss = p.epochEnd?.meanLoss ?? null;
        if (epochMeanLoss !== null) point.epochMeanLoss = epochMeanLoss;
        this.env.emit({ kind: 'step', runId: this.id, step: this.job.step, epoch: p.epoch, loss: p.loss, lr: p.lr, epochMeanLoss });
        const due = p.due;
        if (due.evaluate) await this.env.enqueue(() => this.untilLost(this.evalNow()));
        if (due.checkpoint) await this.env.enqueue(() => this.untilLost(this.checkpoint()));
      }
      if (this.job.done) return await this.setStatus('done', null);
      if (this.record.checkpointStep !== this.record.step) await this.env.enqueue(() => this.checkpoint());
      await this.setStatus(this.control === 'stop' ? 'stopped' : 'paused', null);
    } catch (e) {
      await this.fail(e);
    }
  }

  /**
   * `work`, or a DeviceLostError as soon as the device is lost: work on a lost device may never
   * settle, and it must not hold the worker's queue
   */
  private untilLost<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.onLost.add(reject);
      // once the device is lost, work left behind may still fail: the promise has settled by then
      work.then(resolve, reject).finally(() => this.onLost.delete(reject));
    });
  }

  private async fail(e: unknown): Promise<void> {
    // a lost device can fail the step in flight before its loss is reported; after a GPU round trip it has been
    await this.env.settle();
    const lost = this.env.deviceLost() ?? (e instanceof DeviceLostError ? e.message : null);
    const at = this.record.checkpointStep;
    const kept = at === null ? 'no checkpoint was written yet' : `its last checkpoint (step ${at}) is intact`;
    if (lost !== null) {
      return this.pauseWith(
        'device',
        `The GPU device was lost (${lost}). The run is paused and ${kept}; resume continues on WASM, or reload the page to use the GPU again.`,
      );
    }
    if (e instanceof StorageError && e.kind === 'quota') return this.pauseWith('quota', `${e.message} The run is paused and ${kept}.`);
    const error = errorInfo(e);
    this.env.emit({ kind: 'error', error });
    await this.setStatus('failed', error.message);
  }

  private async pauseWith(kind: 'device' | 'quota', message: string): Promise<void> {
    this.env.emit({ kind: 'error', error: { kind, message } });
    await this.setStatus('paused', message);
  }

  release(): Promise<void> {
    return this.job.release();
  }
}
