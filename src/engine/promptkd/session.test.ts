import { describe, expect, it } from 'vitest';
import { loadFixtureClip } from '../clip/fixture-clip.testkit.ts';
import { rng } from '../random.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor } from '../graph/tensor.ts';
import { PAPER_CONFIG } from './run-settings.ts';
import { StudentSession } from './session.ts';
import { initStudentState } from './state.ts';
import { studentDims, type StudentHyper } from './student.ts';

describe('StudentSession', () => {
  it('evaluates in padded chunks exactly as in one batch, and names a wrong teacher width', async () => {
    const { cfg, clip } = await loadFixtureClip(['vision']);
    const hyper: StudentHyper = { ...PAPER_CONFIG, nCtx: 3, depth: 3, teacherDim: 8, nClasses: 4 };
    const r = rng(5);
    const S = cfg.vision.imageSize,
      N = 7;
    const teacherText = hostTensor(
      'float32',
      [4, 8],
      Float32Array.from({ length: 32 }, () => r.normal()),
    );
    const pixels = hostTensor(
      'float32',
      [N, 3, S, S],
      Float32Array.from({ length: N * 3 * S * S }, () => r.normal()),
    );
    const initial = initStudentState(studentDims(clip, hyper), rng(9));
    const rt = createNodeRuntime();
    const chunked = await StudentSession.create(rt, { clip, hyper, batch: 2, evalBatch: 3, teacherText, initial });
    const whole = await StudentSession.create(rt, { clip, hyper, batch: 2, evalBatch: N, teacherText, initial });
    const a = await chunked.evaluate(pixels),
      b = await whole.evaluate(pixels);
    expect(a.shape).toEqual([N, 4]);
    const diff = Math.max(...Array.from(a.data as Float32Array, (v, i) => Math.abs(v - (b.data as Float32Array)[i]!)));
    expect(diff).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(a.data as Float32Array, Math.abs))).toBeGreaterThan(1); // cosine logits × 100, not padding zeros
    await chunked.release();
    await whole.release();
    await expect(
      StudentSession.create(rt, { clip, hyper, batch: 2, evalBatch: 3, teacherText: hostTensor('float32', [4, 6]), initial }),
    ).rejects.toThrow('teacher text features are [4,6] but the student expects [4,8] (classes × teacher width)');
  });
});
