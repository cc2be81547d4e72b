// One distillation run: the recipe the studio's worker and the CLI share. From models, classes,
// images and settings it builds the teacher (its class text features, computed once, are the
// student's classifier), the student session and the Distiller; then it steps, says when an
// evaluation or a checkpoint is due, evaluates, and writes checkpoints. Its callers supply only
// storage (IndexedDB or files) and progress (events or a terminal).
//
// The teacher is a CLIP run live, or labels made ahead of time (teacher-labels.ts): then the job
// holds no teacher model at all, and takes the class features and every view's logits from the file.
//
// Every step is a function of (seed, step) (distill.ts), so a job opened from a checkpoint at step k
// takes exactly the steps an uninterrupted one takes after k. The recipe lives here and nowhere else:
// what is due after a step, the epoch's mean loss, the reference lines, the best evaluation on base,
// and the settings of a resumed run. Its callers do I/O and presentation only.
import { SafetensorsError } from '../clip/safetensors.ts';
import { halfPrecisionTower, logitScaleOf, type ClipWeights } from '../clip/weights.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { rng } from '../random.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { CheckpointError, readCheckpoint, readCheckpointInfo, writeCheckpoint } from './checkpoint.ts';
import { describeIndistinguishable, indistinguishableClasses } from './class-texts.ts';
import type { DistillConfig } from './config.ts';
import { Distiller, type StepProgress, type TeacherLogitsOf, type TrainView } from './distill.ts';
import { bestOnBase, tooFewClasses, type EvalProtocol, type Evaluation } from './metrics.ts';
import { distillConfigOf, promptDepthProblem, resumedSettings, type RunSettings } from './run-settings.ts';
import { epochOfStep, epochsDone } from './schedule.ts';
import { StudentSession } from './session.ts';
import { initStudentState, type StudentDims, type StudentState } from './state.ts';
import { readStudentPrompts } from './student-prompts.ts';
import { studentDims, type StudentHyper } from './student.ts';
import { TeacherLogitCache, type TeacherLogitsSource } from './teacher-cache.ts';
import { labelsMismatch, type LabelTeacher, type TeacherLabels } from './teacher-labels.ts';
import type { TeacherPrompts } from './teacher-prompts.ts';
import { ZERO_SHOT_TEMPLATES } from './teacher-text.ts';
import { Teacher } from './teacher.ts';
import {
  EVAL_BATCH,
  evalBatchFor,
  evaluateTeacher,
  type Memo,
  noMemo,
  referenceKey,
  scoreLogits,
  testSetLogits,
  type TestImages,
} from './test-eval.ts';

/** test sets up to this many bytes of pixels stay in memory between evaluations */
const PIXEL_CACHE_BYTES = 64 * 2 ** 20;

export class JobInputError extends Error {
  override name = 'JobInputError';
}

export interface JobImages {
  /** names the image set (its ids are only unique within it) */
  readonly id: string;
  /** stable ids of the unlabeled images (paths relative to the folder) */
  readonly ids: readonly string[];
  /** pixels [N,3,S,S] of these views at input size S (the crop and flip drawn from each view's seed) */
  pixels(views: readonly TrainView[], size: number): Promise<HostTensor>;
  /** the hex SHA-256 of an image's file, where known: labels are checked against it */
  sha256Of?(id: string): string | undefined;
}

export interface JobTestSet extends TestImages {
  /** each image's id and hex SHA-256 (where known): a teacher from labels scores the test set from them */
  readonly ids?: readonly string[];
  readonly sha256?: readonly (string | undefined)[];
}

/** where the student's trained tensors start */
export type JobStart =
  | { kind: 'fresh' }
  /**
   * a checkpoint of this run: its settings win over the spec's, but for the epochs when `given`
   * names them (a run continued for longer); `given`, the settings the user set now, are the ones
   * whose override is reported
   */
  | { kind: 'checkpoint'; file: Blob; name: string; given?: ReadonlySet<keyof RunSettings> }
  /** prompts exported by a run (the student's prompts, projector and statistics), from step 0 */
  | { kind: 'prompts'; file: Blob; name: string };

