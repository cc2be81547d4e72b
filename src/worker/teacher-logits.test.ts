import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { hostTensor } from '../engine/graph/tensor.ts';
import type { TeacherLogitsSource, ViewRef } from '../engine/promptkd/teacher-cache.ts';
import { StudioStorage } from '../storage/storage.ts';
import { persistentTeacherSource } from './teacher-logits.ts';

/** a teacher whose logits name the view: row = [hash, -hash] */
function countingTeacher(id: string, promptState: string) {
  const calls: string[][] = [];
  const hash = (v: ViewRef) => [...`${v.imageId}|${v.viewId}`].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) % 1000;
  const source: TeacherLogitsSource<ViewRef> = {
    id,
    promptState,
    nClasses: 2,
    run: async (views) => {
      calls.push(views.map((v) => v.imageId));
      return hostTensor('float32', [views.length, 2], Float32Array.from(views.flatMap((v) => [hash(v), -hash(v)])));
    },
  };
  return { source, calls, hash };
}

describe('persistentTeacherSource', () => {
  it('runs the teacher only on views no earlier run stored, and keeps teachers apart', async () => {
    const storage = new StudioStorage({ prefix: 'tlogits' });
    const views = ['a', 'b', 'c'].map((imageId) => ({ imageId, viewId: 'center' }));
    const first = countingTeacher('t1', 'zs');
    const out1 = await persistentTeacherSource(first.source, storage).run(views.slice(0, 2));
    expect(first.calls).toEqual([['a', 'b']]);
    // a later page (new source object, same storage): only 'c' is new
    const second = countingTeacher('t1', 'zs');
    const wrapped = persistentTeacherSource(second.source, storage);
    const out2 = await wrapped.run(views);
    expect(second.calls).toEqual([['c']]);
    expect(wrapped.stored).toBe(2);
    expect(Array.from(out2.data as Float32Array).slice(0, 4)).toEqual(Array.from(out1.data as Float32Array));
    expect(Array.from(out2.data as Float32Array).slice(4)).toEqual([second.hash(views[2]!), -second.hash(views[2]!)]);
    // other prompts: nothing is reused
    const tuned = countingTeacher('t1', 'prompts-x');
    await persistentTeacherSource(tuned.source, storage).run(views);
    expect(tuned.calls).toEqual([['a', 'b', 'c']]);
  });
});
