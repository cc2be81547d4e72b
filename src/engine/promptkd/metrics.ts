// Base-to-new evaluation as PromptKD reports it (official code promptkd.py `test`, datasets/*.py
// `subsample_classes`): class labels are the sorted class names' indices, the first ⌈n/2⌉ are
// "base", the rest "new"; a base test image is classified among the base classes only and a new
// one among the new classes only; accuracy is micro top-1; HM = 2·B·N/(B+N).

export interface BaseNewSplit {
  base: number[]; // labels 0 … ⌈n/2⌉−1
  new: number[]; //  labels ⌈n/2⌉ … n−1
}

export function baseNewSplit(nClasses: number): BaseNewSplit {
  if (!Number.isInteger(nClasses) || nClasses < 1) throw new Error(`baseNewSplit: need a positive class count, got ${nClasses}`);
  const m = Math.ceil(nClasses / 2);
  const all = Array.from({ length: nClasses }, (_, i) => i);
  return { base: all.slice(0, m), new: all.slice(m) };
}

/**
 * How a run is evaluated. 'base2new': base and new classes apart, HM of the two (the paper's main
 * protocol). 'cross-dataset': every class of the target dataset at once, each test image classified
 * among all of them (the paper's cross-dataset protocol: a teacher tuned on ImageNet, a student
 * distilled and evaluated on all classes of another dataset).
 */
export type EvalProtocol = 'base2new' | 'cross-dataset';
export const EVAL_PROTOCOLS: readonly EvalProtocol[] = ['base2new', 'cross-dataset'];

/**
 * The subsets a protocol classifies among. Cross-dataset has one subset holding every class, put in
 * `base`: the evaluation's `base` is then the accuracy over all classes, and `new` and `hm` are null.
 */
export function protocolSplit(protocol: EvalProtocol, nClasses: number): BaseNewSplit {
  if (protocol === 'base2new') return baseNewSplit(nClasses);
  return { base: Array.from({ length: nClasses }, (_, i) => i), new: [] };
}

/** why `nClasses` classes cannot be scored under `protocol`, or null when they can */
export function tooFewClasses(nClasses: number, protocol: EvalProtocol): string | null {
  if (nClasses >= 2) return null;
  return protocol === 'cross-dataset'
    ? `name at least 2 classes: cross-dataset evaluation scores each test image among all classes, and ${nClasses} leaves nothing to choose between`
    : `name at least 2 classes: base-to-new evaluation needs a base and a new half, and ${nClasses} class${nClasses === 1 ? '' : 'es'} cannot be split`;
}

/**
 * Under base-to-new, a half of one class scores each of its test images among that class alone: its
 * accuracy is 100 % whatever the student does. Says so (the run goes on), or null.
 */
export function singleClassHalf(classes: readonly string[], protocol: EvalProtocol): string | null {
  if (protocol !== 'base2new' || classes.length < 2) return null;
  const split = baseNewSplit(classes.length);
  const lonely = (['base', 'new'] as const).filter((h) => split[h].length === 1);
  if (lonely.length === 0) return null;
  const named = lonely.map((h) => `the ${h} half holds one class (${classes[split[h][0]!]})`).join(' and ');
  return `${named}: its test images are scored among that class alone, so its accuracy is 100 % whatever the student learns; name more classes, or choose cross-dataset, which scores every image among all ${classes.length}`;
}

export interface Evaluation {
  /** accuracies are fractions in [0,1]; null where the subset has no test image */
  base: number | null;
  new: number | null;
  hm: number | null;
  /** accuracy of each class' test images within its own subset (null: no image of that class) */
  perClass: (number | null)[];
  /** confusion[true][predicted], predictions restricted to the true class' subset */
  confusion: number[][];
  counts: { base: number; new: number };
}

export const harmonicMean = (b: number, n: number): number => (b + n === 0 ? 0 : (2 * b * n) / (b + n));

/**
 * an evaluation's headline numbers, as runs, reports and model cards keep them: fractions in [0,1], null
 * where the half has no test image; under cross-dataset `base` is the accuracy over all classes
 */
export type Accuracy = Pick<Evaluation, 'base' | 'new' | 'hm'>;
export const accuracyOf = (e: Evaluation): Accuracy => ({ base: e.base, new: e.new, hm: e.hm });

/** logits [N,C] row-major, labels [N] in 0…C−1. */
export function evaluate(logits: ArrayLike<number>, labels: readonly number[], split: BaseNewSplit): Evaluation {
  const nClasses = split.base.length + split.new.length;
  if (logits.length !== labels.length * nClasses) {
    throw new Error(`evaluate: ${logits.length} logits do not make ${labels.length} rows of ${nClasses} classes`);
  }
  const subsetOf = new Array<number[]>(nClasses);
  for (const c of split.base) subsetOf[c] = split.base;
  for (const c of split.new) subsetOf[c] = split.new;
  const confusion = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  labels.forEach((label, i) => {
    const subset = subsetOf[label];
    if (subset === undefined) throw new Error(`evaluate: label ${label} of image ${i} is not a class 0…${nClasses - 1}`);
    let best = subset[0]!;
    for (const c of subset) if (logits[i * nClasses + c]! > logits[i * nClasses + best]!) best = c;
    confusion[label]![best]!++;
  });
  const accuracy = (classes: readonly number[]): { acc: number | null; n: number } => {
    let right = 0,
      n = 0;
    for (const c of classes) {
      right += confusion[c]![c]!;
      n += confusion[c]!.reduce((a, b) => a + b, 0);
    }
    return { acc: n === 0 ? null : right / n, n };
  };
  const base = accuracy(split.base),
    nw = accuracy(split.new);
  return {
    base: base.acc,
    new: nw.acc,
    hm: base.acc === null || nw.acc === null ? null : harmonicMean(base.acc, nw.acc),
    perClass: confusion.map((_, c) => accuracy([c]).acc),
    confusion,
    counts: { base: base.n, new: nw.n },
  };
}

/**
 * Dassl's best_val: of the evaluated entries of a trained student (step > 0: the untrained one is
 * never the best, as Dassl evaluates only after training), the one with the highest base accuracy,
 * the earliest of equals (the first model that reached it); null when none has a base accuracy. The
 * studio keeps that checkpoint beside the last ones; the CLI reports it beside the last evaluation.
 */
export function bestOnBase<T extends { step: number; base: number | null }>(entries: readonly T[]): T | null {
  let best: T | null = null;
  for (const e of [...entries].sort((a, b) => a.step - b.step)) {
    if (e.step > 0 && e.base !== null && (best === null || e.base > best.base!)) best = e;
  }
  return best;
}