/** what a resumed job goes on from */
export interface Resumed {
  step: number;
  /** epochs completed at that step */
  epoch: number;
  /** settings given now that the checkpoint overrides, as "name value" */
  ignored: string[];
}

/** the reference lines of a run: the teacher as the run uses it, and the student CLIP's own zero-shot accuracy */
export interface JobReferences {
  /** null without a test set, or from labels that do not hold the test set's images */
  teacher: Evaluation | null;
  /** null without a test set or a student text tower */
  studentZeroShot: Evaluation | null;
}

/** an epoch's end, as every shell reports it */
export interface EpochSummary {
  /** 0-based */
  epoch: number;
  /** steps taken */
  step: number;
  /** the mean loss of the epoch's steps this job took (a resumed job's first epoch: those since the resume) */
  meanLoss: number;
  /** views the teacher has labelled in this job so far */
  teacherViews: number;
}

/** one step taken: its progress, what is due now, and the epoch's summary when it ended the epoch */
export interface JobStep extends StepProgress {
  due: { evaluate: boolean; checkpoint: boolean };
  epochEnd: EpochSummary | null;
}

/** an evaluation the job made, after `step` steps */
export interface JobEvaluation {
  step: number;
  /** 1-based: the epoch the step belongs to (Dassl's numbering of best_val) */
  epoch: number;
  evaluation: Evaluation;
}

/** where the teacher's class features and logits come from */
export type JobTeacher =
  /** a CLIP run live; both towers (the text tower makes the class features); prompts null: zero-shot ("a photo of a {class}.") */
  | { kind: 'model'; weights: ClipWeights; prompts: TeacherPrompts | null }
  /** labels made ahead of time: no teacher model is loaded */
  | { kind: 'labels'; labels: TeacherLabels };

export interface DistillJobSpec {
  runtime: Runtime;
  student: ClipWeights;
  teacher: JobTeacher;
  /** class names in label order: the first ⌈n/2⌉ are base, the rest new */
  classes: readonly string[];
  /** the run's settings; a job started from a checkpoint uses the checkpoint's (see JobStart) */
  settings: RunSettings;
  unlabeled: JobImages;
  test: JobTestSet | null;
  start: JobStart;
  evalBatch?: number;
  /** default 'base2new'; 'cross-dataset' scores every test image among all classes (metrics.ts protocolSplit) */
  protocol?: EvalProtocol;
  /** wraps the teacher's logits source (the studio keeps computed logits in IndexedDB) */
  teacherLogits?(source: TeacherLogitsSource<TrainView>): TeacherLogitsSource<TrainView>;
}

/** `reading`, with a damaged or unfitting start file named in one line */
async function readingStart<T>(file: { kind: 'checkpoint' | 'prompts'; name: string }, reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof SafetensorsError) {
      throw new JobInputError(file.kind === 'checkpoint' ? `cannot resume from ${file.name}: ${e.message}` : e.message);
    }
    throw e;
  }
}

/** an evaluation of the student with its logits [N,C] on the test set */
export interface StudentEvaluation {
  evaluation: Evaluation;
  logits: Float32Array;
}

export class DistillJob {
  /** steps taken */
  step: number;
  /** the evaluations this job made, in order (the one before training included) */
  readonly evaluations: JobEvaluation[] = [];
  private readonly testPixels = new Map<number, HostTensor>();
  /** the last evaluation and the step it was made at */
  private latest: { step: number; result: StudentEvaluation } | null = null;
  private epochLoss = { sum: 0, count: 0 };
  private released = false;

  private constructor(
    private readonly spec: DistillJobSpec,
    /** the settings the job runs: the spec's, or a resumed checkpoint's */
    readonly settings: RunSettings,
    /** where a job opened from a checkpoint went on from; null otherwise */
    readonly resumed: Resumed | null,
    readonly config: DistillConfig,
    readonly hyper: StudentHyper,
    readonly dims: StudentDims,
    /** the live teacher; null when the logits come from labels */
    readonly teacher: Teacher | null,
    /** the teacher's unit class features [C,Dt]: the student's classifier */
    readonly teacherText: HostTensor,
    private readonly session: StudentSession,
    private readonly distiller: Distiller,
    private readonly cache: TeacherLogitCache,
    step: number,
    /** images per student (and zero-shot) eval batch: the session's eval graph is built for it */
    private readonly evalBatch: number,
  ) {
    this.step = step;
  }

