// The teacher-logit cache kept in IndexedDB: a source wrapper that looks each view up in storage
// before running the teacher and stores what it computes, so a resumed run (or a second run on the
// same data, teacher and classes) does not run the large teacher again. Keys carry the teacher's id
// (model and class list) and prompt state, so another teacher never hits stale logits.
import { hostTensor } from '../engine/graph/tensor.ts';
import type { TeacherLogitsSource, ViewRef } from '../engine/promptkd/teacher-cache.ts';
import type { StudioStorage } from '../storage/storage.ts';

export const teacherLogitKey = (source: TeacherLogitsSource<ViewRef>, v: ViewRef): string =>
  JSON.stringify([source.id, source.promptState, v.imageId, v.viewId]);

export function persistentTeacherSource<V extends ViewRef>(
  inner: TeacherLogitsSource<V>,
  storage: StudioStorage,
): TeacherLogitsSource<V> & { stored: number } {
  const out = {
    id: inner.id,
    promptState: inner.promptState,
    nClasses: inner.nClasses,
    /** views found in storage (the teacher did not run on them) */
    stored: 0,
    async run(views: readonly V[]) {
      const C = inner.nClasses;
      const keys = views.map((v) => teacherLogitKey(inner, v));
      const rows = await storage.getTeacherLogits(keys);
      const missing = rows.flatMap((r, i) => (r ? [] : [i]));
      out.stored += views.length - missing.length;
      if (missing.length > 0) {
        const computed = await inner.run(missing.map((i) => views[i]!)); // [M,C]
        const fresh = missing.map(
          (i, k) => [keys[i]!, Float32Array.from((computed.data as Float32Array).subarray(k * C, (k + 1) * C))] as [string, Float32Array],
        );
        await storage.putTeacherLogits(fresh);
        fresh.forEach(([, row], k) => {
          rows[missing[k]!] = row;
        });
      }
      const data = new Float32Array(views.length * C);
      rows.forEach((r, i) => {
        data.set(r!, i * C);
      });
      return hostTensor('float32', [views.length, C], data);
    },
  };
  return out;
}
