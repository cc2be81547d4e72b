// One distillation run in the worker: the teacher, the student session and the Distiller over
// stored images, driven one step per job of the worker's queue (so other requests slot in between
// steps), with evaluations, checkpoints and status changes reported as events.
//
// A run opened from its checkpoint continues the same trajectory: every step is a function of
// (seed, step) (distill.ts), and the checkpoint holds prompts, projector, momentum and BatchNorm
// running stats. Pause, stop, a full disk and a lost GPU all end the loop with the last
// checkpoint intact; only a checkpoint that was written completely replaces the previous one.
import { logitScaleOf } from '../engine/clip/weights.ts';
import { readCheckpoint, writeCheckpoint } from '../engine/promptkd/checkpoint.ts';
import { PAPER_CONFIG, validateDistillConfig, type DistillConfig } from '../engine/promptkd/config.ts';
import { Distiller, type TrainView } from '../engine/promptkd/distill.ts';
import { baseNewSplit, evaluate, type Evaluation } from '../engine/promptkd/metrics.ts';
import { StudentSession } from '../engine/promptkd/session.ts';
import { initStudentState, type StudentDims, type StudentState } from '../engine/promptkd/state.ts';
import { readStudentPrompts } from '../engine/promptkd/student-prompts.ts';
import { studentDims, type StudentHyper } from '../engine/promptkd/student.ts';
import { TeacherLogitCache } from '../engine/promptkd/teacher-cache.ts';
import { exportTeacherPrompts, type TeacherPrompts } from '../engine/promptkd/teacher-prompts.ts';
import { ZERO_SHOT_TEMPLATES } from '../engine/promptkd/teacher-text.ts';
import { Teacher } from '../engine/promptkd/teacher.ts';
import { rng } from '../engine/random.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import type { HostTensor } from '../engine/runtime/tensor.ts';
import { StorageError, type Dataset, type RunRecord, type StudioStorage } from '../storage/storage.ts';
import { DeviceLostError, errorInfo, StudioInputError } from './errors.ts';
import { labeledPixels, type LabeledSet } from './labeled.ts';
import type { LoadedModel } from './models.ts';
import { viewPixels } from './pixels.ts';
import type { Accuracy, EngineEvent, MetricPoint, RunSettings, RunStatus } from './protocol.ts';
import { persistentTeacherSource } from './teacher-logits.ts';

/** eval batch of the student and images per chunk when the test set is read in parts */
const EVAL_BATCH = 32;
/** test sets up to this many bytes of pixels stay in memory between evaluations */
const PIXEL_CACHE_BYTES = 64 * 2 ** 20;

export interface RunEnv {
  runtime: Runtime;
  storage: StudioStorage;
  emit(e: EngineEvent): void;
  /** the worker's job queue */
  enqueue<T>(job: () => Promise<T>): Promise<T>;
  /** the reason, once the GPU device is gone */
  deviceLost(): string | null;
  /** a value computed once per key (reference accuracies: the frozen teacher on a test folder) */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** names a frozen model's accuracy on a test folder under a class list */
export const referenceKey = (what: string, model: string, promptState: string, testId: string, classes: readonly string[]): string =>
  JSON.stringify([what, model, promptState, testId, classes]);

export interface RunModels {
  student: LoadedModel;
  teacher: LoadedModel;
  /** null: zero-shot teacher */
  teacherPrompts: TeacherPrompts | null;
}

export type RunStart = { kind: 'fresh' } | { kind: 'prompts'; file: Blob; name: string } | { kind: 'checkpoint' };

export function distillConfigOf(s: RunSettings): DistillConfig {
  return validateDistillConfig({
    ...PAPER_CONFIG, epochs: s.epochs, batchSize: s.batch, lr: s.lr, temperature: s.T, kdWeight: s.kd,
    depth: s.depth, nCtx: s.nctx, augment: s.augment, seed: s.seed,
  });
}

const accuracyOf = (e: Evaluation): Accuracy => ({ base: e.base, new: e.new, hm: e.hm });

export class DistillRun {
  private control: 'run' | 'pause' | 'stop' = 'run';
  private loopEnd: Promise<void> | null = null;
  private readonly testPixels = new Map<number, HostTensor>();
  private released = false;

  private constructor(
    private readonly env: RunEnv,
    readonly record: RunRecord,
    private readonly models: RunModels,
    private readonly teacher: Teacher,
    readonly teacherText: HostTensor,
    private readonly session: StudentSession,
    private readonly distiller: Distiller,
    readonly hyper: StudentHyper,
    readonly dims: StudentDims,
    private readonly test: LabeledSet | null,
  ) {}

