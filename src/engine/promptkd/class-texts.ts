// Classes the teacher cannot tell apart by their names. A teacher whose text features for two
// classes are (nearly) the same gives them the same scores on every image: the student learns
// nothing about telling them apart, and when every class is alike the KD loss is 0 and nothing
// trains. It happens with words the model never learned (the demo teacher knows only
// Fashion-MNIST's), duplicate names, and empty or punctuation-only names.
import type { HostTensor } from '../graph/tensor.ts';

/** cosine above which two classes' text features count as the same */
export const SAME_TEXT_COSINE = 0.999;

/** groups of classes (two or more each) whose unit text features [C,E] are the same, in class order */
export function indistinguishableClasses(features: HostTensor, classes: readonly string[], threshold = SAME_TEXT_COSINE): string[][] {
  const [C, E] = features.shape as [number, number];
  const f = features.data as Float32Array;
  const norm = (c: number) => Math.hypot(...f.subarray(c * E, (c + 1) * E)) || 1;
  const norms = Array.from({ length: C }, (_, c) => norm(c));
  const cosine = (a: number, b: number) => {
    let s = 0;
    for (let j = 0; j < E; j++) s += f[a * E + j]! * f[b * E + j]!;
    return s / (norms[a]! * norms[b]!);
  };
  const group = new Array<number>(C).fill(-1);
  const groups: number[][] = [];
  for (let a = 0; a < C; a++) {
    for (let b = a + 1; b < C; b++) {
      if (cosine(a, b) <= threshold) continue;
      const g = group[a]! >= 0 ? group[a]! : group[b]! >= 0 ? group[b]! : groups.push([]) - 1;
      for (const c of [a, b])
        if (group[c] !== g) {
          group[c] = g;
          groups[g]!.push(c);
        }
    }
  }
  return groups.map((g) => g.sort((x, y) => x - y).map((c) => classes[c]!));
}

/** one line naming the groups and what to do, or null when every class stands apart */
export function describeIndistinguishable(groups: readonly string[][], classCount: number): string | null {
  if (groups.length === 0) return null;
  const named = groups.map((g) => g.map((c) => `'${c}'`).join(', ')).join('; ');
  const all = groups.length === 1 && groups[0]!.length === classCount;
  return (
    `the teacher cannot tell ${all ? 'any of the classes' : 'some classes'} apart by name: ${named} get the same text features ` +
    `(its vocabulary lacks their words, or the names repeat or are empty)${all ? ', so every image would score the same and nothing would train' : ''}; ` +
    'rename them with words the teacher knows, or choose a teacher that knows them'
  );
}
