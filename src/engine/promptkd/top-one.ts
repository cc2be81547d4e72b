// A row of logits' top class, and how often two sets of logits [N,C] agree on it.

/** the index of a row's largest value, the first of equal ones; a NaN never wins (0 for a row of NaN) */
export function argmax(row: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i]) && (best < 0 || row[i]! > row[best]!)) best = i;
  return Math.max(best, 0);
}

/** the share of the rows of two logits [N,C] (row-major) whose top class is the same */
export function topOneAgreement(a: Float32Array, b: Float32Array, nClasses: number): number {
  if (a.length !== b.length || a.length % nClasses !== 0) {
    throw new Error(`topOneAgreement: ${a.length} and ${b.length} logits are not the same rows of ${nClasses} classes`);
  }
  const N = a.length / nClasses,
    row = (l: Float32Array, i: number) => l.subarray(i * nClasses, (i + 1) * nClasses);
  let same = 0;
  for (let i = 0; i < N; i++) if (argmax(row(a, i)) === argmax(row(b, i))) same++;
  return N === 0 ? 0 : same / N;
}
