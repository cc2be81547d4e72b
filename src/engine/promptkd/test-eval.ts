// Scoring a model on a labelled test set, the one way every caller does it: the job's evaluations,
// its reference lines, the studio's teacher stage, stage 1 in the CLI and the demo. Logits are
// computed in batches no larger than the set, and scored under the run's protocol (metrics.ts).
import type { ClipWeights } from '../clip/weights.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { evaluate, protocolSplit, type EvalProtocol, type Evaluation } from './metrics.ts';
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

/** a labelled test set as the evaluations read it */
export interface TestImages {
  /** names the set: reference lines are remembered per set */
  readonly id: string;
  /** the class index of every image, in set order */
  readonly labels: readonly number[];
  /** centre-view pixels [n,3,S,S] of images `indices` */
  pixels(indices: readonly number[], size: number): Promise<HostTensor>;
}

export interface TestLogitsOptions {
  /** images read and run per call of `logitsOf` */
  chunk: number;
  onProgress?(done: number, total: number): void;
}

/** logits [N,C] of the whole set through `logitsOf` at input size `size`, `chunk` images at a time */
export async function testSetLogits(
  set: Pick<TestImages, 'labels' | 'pixels'>,
  size: number,
  nClasses: number,
  logitsOf: (pixels: HostTensor) => Promise<HostTensor>,
  opts: TestLogitsOptions,
): Promise<Float32Array> {
  const N = set.labels.length,
    out = new Float32Array(N * nClasses);
  for (let at = 0; at < N; at += opts.chunk) {
    const indices = Array.from({ length: Math.min(opts.chunk, N - at) }, (_, k) => at + k);
    out.set((await logitsOf(await set.pixels(indices, size))).data as Float32Array, at * nClasses);
    opts.onProgress?.(at + indices.length, N);
  }
  return out;
}

/** logits [N,C] scored under `protocol` against the test set's labels [N] */
export const scoreLogits = (logits: Float32Array, labels: readonly number[], protocol: EvalProtocol, nClasses: number): Evaluation =>
  evaluate(logits, [...labels], protocolSplit(protocol, nClasses));

/** a value computed once per key (the studio keeps reference lines for the life of the worker) */
export type Memo = <T>(key: string, compute: () => Promise<T>) => Promise<T>;

/** computes every time */
export const noMemo: Memo = (_key, compute) => compute();

/** keeps each key's value (its promise) in `store` */
export const memoIn =
  (store: Map<string, Promise<unknown>>): Memo =>
  <T>(key: string, compute: () => Promise<T>) => {
    if (!store.has(key)) store.set(key, compute());
    return store.get(key) as Promise<T>;
  };

export interface TeacherEvaluationOptions {
  /** default 'base2new' */
  protocol?: EvalProtocol;
  onProgress?(done: number, total: number): void;
  /** default noMemo */
  memo?: Memo;
}

/** A frozen CLIP with `prompts` (null: zero-shot, "a photo of a {class}.") on a test set. */
export async function evaluateTeacher(
  runtime: Runtime,
  weights: ClipWeights,
  prompts: TeacherPrompts | null,
  set: TestImages,
  classes: readonly string[],
  opts: TeacherEvaluationOptions = {},
): Promise<Evaluation> {
  const imageBatch = evalBatchFor(set.labels.length);
  const teacher = await Teacher.create(runtime, weights, { prompts, templates: ZERO_SHOT_TEMPLATES, imageBatch });
  try {
    const key = referenceKey(teacher.modelId, teacher.promptState, set.id, classes, opts.protocol);
    return await (opts.memo ?? noMemo)(key, async () => {
      const logits = await testSetLogits(set, weights.config.vision.imageSize, classes.length, (px) => teacher.logits(px, classes), {
        chunk: imageBatch * 8,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      return scoreLogits(logits, set.labels, opts.protocol ?? 'base2new', classes.length);
    });
  } finally {
    await teacher.release();
  }
}

/** names a frozen model's accuracy (its weights and prompts) on a test set under a class list and protocol */
export const referenceKey = (
  modelId: string,
  promptState: string,
  testId: string,
  classes: readonly string[],
  protocol: EvalProtocol = 'base2new',
) => JSON.stringify([modelId, promptState, testId, classes, protocol]);
