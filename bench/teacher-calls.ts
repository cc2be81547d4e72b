// How many images the teacher labels in one distillation run, with and without the logit cache,
// counted through the real Distiller and TeacherLogitCache (and a real student session stepping on
// the given runtime); only the teacher is replaced, by a source that counts what it is asked for.
//
// "Without the cache" is the same cache emptied after every step: each step then asks the teacher
// for its whole batch, as a loop without a cache would.
import type { ClipWeights } from '../src/engine/clip/weights.ts';
import type { DistillConfig } from '../src/engine/promptkd/config.ts';
import { Distiller, type TrainImages, type TrainView } from '../src/engine/promptkd/distill.ts';
import { StudentSession } from '../src/engine/promptkd/session.ts';
import { initStudentState } from '../src/engine/promptkd/state.ts';
import { studentDims, type StudentHyper } from '../src/engine/promptkd/student.ts';
import { TeacherLogitCache, type TeacherLogitsSource } from '../src/engine/promptkd/teacher-cache.ts';
import { rng } from '../src/engine/random.ts';
import type { Runtime } from '../src/engine/runtime/runtime.ts';
import { hostTensor } from '../src/engine/graph/tensor.ts';
import { randomTensor } from './geometry.ts';

export interface TeacherCount {
  /** images (views) the teacher computed logits for */
  teacherImages: number;
  /** teacher calls (one per step that had a cache miss) */
  teacherCalls: number;
  steps: number;
}

export interface TeacherCallsOptions {
  rt: Runtime;
  clip: ClipWeights;
  hyper: StudentHyper;
  config: DistillConfig;
  /** unlabeled training images */
  images: number;
  cache: boolean;
}

export async function countTeacherCalls(o: TeacherCallsOptions): Promise<TeacherCount> {
  const C = o.hyper.nClasses,
    S = o.clip.config.vision.imageSize,
    B = o.config.batchSize;
  const count = { teacherImages: 0, teacherCalls: 0 };
  const teacher: TeacherLogitsSource<TrainView> = {
    id: 'counting-teacher',
    promptState: 'zero-shot',
    nClasses: C,
    run: async (views) => {
      count.teacherCalls++;
      count.teacherImages += views.length;
      return hostTensor('float32', [views.length, C]); // [M,C]
    },
  };
  const batchPixels = randomTensor([B, 3, S, S], 21); // the student's arithmetic does not depend on which images
  const images: TrainImages = {
    ids: Array.from({ length: o.images }, (_, i) => `train/${i}.png`),
    pixels: async () => batchPixels,
  };
  const session = await StudentSession.create(o.rt, {
    clip: o.clip,
    hyper: o.hyper,
    batch: B,
    evalBatch: B,
    teacherText: randomTensor([C, o.hyper.teacherDim], 22),
    initial: initStudentState(studentDims(o.clip, o.hyper), rng(23)),
  });
  try {
    const cache = new TeacherLogitCache();
    const distiller = new Distiller(o.config, session, (views) => cache.logits(teacher, views), images);
    const steps = await distiller.run(0, distiller.totalSteps, o.cache ? {} : { onStep: () => cache.clear() });
    return { ...count, steps };
  } finally {
    await session.release();
  }
}
