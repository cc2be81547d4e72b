// The loop over the real student session on the fixture's tiny CLIP: resuming from a checkpoint
// continues the same trajectory, and the teacher runs once per image when augmentation is off.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFixtureClip } from '../clip/fixture-clip.testkit.ts';
import type { ClipWeights } from '../clip/weights.ts';
import { rng } from '../random.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import type { DistillConfig } from './config.ts';
import { PAPER_CONFIG } from './run-settings.ts';
import { Distiller, type TrainImages, type TrainView } from './distill.ts';
import { StudentSession } from './session.ts';
import { initStudentState, type StudentState } from './state.ts';
import { studentDims, type StudentHyper } from './student.ts';
import { TeacherLogitCache, type TeacherLogitsSource } from './teacher-cache.ts';

const C = 5,
  Dt = 12,
  N = 7;
const config: DistillConfig = { ...PAPER_CONFIG, nCtx: 2, depth: 2, batchSize: 3, epochs: 3, lr: 0.01, augment: false, seed: 42 };
const hyper: StudentHyper = { ...config, teacherDim: Dt, nClasses: C };

let clip: ClipWeights;
let S: number;
beforeAll(async () => {
  ({ clip } = await loadFixtureClip(['vision']));
  S = clip.config.vision.imageSize;
});

/** pixels that depend only on the image index */
const images = (): TrainImages => ({
  ids: Array.from({ length: N }, (_, i) => `img${i}.png`),
  async pixels(views: readonly TrainView[]) {
    const per = 3 * S * S,
      data = new Float32Array(views.length * per);
    views.forEach((v, b) => {
      const r = rng(1000 + v.index);
      for (let i = 0; i < per; i++) data[b * per + i] = r.normal();
    });
    return hostTensor('float32', [views.length, 3, S, S], data);
  },
});

function teacher(): TeacherLogitsSource<TrainView> & { calls: number } {
  return {
    id: 'fake',
    promptState: 'zero-shot',
    nClasses: C,
    calls: 0,
    async run(views) {
      this.calls += views.length;
      const data = new Float32Array(views.length * C);
      views.forEach((v, b) => {
        const r = rng(2000 + v.index);
        for (let c = 0; c < C; c++) data[b * C + c] = 10 * r.normal();
      });
      return hostTensor('float32', [views.length, C], data);
    },
  };
}

/** the teacher behind its logit cache, as a job uses it */
const cached = (source: TeacherLogitsSource<TrainView>) => {
  const cache = new TeacherLogitCache();
  return (views: readonly TrainView[]) => cache.logits(source, views);
};

const text = (): HostTensor => {
  const r = rng(7);
  return hostTensor(
    'float32',
    [C, Dt],
    Float32Array.from({ length: C * Dt }, () => r.normal()),
  );
};

async function session(initial: StudentState) {
  return StudentSession.create(createNodeRuntime(), { clip, hyper, batch: config.batchSize, evalBatch: 4, teacherText: text(), initial });
}

describe('Distiller', () => {
  it('resumed from a checkpoint after 2 steps, 2 more steps equal 4 straight steps', async () => {
    const init = () => initStudentState(studentDims(clip, hyper), rng(config.seed));

    const straight = await session(init());
    const d1 = new Distiller(config, straight, cached(teacher()), images());
    const lossA: number[] = [];
    await d1.run(0, 4, {
      onStep: (p) => {
        lossA.push(p.loss);
      },
    });
    const a = await straight.state();

    const first = await session(init());
    const lossB: number[] = [];
    const d2 = new Distiller(config, first, cached(teacher()), images());
    expect(
      await d2.run(0, 2, {
        onStep: (p) => {
          lossB.push(p.loss);
        },
      }),
    ).toBe(2);
    const bytes = writeCheckpoint(await first.state(), { step: 2, epoch: 1, seed: config.seed, dims: studentDims(clip, hyper), config });
    await first.release();

    // a new process: everything rebuilt from the checkpoint file
    const { state, info } = await readCheckpoint(new Blob([bytes]), studentDims(clip, hyper));
    const resumed = await session(state);
    const d3 = new Distiller(info.config, resumed, cached(teacher()), images());
    await d3.run(info.step, 4, {
      onStep: (p) => {
        lossB.push(p.loss);
      },
    });
    const b = await resumed.state();

    expect(lossB).toEqual(lossA);
    for (const [n, t] of a.params) expect(Array.from(b.params.get(n)!.data as Float32Array), n).toEqual(Array.from(t.data as Float32Array));
    for (const [n, t] of a.momentum)
      expect(Array.from(b.momentum.get(n)!.data as Float32Array), n).toEqual(Array.from(t.data as Float32Array));
    expect(Array.from(b.runningVar.data as Float32Array)).toEqual(Array.from(a.runningVar.data as Float32Array));
    // the run moved: step 4 is in epoch 1, at the full learning rate
    expect(a.params.get('image_encoder.VPT')!.data).not.toEqual(init().params.get('image_encoder.VPT')!.data);
    await straight.release();
    await resumed.release();
  });

  it('shuffles each epoch from (seed, epoch), drops the last partial batch, and runs the teacher once per image', async () => {
    const s = await session(initStudentState(studentDims(clip, hyper), rng(1)));
    const t = teacher();
    const d = new Distiller(config, s, cached(t), images());
    expect([d.stepsPerEpoch, d.totalSteps]).toEqual([2, 6]);
    const e0 = d.epochOrder(0),
      e1 = d.epochOrder(1);
    expect([...e0].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(e1).not.toEqual(e0);
    expect(new Distiller(config, s, cached(t), images()).epochOrder(1)).toEqual(e1);
    const epochs: number[] = [];
    await d.run(0, d.totalSteps, {
      onEpochEnd: (e) => {
        epochs.push(e);
      },
    });
    expect(epochs).toEqual([0, 1, 2]);
    const seen = new Set([0, 1, 2].flatMap((e) => d.epochOrder(e).slice(0, 6)));
    expect(t.calls).toBe(seen.size); // one teacher pass per distinct image over all 3 epochs
    expect(t.calls).toBeLessThanOrEqual(N);
    await s.release();
  });
});