  /** Builds the run's sessions at its start state; `record.step` becomes the state's step. */
  static async open(env: RunEnv, record: RunRecord, models: RunModels, unlabeled: Dataset, test: LabeledSet | null, start: RunStart): Promise<DistillRun> {
    const config = distillConfigOf(record.settings);
    const student = models.student.weights, classes = record.classes;
    if (config.depth > student.config.vision.layers) {
      throw new StudioInputError(`prompt depth ${config.depth} needs ${config.depth} vision layers, but the student has ${student.config.vision.layers}; lower depth`);
    }
    if (unlabeled.items.length < config.batchSize) {
      throw new StudioInputError(`the unlabeled folder has ${unlabeled.items.length} images, fewer than the batch size ${config.batchSize}; add images or lower batch`);
    }
    // the student's logits use its own CLIP logit scale, as PromptKD's code does (100 for OpenAI CLIP)
    const hyper: StudentHyper = { ...config, logitScale: logitScaleOf(student), teacherDim: models.teacher.weights.config.embedDim, nClasses: classes.length };
    const dims = studentDims(student, hyper);
    let initial: StudentState, step = 0;
    if (start.kind === 'checkpoint') {
      const ckpt = await env.storage.loadCheckpoint(record.id);
      if (!ckpt) throw new StudioInputError(`run ${record.id} has no checkpoint to continue from; start a new run`);
      const read = await readCheckpoint(new Blob([ckpt.bytes as Uint8Array<ArrayBuffer>]), dims);
      initial = read.state;
      step = read.info.step;
    } else if (start.kind === 'prompts') {
      initial = (await readStudentPrompts(start.file, dims, start.name)).state;
    } else {
      initial = initStudentState(dims, rng(config.seed));
    }
    const teacher = await Teacher.create(env.runtime, models.teacher.weights, { prompts: models.teacherPrompts, templates: ZERO_SHOT_TEMPLATES, imageBatch: config.batchSize });
    try {
      const teacherText = await teacher.textFeatures(classes); // [C,Dt]
      const session = await StudentSession.create(env.runtime, { clip: student, hyper, batch: config.batchSize, evalBatch: EVAL_BATCH, teacherText, initial });
      const ids = unlabeled.items.map((it) => it.id);
      const views = (vs: readonly TrainView[]) => vs.map((v) => ({ datasetId: unlabeled.id, itemId: v.imageId, augmentSeed: v.augmentSeed }));
      const teacherSize = models.teacher.weights.config.vision.imageSize, studentSize = student.config.vision.imageSize;
      const source = teacher.logitsSource<TrainView>(classes, (vs) => viewPixels(env.storage, views(vs), teacherSize));
      // image ids name the dataset too: the same item id in another folder is another image
      const stored = persistentTeacherSource({ ...source, id: `${source.id}/${unlabeled.id}` }, env.storage);
      const distiller = new Distiller(config, session, stored, new TeacherLogitCache(), { ids, pixels: (vs) => viewPixels(env.storage, views(vs), studentSize) });
      record.step = step;
      record.totalSteps = distiller.totalSteps;
      record.stepsPerEpoch = distiller.stepsPerEpoch;
      record.history = record.history.filter((p) => p.step <= step);
      return new DistillRun(env, record, models, teacher, teacherText, session, distiller, hyper, dims, test);
    } catch (e) {
      await teacher.release();
      throw e;
    }
  }

  get id(): string { return this.record.id; }

  /** a host copy of params, momentum and running stats now */
  async state(): Promise<StudentState> {
    return this.session.state();
  }
  get running(): boolean { return this.loopEnd !== null; }

  // ---- evaluation --------------------------------------------------------------------------

  private async pixelsOfTest(size: number, indices: readonly number[]): Promise<HostTensor> {
    return labeledPixels(this.env.storage, this.test!, indices, size, null);
  }

  /** logits [N,C] of the whole test set through `logitsOf`, at input size `size` */
  async testLogits(size: number, logitsOf: (px: HostTensor) => Promise<HostTensor>): Promise<Float32Array> {
    const set = this.test!, N = set.itemIds.length, C = this.record.classes.length;
    const all = Array.from({ length: N }, (_, i) => i);
    if (N * 3 * size * size * 4 <= PIXEL_CACHE_BYTES) {
      let px = this.testPixels.get(size);
      if (!px) this.testPixels.set(size, (px = await this.pixelsOfTest(size, all)));
      return (await logitsOf(px)).data as Float32Array;
    }
    const out = new Float32Array(N * C);
    for (let at = 0; at < N; at += EVAL_BATCH * 8) {
      const idx = all.slice(at, at + EVAL_BATCH * 8);
      out.set((await logitsOf(await this.pixelsOfTest(size, idx))).data as Float32Array, at * C);
    }
    return out;
  }

  /** the student on the test set now; null without a test set */
  async evaluateStudent(): Promise<{ evaluation: Evaluation; logits: Float32Array } | null> {
    if (!this.test) return null;
    const logits = await this.testLogits(this.models.student.weights.config.vision.imageSize, (px) => this.session.evaluate(px));
    return { evaluation: evaluate(logits, this.test.labels, baseNewSplit(this.record.classes.length)), logits };
  }

