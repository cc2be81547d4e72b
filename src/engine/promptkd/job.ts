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
// takes exactly the steps an uninterrupted one takes after k.
import type { ClipWeights } from '../clip/weights.ts';
import { logitScaleOf } from '../clip/weights.ts';
import { rng } from '../random.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { HostTensor } from '../runtime/tensor.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { describeIndistinguishable, indistinguishableClasses } from './class-texts.ts';
import type { DistillConfig } from './config.ts';
import { Distiller, type StepProgress, type TeacherLogitsOf, type TrainView } from './distill.ts';
import { evaluate, protocolSplit, tooFewClasses, type EvalProtocol, type Evaluation } from './metrics.ts';
import { distillConfigOf, type RunSettings } from './run-settings.ts';
import { StudentSession } from './session.ts';
import { initStudentState, type StudentDims, type StudentState } from './state.ts';
import { studentDims, type StudentHyper } from './student.ts';
import { TeacherLogitCache, type TeacherLogitsSource } from './teacher-cache.ts';
import { labelsMismatch, type LabelTeacher, type TeacherLabels } from './teacher-labels.ts';
import type { TeacherPrompts } from './teacher-prompts.ts';
import { ZERO_SHOT_TEMPLATES } from './teacher-text.ts';
import { Teacher } from './teacher.ts';

/** student eval batch, and test images per chunk when the test set is read in parts */
export const EVAL_BATCH = 32;

/**
 * The eval batch for a test set of `testImages`: no larger than the set, so every batch runs full
 * (padding 3 test images to 32 costs a ViT on WASM minutes of work on images that do not exist).
 */
export const evalBatchFor = (testImages: number): number => Math.max(1, Math.min(EVAL_BATCH, testImages));
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

export interface JobTestSet {
  /** names the test set (reference accuracies are remembered per set) */
  readonly id: string;
  /** the class index of every image, in set order */
  readonly labels: readonly number[];
  /** each image's id and hex SHA-256 (where known): a teacher from labels scores the test set from them */
  readonly ids?: readonly string[];
  readonly sha256?: readonly (string | undefined)[];
  /** centre-view pixels [n,3,S,S] of images `indices` */
  pixels(indices: readonly number[], size: number): Promise<HostTensor>;
}

export type JobStart = { kind: 'fresh' } | { kind: 'state'; state: StudentState; step: number };

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

export class DistillJob {
  /** steps taken */
  step: number;
  private readonly testPixels = new Map<number, HostTensor>();
  private released = false;

  private constructor(
    private readonly spec: DistillJobSpec,
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
    const { student, classes, settings } = spec;
    const few = tooFewClasses(classes.length, spec.protocol ?? 'base2new');
    if (few) throw new JobInputError(few);
    if (settings.depth > student.config.vision.layers) {
      throw new JobInputError(
        `prompt depth ${settings.depth} needs ${settings.depth} vision layers, but the student has ${student.config.vision.layers}; lower the depth`,
      );
    }
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
      const start = spec.start.kind === 'state' ? spec.start : { state: initStudentState(dims, rng(config.seed)), step: 0 };
      const evalBatch = spec.evalBatch ?? evalBatchFor(spec.test?.labels.length ?? EVAL_BATCH);
      const session = await StudentSession.create(spec.runtime, {
        clip: student,
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
      return new DistillJob(spec, config, hyper, dims, teacher, teacherText, session, distiller, cache, start.step, evalBatch);
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

  /** Takes the next step; its loss, learning rate and place in the epoch. */
  async next(): Promise<StepProgress> {
    if (this.done)
      throw new JobInputError(`the run is complete (${this.step} of ${this.totalSteps} steps); raise the epochs to train further`);
    let progress: StepProgress | null = null;
    await this.distiller.run(this.step, this.step + 1, {
      onStep: (p) => {
        progress = p;
      },
    });
    this.step++;
    return progress!;
  }

  /** whether an evaluation and a checkpoint are due now, after `step` steps (the last step has both) */
  due(): { evaluate: boolean; checkpoint: boolean; epochEnd: boolean } {
    const s = this.spec.settings,
      step = this.step;
    const epochEnd = step > 0 && step % this.stepsPerEpoch === 0;
    const every = (n: number) => (n === 0 ? epochEnd : step % n === 0) || this.done;
    return { evaluate: this.hasTest && every(s.evalEvery), checkpoint: every(s.ckptEvery), epochEnd };
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
      if (!px) this.testPixels.set(size, (px = await set.pixels(all, size)));
      return (await logitsOf(px)).data as Float32Array;
    }
    const chunk = this.evalBatch * 8,
      out = new Float32Array(N * C);
    for (let at = 0; at < N; at += chunk)
      out.set((await logitsOf(await set.pixels(all.slice(at, at + chunk), size))).data as Float32Array, at * C);
    return out;
  }

  private scored(logits: Float32Array): Evaluation {
    return evaluate(logits, [...this.spec.test!.labels], protocolSplit(this.spec.protocol ?? 'base2new', this.spec.classes.length));
  }

  /** the student on the test set now (BatchNorm in eval mode); null without a test set */
  async evaluate(): Promise<{ evaluation: Evaluation; logits: Float32Array } | null> {
    if (!this.spec.test) return null;
    const logits = await this.testLogits(this.spec.student.config.vision.imageSize, (px) => this.session.evaluate(px));
    return { evaluation: this.scored(logits), logits };
  }

  /**
   * The teacher as this job uses it, on the test set; null without a test set, or from labels that
   * do not hold the test set's images (label it with `promptkd label --test`).
   */
  async teacherEvaluation(): Promise<Evaluation | null> {
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

  /** the student CLIP's own zero-shot accuracy; null without a test set or a student text tower */
  async studentZeroShotEvaluation(): Promise<Evaluation | null> {
    const student = this.spec.student;
    if (!this.spec.test || !student.towers.has('text')) return null;
    const zs = await Teacher.create(this.spec.runtime, student, {
      prompts: null,
      templates: ZERO_SHOT_TEMPLATES,
      imageBatch: this.evalBatch,
    });
    try {
      return this.scored(await this.testLogits(student.config.vision.imageSize, (px) => zs.logits(px, this.spec.classes)));
    } finally {
      await zs.release();
    }
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
    const epoch = Math.floor(this.step / this.stepsPerEpoch);
    return writeCheckpoint(await this.state(), { step: this.step, epoch, seed: this.config.seed, dims: this.dims, config: this.config });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
    await this.teacher?.release();
  }
}
