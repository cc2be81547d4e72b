// Teacher logits, computed once per (teacher, prompt state, image, view) and reused.
//
// The teacher is frozen during distillation, so its logits for a given view of an image never
// change: with augmentation off every epoch shows the same view and the (large) teacher runs once
// per image over the whole run; with augmentation on, the view id names the crop/flip and the
// teacher runs once per view. A new teacher or new teacher prompts change the key, never a stale hit.
import { hostTensor, type HostTensor } from '../graph/tensor.ts';

export interface ViewRef {
  imageId: string;
  /** names the augmentation applied (e.g. 'center', or 'e3:crop…:flip'); same id ⇒ same pixels */
  viewId: string;
}

export interface TeacherLogitsSource<V extends ViewRef = ViewRef> {
  /** identifies the teacher model (e.g. its weights' name and hash) */
  readonly id: string;
  /** identifies the teacher's prompts (e.g. 'zero-shot' or a hash of tuned prompts) */
  readonly promptState: string;
  readonly nClasses: number;
  /** teacher logits [M,C] for these views, in order */
  run(views: readonly V[]): Promise<HostTensor>;
}

export class TeacherLogitCache {
  private readonly rows = new Map<string, Float32Array>();
  /** how many views the teacher has been run on (one per miss) */
  teacherViews = 0;

  get size(): number {
    return this.rows.size;
  }

  /** teacher logits [B,C] for `views`, running the teacher only on views it has not seen. */
  async logits<V extends ViewRef>(source: TeacherLogitsSource<V>, views: readonly V[]): Promise<HostTensor> {
    const C = source.nClasses;
    const keys = views.map((v) => JSON.stringify([source.id, source.promptState, v.imageId, v.viewId]));
    const missing = [...new Set(keys)].filter((k) => !this.rows.has(k));
    if (missing.length > 0) {
      const missingViews = missing.map((k) => views[keys.indexOf(k)]!);
      const out = await source.run(missingViews);
      if (out.shape.length !== 2 || out.shape[0] !== missing.length || out.shape[1] !== C) {
        throw new Error(`teacher '${source.id}' returned logits [${out.shape.join(',')}] for ${missing.length} views of ${C} classes`);
      }
      this.teacherViews += missing.length;
      missing.forEach((k, i) => {
        this.rows.set(k, Float32Array.from(out.data.subarray(i * C, (i + 1) * C) as Float32Array));
      });
    }
    const data = new Float32Array(views.length * C);
    keys.forEach((k, i) => {
      data.set(this.rows.get(k)!, i * C);
    });
    return hostTensor('float32', [views.length, C], data);
  }

  clear(): void {
    this.rows.clear();
  }
}
