import { describe, expect, it } from 'vitest';
import { baseNewSplit, bestOnBase, evaluate, harmonicMean, protocolSplit, singleClassHalf, tooFewClasses } from './metrics.ts';

describe('baseNewSplit', () => {
  it('puts the first ⌈n/2⌉ labels in base', () => {
    expect(baseNewSplit(37)).toEqual({ base: [...Array(19).keys()], new: [...Array(18).keys()].map((i) => i + 19) });
    expect(baseNewSplit(4)).toEqual({ base: [0, 1], new: [2, 3] });
    expect(baseNewSplit(1)).toEqual({ base: [0], new: [] });
  });
});

describe('evaluate', () => {
  it('classifies each image among its own subset only', () => {
    const split = baseNewSplit(4); // base {0,1}, new {2,3}
    // image 0 (class 0): a new class scores highest overall, but among base classes 0 wins → right
    // image 1 (class 1): base argmax is 0 → wrong
    // image 2 (class 2): a base class scores highest overall, among new classes 2 wins → right
    // image 3 (class 3): among new classes 3 wins → right
    const logits = [5, 1, 9, 0, 3, 2, 0, 0, 9, 0, 4, 1, 0, 0, 1, 2];
    const r = evaluate(logits, [0, 1, 2, 3], split);
    expect(r.base).toBe(0.5);
    expect(r.new).toBe(1);
    expect(r.hm).toBeCloseTo((2 * 0.5 * 1) / 1.5, 15);
    expect(r.perClass).toEqual([1, 0, 1, 1]);
    expect(r.confusion).toEqual([
      [1, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(r.counts).toEqual({ base: 2, new: 2 });
  });

  it('reports null for a subset without test images and an unseen class', () => {
    const r = evaluate([1, 0, 0, 0], [0], baseNewSplit(4));
    expect(r).toMatchObject({ base: 1, new: null, hm: null });
    expect(r.perClass).toEqual([1, null, null, null]);
  });

  it('rejects labels and logits that do not fit', () => {
    expect(() => evaluate([1, 2, 3], [0], baseNewSplit(2))).toThrow(/do not make 1 rows of 2 classes/);
    expect(() => evaluate([1, 2], [5], baseNewSplit(2))).toThrow(/label 5/);
  });

  it('uses the HM of base and new accuracy', () => {
    expect(harmonicMean(0.8696, 0.8073)).toBeCloseTo(0.8373, 4); // the paper's Table 1 average row
    expect(harmonicMean(0, 0)).toBe(0);
  });

  it('cross-dataset: every image classified among all classes, one accuracy, no new or HM', () => {
    // image 0 (class 0) scores class 3 highest: wrong among all 4 classes, though right among base {0,1}
    const logits = [1, 0.5, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(evaluate(logits, [0, 1, 2, 3], baseNewSplit(4)).base).toBe(1);
    const r = evaluate(logits, [0, 1, 2, 3], protocolSplit('cross-dataset', 4));
    expect(r).toMatchObject({ base: 0.75, new: null, hm: null, counts: { base: 4, new: 0 } });
    expect(r.confusion[0]).toEqual([0, 0, 0, 1]);
    expect(protocolSplit('base2new', 5)).toEqual(baseNewSplit(5));
  });
});

describe('bestOnBase', () => {
  const e = (step: number, base: number | null = null) => ({ step, base });
  it('takes the highest base accuracy, the earliest of equals', () => {
    expect(bestOnBase([e(50, 0.7), e(25, 0.7), e(75, 0.6)])!.step).toBe(25);
  });
  it('ignores unevaluated entries and the untrained student (step 0)', () => {
    expect(bestOnBase([e(1), e(2)])).toBeNull();
    expect(bestOnBase([e(0, 0.9), e(25, 0.5), e(50, null)])!.step).toBe(25);
  });
});

describe('classes a protocol cannot score', () => {
  it('one class is refused, in words of the protocol', () => {
    expect(tooFewClasses(1, 'cross-dataset')).toBe(
      'name at least 2 classes: cross-dataset evaluation scores each test image among all classes, and 1 leaves nothing to choose between',
    );
    expect(tooFewClasses(1, 'base2new')).toBe(
      'name at least 2 classes: base-to-new evaluation needs a base and a new half, and 1 class cannot be split',
    );
    expect(tooFewClasses(2, 'base2new')).toBeNull();
  });

  it('a base-to-new half of one class is named (its accuracy is 100 % by construction); cross-dataset has no halves', () => {
    expect(singleClassHalf(['cat', 'dog'], 'base2new')).toMatch(
      /^the base half holds one class \(cat\) and the new half holds one class \(dog\): /,
    );
    expect(singleClassHalf(['cat', 'dog', 'emu'], 'base2new')).toMatch(/^the new half holds one class \(emu\): its test images/);
    expect(singleClassHalf(['cat', 'dog', 'emu'], 'cross-dataset')).toBeNull();
    expect(singleClassHalf(['cat', 'dog', 'emu', 'fox'], 'base2new')).toBeNull();
  });
});