  /** teacher logits [n,C] of test items `indices` */
  async teacherLogitsOf(indices: readonly number[]): Promise<HostTensor> {
    return this.teacher.logits(await this.pixelsOfTest(this.models.teacher.weights.config.vision.imageSize, indices), this.record.classes);
  }

  /** the reference lines: the teacher as used, and the student CLIP's own zero-shot accuracy */
  async references(): Promise<void> {
    if (!this.test) return;
    const split = baseNewSplit(this.record.classes.length), classes = this.record.classes, testId = this.test.dataset.id;
    const tm = this.models.teacher.weights.config.vision.imageSize;
    const teacher = await this.env.memo(referenceKey('teacher', this.models.teacher.info.name, this.teacher.promptState, testId, classes),
      async () => accuracyOf(evaluate(await this.testLogits(tm, (px) => this.teacher.logits(px, classes)), this.test!.labels, split)));
    let studentZeroShot: Accuracy | null = null;
    const student = this.models.student.weights;
    if (student.towers.has('text')) {
      studentZeroShot = await this.env.memo(referenceKey('student', this.models.student.info.name, 'zero-shot', testId, classes), async () => {
        const zs = await Teacher.create(this.env.runtime, student, { prompts: null, templates: ZERO_SHOT_TEMPLATES, imageBatch: EVAL_BATCH });
        try {
          return accuracyOf(evaluate(await this.testLogits(student.config.vision.imageSize, (px) => zs.logits(px, classes)), this.test!.labels, split));
        } finally {
          await zs.release();
        }
      });
    }
    this.record.references = { teacher, studentZeroShot };
    this.env.emit({ kind: 'references', runId: this.id, teacher, studentZeroShot });
  }

  private point(step: number): MetricPoint {
    let p = this.record.history.find((h) => h.step === step);
    if (!p) this.record.history.push((p = { step }));
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
    const epoch = Math.floor(step / this.distiller.stepsPerEpoch);
    const config = distillConfigOf(this.record.settings);
    const bytes = writeCheckpoint(await this.state(), { step, epoch, seed: config.seed, dims: this.dims, config });
    const prompts = this.models.teacherPrompts;
    await this.env.storage.saveCheckpoint({
      runId: this.id, step, savedAt: Date.now(), bytes, ...(prompts ? { teacherPrompts: exportTeacherPrompts(prompts) } : {}),
    });
    this.record.checkpointStep = step;
    await this.env.storage.saveRun(this.record);
    this.env.emit({ kind: 'checkpoint', runId: this.id, step });
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
    this.loopEnd = this.loop().finally(() => { this.loopEnd = null; });
  }

  get loopEnded(): Promise<void> { return this.loopEnd ?? Promise.resolve(); }

  /** ask the loop to stop after the current step: 'pause' keeps it resumable, 'stop' ends it */
  async halt(how: 'pause' | 'stop'): Promise<RunRecord> {
    this.control = how;
    await this.loopEnded;
    if (how === 'stop' && this.record.status === 'paused') await this.setStatus('stopped', null);
    return this.record;
  }

  private async loop(): Promise<void> {
    const s = this.record.settings, total = this.distiller.totalSteps;
    await this.setStatus('running', null);
    try {
      while (this.record.step < total && this.control === 'run') {
        const lost = this.env.deviceLost();
        if (lost) throw new DeviceLostError(lost);
        const from = this.record.step;
        await this.env.enqueue(() => this.distiller.run(from, from + 1, {
          onStep: (p) => {
            this.record.step = p.step + 1;
            this.point(p.step + 1).loss = p.loss;
            this.env.emit({ kind: 'step', runId: this.id, step: p.step + 1, epoch: p.epoch, loss: p.loss, lr: p.lr });
          },
        }));
        const step = this.record.step, last = step === total;
        if (step % s.evalEvery === 0 || last) await this.env.enqueue(() => this.evalNow());
        if (step % s.ckptEvery === 0 || last) await this.env.enqueue(() => this.checkpoint());
      }
      if (this.record.step >= total) return await this.setStatus('done', null);
      if (this.record.checkpointStep !== this.record.step) await this.env.enqueue(() => this.checkpoint());
      await this.setStatus(this.control === 'stop' ? 'stopped' : 'paused', null);
    } catch (e) {
      await this.fail(e);
    }
  }

  private async fail(e: unknown): Promise<void> {
    // a lost device makes the step in flight fail, sometimes before the loss itself is reported
    await new Promise((r) => setTimeout(r, 50));
    const lost = this.env.deviceLost() ?? (e instanceof DeviceLostError ? e.message : null);
    const at = this.record.checkpointStep;
    const kept = at === null ? 'no checkpoint was written yet' : `its last checkpoint (step ${at}) is intact`;
    if (lost !== null) {
      return this.pauseWith('device', `The GPU device was lost (${lost}). The run is paused and ${kept}; resume continues on WASM, or reload the page to use the GPU again.`);
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

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
    await this.teacher.release();
  }
}