  /** Checks the inputs against the models, then builds the teacher, its class features and the student. */
  static async open(spec: DistillJobSpec): Promise<DistillJob> {
    const { student, classes } = spec;
    const startFile = spec.start.kind === 'fresh' ? null : spec.start;
    const resume =
      spec.start.kind === 'checkpoint'
        ? resumedSettings(
            spec.settings,
            (await readingStart(startFile!, readCheckpointInfo(spec.start.file))).config,
            spec.start.given ?? new Set(),
          )
        : null;
    const settings = resume?.settings ?? spec.settings;
    const few = tooFewClasses(classes.length, spec.protocol ?? 'base2new');
    if (few) throw new JobInputError(few);
    const tooDeep = promptDepthProblem(settings.depth, student.config.vision.layers);
    if (tooDeep) throw new JobInputError(`${tooDeep}; lower the depth`);
    if (spec.unlabeled.ids.length < settings.batchSize) {
      throw new JobInputError(
        `${spec.unlabeled.ids.length} training images are fewer than the batch size ${settings.batchSize}; add images or lower the batch size`,
      );
    }
    const config = distillConfigOf(settings, logitScaleOf(student));
    const source = spec.teacher;
    if (source.kind === 'labels') {
      const why = labelsMismatch(source.labels, {
        ...config,
        classes,
        imageIds: spec.unlabeled.ids,
        ...(spec.unlabeled.sha256Of ? { sha256Of: spec.unlabeled.sha256Of } : {}),
      });
      if (why) throw new JobInputError(`these teacher labels cannot serve this run: ${why}`);
    }
    const teacher =
      source.kind === 'model'
        ? await Teacher.create(spec.runtime, source.weights, {
            prompts: source.prompts,
            templates: ZERO_SHOT_TEMPLATES,
            imageBatch: config.batchSize,
            precision: settings.teacherFp16 ? 'float16' : 'float32',
          })
        : null;
    try {
      const teacherText = source.kind === 'model' ? await teacher!.textFeatures(classes) : await source.labels.classFeatures(); // [C,Dt]
      const alike = describeIndistinguishable(indistinguishableClasses(teacherText, classes), classes.length);
      if (alike) throw new JobInputError(alike);
      const hyper: StudentHyper = { ...config, teacherDim: teacherText.shape[1]!, nClasses: classes.length };
      const dims = studentDims(student, hyper);
      let start: { state: StudentState; step: number };
      if (spec.start.kind === 'checkpoint') {
        // the checkpoint must have the prompt geometry asked for now: its tensors are these shapes
        const read = await readingStart(startFile!, readCheckpoint(spec.start.file, studentDims(student, { ...hyper, ...resume!.wanted })));
        start = { state: read.state, step: read.info.step };
      } else if (spec.start.kind === 'prompts') {
        start = { state: (await readingStart(startFile!, readStudentPrompts(spec.start.file, dims, spec.start.name))).state, step: 0 };
      } else {
        start = { state: initStudentState(dims, rng(config.seed)), step: 0 };
      }
      const evalBatch = spec.evalBatch ?? evalBatchFor(spec.test?.labels.length ?? EVAL_BATCH);
      const session = await StudentSession.create(spec.runtime, {
        // float16: the frozen tower only; the prompts, projector, optimizer and loss stay float32 (student.ts)
        clip: settings.studentFp16 ? halfPrecisionTower(student, 'vision') : student,
        hyper,
        batch: config.batchSize,
        evalBatch,
        teacherText,
        initial: start.state,
      });
      const cache = new TeacherLogitCache();
      let teacherLogits: TeacherLogitsOf;
      if (source.kind === 'model') {
        const teacherSize = source.weights.config.vision.imageSize;
        const plain = teacher!.logitsSource<TrainView>(classes, (views) => spec.unlabeled.pixels(views, teacherSize));
        // image ids name the image set too: the same id in another folder is another image
        const named = { ...plain, id: `${plain.id}/${spec.unlabeled.id}` };
        const wrapped = spec.teacherLogits?.(named) ?? named;
        teacherLogits = (views) => cache.logits(wrapped, views);
      } else {
        teacherLogits = (views) => source.labels.logits(views);
      }
      const studentSize = student.config.vision.imageSize;
      const distiller = new Distiller(config, session, teacherLogits, {
        ids: spec.unlabeled.ids,
        pixels: (views) => spec.unlabeled.pixels(views, studentSize),
      });
      const resumed = resume && { step: start.step, epoch: epochsDone(start.step, distiller.stepsPerEpoch), ignored: resume.ignored };
      return new DistillJob(
        spec,
        settings,
        resumed,
        config,
        hyper,
        dims,
        teacher,
        teacherText,
        session,
        distiller,
        cache,
        start.step,
        evalBatch,
      );
    } catch (e) {
      await teacher?.release();
      throw e;
    }
  }

