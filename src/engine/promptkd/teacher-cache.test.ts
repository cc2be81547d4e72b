import { describe, expect, it } from 'vitest';
import { hostTensor } from '../graph/tensor.ts';
import { TeacherLogitCache, type TeacherLogitsSource, type ViewRef } from './teacher-cache.ts';

/** a fake teacher whose logits encode the image and view, and which counts its forward passes */
function countingTeacher(id = 't', promptState = 'zero-shot', nClasses = 3) {
  const seen: string[] = [];
  const source: TeacherLogitsSource = {
    id,
    promptState,
    nClasses,
    async run(views: readonly ViewRef[]) {
      seen.push(...views.map((v) => `${v.imageId}/${v.viewId}`));
      const data = new Float32Array(views.length * nClasses);
      views.forEach((v, i) => {
        for (let c = 0; c < nClasses; c++) data[i * nClasses + c] = Number(v.imageId) * 10 + c + (v.viewId === 'center' ? 0 : 0.5);
      });
      return hostTensor('float32', [views.length, nClasses], data);
    },
  };
  return { source, seen };
}

describe('TeacherLogitCache', () => {
  it('runs the teacher once per image over all epochs when augmentation is off', async () => {
    const N = 7,
      E = 5,
      B = 3;
    const { source, seen } = countingTeacher();
    const cache = new TeacherLogitCache();
    for (let e = 0; e < E; e++) {
      const order = [...Array(N).keys()].sort((a, b) => ((a * 31 + e * 17) % N) - ((b * 31 + e * 17) % N));
      for (let i = 0; i < N; i += B) {
        const views = order.slice(i, i + B).map((id) => ({ imageId: String(id), viewId: 'center' }));
        const t = await cache.logits(source, views);
        views.forEach((v, r) => {
          expect(t.data[r * 3 + 2]).toBe(Number(v.imageId) * 10 + 2);
        });
      }
    }
    expect(seen.length).toBe(N); // N images × E epochs → N teacher forward passes
    expect(cache.teacherViews).toBe(N);
    expect(new Set(seen).size).toBe(N);
  });

  it('runs the teacher once per distinct view, even when a batch repeats one', async () => {
    const { source, seen } = countingTeacher();
    const cache = new TeacherLogitCache();
    const a = { imageId: '1', viewId: 'e0:flip' },
      b = { imageId: '1', viewId: 'e1:crop' };
    const t = await cache.logits(source, [a, b, a]);
    expect(Array.from(t.data as Float32Array)).toEqual([10.5, 11.5, 12.5, 10.5, 11.5, 12.5, 10.5, 11.5, 12.5]);
    await cache.logits(source, [b]);
    expect(seen).toEqual(['1/e0:flip', '1/e1:crop']);
  });

  it('never reuses logits across teachers or prompt states', async () => {
    const cache = new TeacherLogitCache();
    const zs = countingTeacher('L14', 'zero-shot');
    const tuned = countingTeacher('L14', 'tuned:abc');
    const v = [{ imageId: '2', viewId: 'center' }];
    await cache.logits(zs.source, v);
    await cache.logits(tuned.source, v);
    await cache.logits(zs.source, v);
    expect([zs.seen.length, tuned.seen.length]).toEqual([1, 1]);
  });

  it('names a teacher that returns the wrong shape', async () => {
    const bad: TeacherLogitsSource = { id: 'broken', promptState: '', nClasses: 4, run: async () => hostTensor('float32', [1, 3]) };
    await expect(new TeacherLogitCache().logits(bad, [{ imageId: 'x', viewId: 'center' }])).rejects.toThrow(
      /teacher 'broken' returned logits \[1,3\] for 1 views of 4 classes/,
    );
  });
});
