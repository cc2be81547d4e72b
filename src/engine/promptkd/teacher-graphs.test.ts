import { describe, expect, it } from 'vitest';
import { loadFixtureClip } from '../clip/fixture-clip.testkit.ts';
import { relError, runOnOrt, toFloat32 } from '../autodiff/finite-diff.testkit.ts';
import { zeroState } from '../autodiff/train-step.ts';
import { randomData } from '../clip/random-clip.testkit.ts';
import { evaluate } from '../graph/reference.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { buildTeacherTuneStep, PROMPTSRC_LOSS, tuneBatchFeeds, tuneClassFeeds, ZS_TEXT, type TeacherTuneLoss } from './teacher-graphs.ts';
import { planTeacherPrompts, teacherPromptTemplate } from './teacher-prompts.ts';
import { classTextInputs } from './teacher-text.ts';

const { cfg, clip } = await loadFixtureClip();
const S = cfg.vision.imageSize,
  E = cfg.embedDim;

const asF64 = (t: HostTensor) => hostTensor('float64', t.shape, Float64Array.from(t.data as Float32Array));

/** unit rows [n,E] */
function unitRows(n: number, seed: number): HostTensor {
  const d = randomData(n * E, seed);
  for (let i = 0; i < n; i++) {
    const row = d.subarray(i * E, (i + 1) * E),
      inv = 1 / Math.hypot(...row);
    row.forEach((v, j) => {
      row[j] = v * inv;
    });
  }
  return hostTensor('float32', [n, E], d);
}

/**
 * The stage-1 step's gradient of every prompt against central differences of the float64 reference
 * evaluation of its loss, along a random direction per prompt tensor (which mixes all of its elements).
 */
function checkGradients(loss: TeacherTuneLoss) {
  const plan = planTeacherPrompts(cfg, { nCtx: 2, depth: 3 });
  const classes = ['cat', 'dog', 'fox'];
  const text = classTextInputs(clip, classes, teacherPromptTemplate(plan.nCtx));
  const B = 2,
    C = classes.length;
  const art = buildTeacherTuneStep(
    clip,
    plan,
    { batch: B, nClasses: C, textLength: text.ids.shape[1]! },
    loss,
    { momentum: 0.9, weightDecay: 5e-4 },
    { emitGradients: true },
  );
  const feeds: Record<string, HostTensor> = {
    ...art.frozen,
    ...zeroState(art.spec),
    ...tuneBatchFeeds(hostTensor('float32', [B, 3, S, S], randomData(B * 3 * S * S, 11)), [2, 0], C),
    ...tuneClassFeeds(text, art.graph.inputs.some((v) => v.name === ZS_TEXT) ? unitRows(C, 12) : null),
    lr: hostTensor('float32', [], Float32Array.of(0.005)),
  };
  art.trainable.forEach((name, i) => {
    const v = art.graph.inputs.find((x) => x.name === name)!;
    feeds[name] = asF64(hostTensor('float32', v.shape, randomData(v.shape[0]! * v.shape[1]!, 20 + i, 0.5)));
  });
  const grads = evaluate(
    art.graph,
    feeds,
    art.spec.params.map((p) => p.grad!),
  );
  const lossAt = (name: string, dir: Float64Array, h: number) => {
    const base = feeds[name]!.data as Float64Array;
    const moved = hostTensor(
      'float64',
      feeds[name]!.shape,
      base.map((x, i) => x + h * dir[i]!),
    );
    return (evaluate(art.graph, { ...feeds, [name]: moved }, ['loss']).loss!.data as Float64Array)[0]!;
  };
  const errors: Record<string, number> = {};
  art.spec.params.forEach((p, i) => {
    const dir = Float64Array.from(randomData(grads[p.grad!]!.data.length, 40 + i));
    const g = grads[p.grad!]!.data as Float64Array;
    const analytic = g.reduce((s, x, j) => s + x * dir[j]!, 0);
    const h = 1e-5;
    const numeric = (lossAt(p.name, dir, h) - lossAt(p.name, dir, -h)) / (2 * h);
    errors[p.name] = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-12);
    expect(Math.abs(numeric), `${p.name}: the loss must depend on it`).toBeGreaterThan(1e-6);
  });
  return { errors, art, feeds, grads };
}

describe('stage-1 teacher train step', () => {
  it('trains the text ctx, text deep, vision shallow and vision deep prompts and nothing else', () => {
    const plan = planTeacherPrompts(cfg, { nCtx: 2, depth: 3 });
    const art = buildTeacherTuneStep(clip, plan, { batch: 2, nClasses: 2, textLength: 8 }, PROMPTSRC_LOSS, {
      momentum: 0.9,
      weightDecay: 5e-4,
    });
    expect(art.trainable).toEqual([
      'prompt_learner.ctx',
      'text_encoder.transformer.resblocks.1.VPT_shallow',
      'image_encoder.VPT',
      'image_encoder.transformer.resblocks.1.VPT_shallow',
      'image_encoder.transformer.resblocks.2.VPT_shallow',
    ]);
    expect(art.spec.params.map((p) => p.name)).toEqual(art.trainable);
    expect(Object.keys(art.frozen).every((n) => n.startsWith('clip.'))).toBe(true);
  });

  it('PromptSRC loss (CE + 25·L1 text + 10·L1 image + KL zero-shot): gradients match central differences', () => {
    const { errors } = checkGradients(PROMPTSRC_LOSS);
    console.log('teacher step, PromptSRC loss, directional gradient rel. errors:', errors);
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(1e-6);
  }, 120_000);

  it('runs on onnxruntime-node in float32 with the reference gradients', async () => {
    const { art, feeds, grads } = checkGradients(PROMPTSRC_LOSS);
    const f32 = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.dtype === 'float64' ? toFloat32(t) : t]));
    const ort = await runOnOrt(art.graph, f32);
    const errors = Object.fromEntries(
      art.spec.params.map((p) => [p.name, relError(ort[p.grad!]!.data as Float32Array, grads[p.grad!]!.data as Float64Array)]),
    );
    console.log('teacher step, onnxruntime float32 vs float64 reference gradient rel. errors:', errors);
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(1e-3);
  }, 120_000);

  it('plain CE (IVLP): gradients match central differences', () => {
    const { errors } = checkGradients({ textL1Weight: 0, imageL1Weight: 0, zeroShotKl: false });
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(1e-6);
  }, 120_000);

  it('refuses a single class', () => {
    const plan = planTeacherPrompts(cfg, { nCtx: 2, depth: 1 });
    expect(() =>
      buildTeacherTuneStep(clip, plan, { batch: 2, nClasses: 1, textLength: 8 }, PROMPTSRC_LOSS, { momentum: 0.9, weightDecay: 0 }),
    ).toThrow('teacher tuning needs at least 2 classes for a cross-entropy, got 1');
  });
});