  /** the labels the logits come from; null with a live teacher */
  get labels(): TeacherLabels | null {
    return this.spec.teacher.kind === 'labels' ? this.spec.teacher.labels : null;
  }

  /** names the teacher: its weights and its prompts (part of reference and cache keys) */
  get teacherIdentity(): Pick<LabelTeacher, 'id' | 'promptState'> {
    return this.teacher ? { id: this.teacher.modelId, promptState: this.teacher.promptState } : this.labels!.teacher;
  }

  get totalSteps(): number {
    return this.distiller.totalSteps;
  }
  get stepsPerEpoch(): number {
    return this.distiller.stepsPerEpoch;
  }
  get done(): boolean {
    return this.step >= this.totalSteps;
  }
  /** images the teacher has labelled in this job (a view it saw before costs nothing) */
  get teacherViews(): number {
    return this.cache.teacherViews;
  }
  get classes(): readonly string[] {
    return this.spec.classes;
  }
  get hasTest(): boolean {
    return this.spec.test !== null;
  }

  /**
   * Takes the next step: its loss, learning rate and place in the epoch, whether an evaluation and a
   * checkpoint are due after it (the last step has both), and the epoch's summary when it ends one.
   */
  async next(): Promise<JobStep> {
    if (this.done)
      throw new JobInputError(`the run is complete (${this.step} of ${this.totalSteps} steps); raise the epochs to train further`);
    let progress: StepProgress | null = null;
    await this.distiller.run(this.step, this.step + 1, {
      onStep: (p) => {
        progress = p;
      },
    });
    const p = progress!;
    this.step++;
    this.epochLoss.sum += p.loss;
    this.epochLoss.count++;
    const step = this.step,
      settings = this.settings;
    const endsEpoch = step % this.stepsPerEpoch === 0 || this.done;
    const every = (n: number) => (n === 0 ? endsEpoch : step % n === 0) || this.done;
    let epochEnd: EpochSummary | null = null;
    if (endsEpoch) {
      epochEnd = { epoch: p.epoch, step, meanLoss: this.epochLoss.sum / this.epochLoss.count, teacherViews: this.teacherViews };
      this.epochLoss = { sum: 0, count: 0 };
    }
    return { ...p, due: { evaluate: this.hasTest && every(settings.evalEvery), checkpoint: every(settings.ckptEvery) }, epochEnd };
  }

  // ---- evaluation --------------------------------------------------------------------------

  /** logits [N,C] of the whole test set through `logitsOf` at input size `size` */
  private async testLogits(size: number, logitsOf: (px: HostTensor) => Promise<HostTensor>): Promise<Float32Array> {
    const set = this.spec.test!,
      N = set.labels.length,
      C = this.spec.classes.length;
    const all = Array.from({ length: N }, (_, i) => i);
    if (N * 3 * size * size * 4 <= PIXEL_CACHE_BYTES) {
      let px = this.testPixels.get(size);
      if (!px) {
        px = await set.pixels(all, size);
        this.testPixels.set(size, px);
      }
      return (await logitsOf(px)).data as Float32Array;
    }
    return testSetLogits(set, size, C, logitsOf, { chunk: this.evalBatch * 8 });
  }

  private get protocol(): EvalProtocol {
    return this.spec.protocol ?? 'base2new';
  }

