import { describe, expect, it } from 'vitest';
import { hostTensor } from '../graph/tensor.ts';
import { describeIndistinguishable, indistinguishableClasses } from './class-texts.ts';

const features = (rows: number[][]) => hostTensor('float32', [rows.length, rows[0]!.length], Float32Array.from(rows.flat()));

describe('classes the teacher cannot tell apart', () => {
  it('groups classes whose text features are the same (cosine > 0.999), in class order', () => {
    const f = features([
      [1, 0, 0],
      [0, 1, 0],
      [1, 0.001, 0],
      [0, 0, 1],
      [0, 2, 0.01],
      [2, 0, 0],
    ]);
    expect(indistinguishableClasses(f, ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual([
      ['a', 'c', 'f'],
      ['b', 'e'],
    ]);
    expect(
      indistinguishableClasses(
        features([
          [1, 0],
          [0, 1],
        ]),
        ['x', 'y'],
      ),
    ).toEqual([]);
  });

  it('says what is wrong and what to do, and when nothing could train', () => {
    expect(describeIndistinguishable([], 3)).toBeNull();
    expect(describeIndistinguishable([['cat', 'coffee', 'rocket']], 3)).toMatch(
      /cannot tell any of the classes apart by name: 'cat', 'coffee', 'rocket' .* nothing would train; rename them/,
    );
    expect(describeIndistinguishable([['a', 'b']], 5)).toMatch(
      /^the teacher cannot tell some classes apart by name: 'a', 'b' get the same text features/,
    );
  });
});
