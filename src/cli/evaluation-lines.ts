// Evaluations as the CLI prints them and as report.json keeps them: base/new/HM, or under the
// cross-dataset protocol one accuracy over all classes.
import type { EvalProtocol, Evaluation } from '../engine/promptkd/metrics.ts';

/** an accuracy as the terminal shows it */
export const formatPercent = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);

type Shared = Pick<Evaluation, 'perClass' | 'confusion'>;
/** an evaluation as report.json keeps it: base/new/HM, or under cross-dataset one accuracy over all classes */
export type EvaluationSummary =
  | (Shared & Pick<Evaluation, 'base' | 'new' | 'hm' | 'counts'>)
  | (Shared & { accuracy: number | null; count: number });

/** under cross-dataset the job's `base` is the accuracy over all classes (metrics.ts protocolSplit) */
export const evaluationSummary = (e: Evaluation, protocol: EvalProtocol): EvaluationSummary =>
  protocol === 'cross-dataset'
    ? { accuracy: e.base, perClass: e.perClass, confusion: e.confusion, count: e.counts.base }
    : { base: e.base, new: e.new, hm: e.hm, perClass: e.perClass, confusion: e.confusion, counts: e.counts };

/** an evaluation in one line */
export const formatEvaluation = (s: EvaluationSummary): string =>
  'accuracy' in s
    ? `accuracy ${formatPercent(s.accuracy)} (all ${s.perClass.length} classes)`
    : `base ${formatPercent(s.base)}  new ${formatPercent(s.new)}  HM ${formatPercent(s.hm)}`;