  private scored(logits: Float32Array): Evaluation {
    return scoreLogits(logits, this.spec.test!.labels, this.protocol, this.spec.classes.length);
  }

  /**
   * The student on the test set now (BatchNorm in eval mode), kept among the job's evaluations; null
   * without a test set. Once per step: asked again before the next step (the results, the report and
   * an export each ask), it gives the same evaluation without a second pass or a second entry.
   */
  async evaluate(): Promise<StudentEvaluation | null> {
    if (!this.spec.test) return null;
    if (this.latest?.step === this.step) return this.latest.result;
    const logits = await this.testLogits(this.spec.student.config.vision.imageSize, (px) => this.session.evaluate(px));
    const evaluation = this.scored(logits);
    const epoch = this.step === 0 ? 0 : epochOfStep(this.step - 1, this.stepsPerEpoch) + 1;
    this.evaluations.push({ step: this.step, epoch, evaluation });
    this.latest = { step: this.step, result: { evaluation, logits } };
    return this.latest.result;
  }

  /** Dassl's best_val among this job's evaluations of a trained student; null under cross-dataset (no base half to select on) */
  get bestOnBase(): JobEvaluation | null {
    if (this.protocol !== 'base2new') return null;
    return bestOnBase(this.evaluations.map((e) => ({ ...e, base: e.evaluation.base })));
  }

  /** the reference lines, each computed once per `memo` key (the studio keeps them between runs) */
  async references(memo: Memo = noMemo): Promise<JobReferences> {
    const test = this.spec.test;
    if (!test) return { teacher: null, studentZeroShot: null };
    const { classes, student, runtime } = this.spec,
      protocol = this.protocol,
      who = this.teacherIdentity;
    const teacher = await memo(referenceKey(who.id, who.promptState, test.id, classes, protocol), () => this.teacherEvaluation());
    const studentZeroShot = student.towers.has('text')
      ? await evaluateTeacher(runtime, student, null, test, classes, { protocol, memo })
      : null;
    return { teacher, studentZeroShot };
  }

  /**
   * The teacher as this job uses it, on the test set; null without a test set, or from labels that
   * do not hold the test set's images (label it with `promptkd label --test`).
   */
  private async teacherEvaluation(): Promise<Evaluation | null> {
    const test = this.spec.test;
    if (!test) return null;
    const teacher = this.teacher;
    if (teacher) return this.scored(await this.testLogits(this.teacherSize, (px) => teacher.logits(px, this.spec.classes)));
    const logits = test.ids ? await this.labels!.testLogits(test.ids, test.sha256 ?? []) : null;
    return logits && this.scored(logits.data as Float32Array);
  }

  /** the live teacher's input size */
  private get teacherSize(): number {
    const t = this.spec.teacher;
    if (t.kind !== 'model') throw new Error('a job whose teacher is labels renders no teacher views');
    return t.weights.config.vision.imageSize;
  }

  /** teacher logits [n,C] of test images `indices`; null from labels that do not hold them */
  async teacherLogitsOf(indices: readonly number[]): Promise<HostTensor | null> {
    const test = this.spec.test!;
    if (this.teacher) return this.teacher.logits(await test.pixels(indices, this.teacherSize), this.spec.classes);
    if (!test.ids) return null;
    return this.labels!.testLogits(
      indices.map((i) => test.ids![i]!),
      indices.map((i) => test.sha256?.[i]),
    );
  }

  /** student logits [N,C] of preprocessed images [N,3,S,S] now (BatchNorm in eval mode) */
  studentLogits(pixels: HostTensor): Promise<HostTensor> {
    return this.session.evaluate(pixels);
  }

  // ---- state -------------------------------------------------------------------------------

  /** a host copy of params, momentum and running stats now */
  state(): Promise<StudentState> {
    return this.session.state();
  }

  /** the checkpoint of the state now (safetensors, PromptKD's names, the config in its metadata) */
  async checkpoint(): Promise<Uint8Array<ArrayBuffer>> {
    const epoch = epochsDone(this.step, this.stepsPerEpoch);
    return writeCheckpoint(await this.state(), { step: this.step, epoch, seed: this.config.seed, dims: this.dims, config: this.config });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
    await this.teacher?.release();
  }
}
