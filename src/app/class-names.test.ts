import { describe, expect, it } from 'vitest';
import { classListProblem, parseClassList } from './class-names.ts';

describe('class names', () => {
  it('reads one name per line or comma, trimmed', () => {
    expect(parseClassList(' cat \n\ndog, golden retriever\n')).toEqual(['cat', 'dog', 'golden retriever']);
  });

  it('needs two distinct names', () => {
    expect(classListProblem(['cat'])).toMatch(/at least 2 classes/);
    expect(classListProblem(['cat', 'dog', 'cat'])).toBe('"cat" is named twice; each class needs its own name.');
    expect(classListProblem(['cat', 'dog'])).toBeNull();
  });
});
