import { describe, expect, it } from 'vitest';
import { loadFixtureClip } from '../clip/fixture-clip.testkit.ts';
import { rng } from '../random.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { PAPER_CONFIG } from './run-settings.ts';
import {
  CLASSIFIER_INPUT,
  CLASSIFIER_OUTPUT,
  deployableClassifierOnnx,
  MODEL_INPUT,
  MODEL_OUTPUT,
  studentClassifierOnnx,
} from './export-onnx.ts';
import { StudentSession } from './session.ts';
import { initStudentState } from './state.ts';
import { readStudentPrompts, writeStudentPrompts } from './student-prompts.ts';
import { studentDims, type StudentHyper } from './student.ts';

const maxDiff = (a: HostTensor, b: HostTensor) =>
  Math.max(...Array.from(a.data as Float32Array, (v, i) => Math.abs(v - (b.data as Float32Array)[i]!)));

describe('student classifier ONNX and exported prompts', () => {
  it('the baked classifier gives StudentSession.evaluate logits; exported prompts restore them', async () => {
    const { cfg, clip } = await loadFixtureClip(['vision']);
    const C = 4,
      Dt = 8;
    const hyper: StudentHyper = { ...PAPER_CONFIG, nCtx: 3, depth: 3, teacherDim: Dt, nClasses: C };
    const config = { ...PAPER_CONFIG, nCtx: 3, depth: 3, batchSize: 2 };
    const r = rng(11);
    const S = cfg.vision.imageSize,
      N = 5;
    const randn = (shape: number[]) =>
      hostTensor(
        'float32',
        shape,
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()),
      );
    const teacherText = randn([C, Dt]);
    const dims = studentDims(clip, hyper);
    const rt = createNodeRuntime();
    const session = await StudentSession.create(rt, {
      clip,
      hyper,
      batch: 2,
      evalBatch: 4,
      teacherText,
      initial: initStudentState(dims, rng(3)),
    });
    // a few steps, so prompts, projector and running stats all differ from their initial values
    for (let k = 0; k < 3; k++) await session.step(randn([2, 3, S, S]), randn([2, C]), 0.01);
    const pixels = randn([N, 3, S, S]);
    const expected = await session.evaluate(pixels);
    const state = await session.state();

    const onnx = await rt.load(studentClassifierOnnx(clip, hyper, state, teacherText, 1));
    expect(onnx.inputNames).toEqual([CLASSIFIER_INPUT]);
    const per = 3 * S * S,
      rows = new Float32Array(N * C);
    for (let i = 0; i < N; i++) {
      const one = hostTensor('float32', [1, 3, S, S], (pixels.data as Float32Array).slice(i * per, (i + 1) * per));
      rows.set((await (await onnx.run({ [CLASSIFIER_INPUT]: one }))[CLASSIFIER_OUTPUT]!.read()).data as Float32Array, i * C);
    }
    const got = hostTensor('float32', [N, C], rows);
    expect(maxDiff(got, expected)).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(expected.data as Float32Array, Math.abs))).toBeGreaterThan(1);

    const bytes = writeStudentPrompts(state, { dims, config, classes: ['a', 'b', 'c', 'd'], step: 3 });
    const back = await readStudentPrompts(new Blob([bytes]), dims);
    expect(back.info.step).toBe(3);
    expect(back.info.classes).toEqual(['a', 'b', 'c', 'd']);
    const restored = await StudentSession.create(rt, { clip, hyper, batch: 2, evalBatch: 4, teacherText, initial: back.state });
    expect(maxDiff(await restored.evaluate(pixels), expected)).toBe(0);
    await expect(readStudentPrompts(new Blob([bytes]), { ...dims, nCtx: 2 })).rejects.toThrow(/needs \[2,/);
    await onnx.release();
    await restored.release();

    // the deployable model takes any batch (a Scan over the batch-1 graph), under transformers.js' names
    const deployable = await rt.load(deployableClassifierOnnx(clip, hyper, state, teacherText, 'fp32'));
    expect(deployable.inputNames).toEqual([MODEL_INPUT]);
    for (const n of [N, 2]) {
      const px = hostTensor('float32', [n, 3, S, S], (pixels.data as Float32Array).slice(0, n * 3 * S * S));
      const out = await (await deployable.run({ [MODEL_INPUT]: px }))[MODEL_OUTPUT]!.read();
      expect(out.shape).toEqual([n, C]);
      expect(maxDiff(out, hostTensor('float32', [n, C], (expected.data as Float32Array).slice(0, n * C)))).toBeLessThan(1e-4);
    }
    await deployable.release();

    // fp16: the vision tower in float16, about half the bytes, the logits to within half precision
    const fp32Bytes = deployableClassifierOnnx(clip, hyper, state, teacherText, 'fp32').length;
    const fp16Bytes = deployableClassifierOnnx(clip, hyper, state, teacherText, 'fp16');
    const half = await rt.load(fp16Bytes);
    const halfOut = await (await half.run({ [MODEL_INPUT]: pixels }))[MODEL_OUTPUT]!.read();
    const scale = Math.max(...Array.from(expected.data as Float32Array, Math.abs));
    const err = maxDiff(halfOut, expected) / scale;
    console.log(`fp16 classifier: ${fp16Bytes.length} of ${fp32Bytes} bytes; logits within ${err.toExponential(2)} of the largest`);
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(1e-2);
    expect(fp16Bytes.length / fp32Bytes).toBeLessThan(0.55);
    await half.release();
    await session.release();
  });
});
