// Class names as the user types them.

/** one name per line (commas work too), trimmed, empty lines dropped */
export const parseClassList = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((c) => c.trim())
    .filter(Boolean);

/** what is wrong with a class list, in words; null when it can be used */
export function classListProblem(names: readonly string[]): string | null {
  if (names.length < 2) return 'Name at least 2 classes: base/new evaluation needs one of each.';
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) return `"${dup}" is named twice; each class needs its own name.`;
  return null;
}
