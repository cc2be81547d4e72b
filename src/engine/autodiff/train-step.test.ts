// Train-step artifacts on onnxruntime-node (float32) against a float64 reference trajectory: the
// reference evaluates the gradient graph in float64 (cross-checked by finite differences at step 1)
// and applies the optimizer written out plainly below.
import { describe, expect, it } from 'vitest';
import { Graph, type DType } from '../graph/graph.ts';
import { evaluate } from '../graph/reference.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { gradients } from './grad.ts';
import { attentionClassifier, mlp, type TestModel } from './models.testkit.ts';
import { finiteDifference, maxAbs, maxAbsDiff, relError, rng, toFloat32, toFloat64 } from './finite-diff.testkit.ts';
import { buildTrainStep, zeroState, type OptimizerConfig } from './train-step.ts';

const STEPS = 5;
type Build = (g: Graph, dtype: DType) => TestModel;
/** per step: output name → values */
type Trajectory = Record<string, Float64Array>[];

const sgd: OptimizerConfig = { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 };
const adamw: OptimizerConfig = { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
const lrs = { sgd: [0.05, 0.04, 0.03, 0.02, 0.01], adamw: [1e-2, 8e-3, 6e-3, 4e-3, 2e-3] };

/** initial params/frozen weights and one batch per step, all exactly representable in float32 */
function data(build: Build, seed: number) {
  const rand = rng(seed);
  const m = build(new Graph(), 'float64');
  const round = (f: Record<string, HostTensor>) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, toFloat64(toFloat32(t))]));
  const initial = round(m.initial(rand));
  const batches = Array.from({ length: STEPS }, () => {
    const fresh = round(m.initial(rand));
    return Object.fromEntries(m.batch.map((v) => [v.name, fresh[v.name]!]));
  });
  return { initial, batches };
}

const f64 = (t: HostTensor) => Float64Array.from(t.data as Float64Array);

/** PyTorch's SGD and AdamW, one tensor at a time, in float64 */
function referenceUpdate(
  opt: OptimizerConfig,
  lr: number,
  step: number,
  p: Float64Array,
  grad: Float64Array,
  state: Float64Array[],
): Float64Array {
  const next = new Float64Array(p.length);
  if (opt.kind === 'sgd') {
    const [buf] = state as [Float64Array];
    for (let i = 0; i < p.length; i++) {
      const d = grad[i]! + opt.weightDecay * p[i]!;
      buf[i] = step === 1 ? d : opt.momentum * buf[i]! + d;
      next[i] = p[i]! - lr * buf[i]!;
    }
  } else {
    const [m, v] = state as [Float64Array, Float64Array];
    const bc1 = 1 - opt.beta1 ** step,
      bc2 = 1 - opt.beta2 ** step;
    for (let i = 0; i < p.length; i++) {
      const decayed = p[i]! * (1 - lr * opt.weightDecay);
      m[i] = opt.beta1 * m[i]! + (1 - opt.beta1) * grad[i]!;
      v[i] = opt.beta2 * v[i]! + (1 - opt.beta2) * grad[i]! ** 2;
      next[i] = decayed - (lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + opt.eps);
    }
  }
  return next;
}

function referenceTrajectory(build: Build, opt: OptimizerConfig, d: ReturnType<typeof data>) {
  const g = new Graph('reference');
  const m = build(g, 'float64');
  gradients(g, m.loss, m.trainable).forEach((grad, i) => {
    g.output(`${m.trainable[i]!.name}.grad`, grad);
  });
  g.output('loss', m.loss);
  const stateNames = opt.kind === 'sgd' ? ['momentum'] : ['adam_m', 'adam_v'];
  const params = new Map<string, Float64Array>(m.trainable.map((p) => [p.name, f64(d.initial[p.name]!)]));
  const state = new Map(m.trainable.map((p) => [p.name, stateNames.map(() => new Float64Array(params.get(p.name)!.length))]));
  const trajectory: Trajectory = [];
  let fdError = 0;
  for (let step = 1; step <= STEPS; step++) {
    const feeds = {
      ...d.initial,
      ...d.batches[step - 1]!,
      ...Object.fromEntries([...params].map(([k, v]) => [k, hostTensor('float64', d.initial[k]!.shape, v)])),
    };
    const r = evaluate(g, feeds);
    const record: Record<string, Float64Array> = { loss: f64(r.loss!) };
    for (const p of m.trainable) {
      const grad = f64(r[`${p.name}.grad`]!);
      if (step === 1) fdError = Math.max(fdError, relError(grad, finiteDifference(g, feeds, 'loss', p.name)));
      const next = referenceUpdate(opt, lrs[opt.kind][step - 1]!, step, params.get(p.name)!, grad, state.get(p.name)!);
      params.set(p.name, next);
      record[`${p.name}.grad`] = grad;
      record[`${p.name}.next`] = next;
      stateNames.forEach((s, i) => {
        record[`${p.name}.${s}.next`] = Float64Array.from(state.get(p.name)![i]!);
      });
    }
    trajectory.push(record);
  }
  return { trajectory, fdError };
}

async function onnxTrajectory(build: Build, opt: OptimizerConfig, d: ReturnType<typeof data>): Promise<Trajectory> {
  const g = new Graph('train_step');
  const m = build(g, 'float32');
  const spec = buildTrainStep(g, { loss: m.loss, trainable: m.trainable, optimizer: opt, emitGradients: true });
  const session = await createNodeRuntime().load(g);
  const feeds: Record<string, HostTensor> = {
    ...Object.fromEntries(Object.entries(d.initial).map(([k, t]) => [k, toFloat32(t)])),
    ...Object.fromEntries(Object.entries(zeroState(spec)).map(([k, t]) => [k, toFloat32(t)])),
  };
  const trajectory: Trajectory = [];
  for (let step = 1; step <= STEPS; step++) {
    for (const [k, t] of Object.entries(d.batches[step - 1]!)) feeds[k] = toFloat32(t);
    feeds.lr = hostTensor('float32', [], Float32Array.of(lrs[opt.kind][step - 1]!));
    if (spec.step) feeds[spec.step] = hostTensor('float32', [], Float32Array.of(step));
    const out = await session.run(feeds);
    const record: Record<string, Float64Array> = {};
    for (const [k, t] of Object.entries(out)) record[k] = Float64Array.from((await t.read()).data as Float32Array);
    for (const c of spec.carry) feeds[c.to] = hostTensor('float32', feeds[c.to]!.shape, Float32Array.from(record[c.from]!));
    trajectory.push(record);
  }
  await session.release();
  return trajectory;
}

const kindOf = (name: string) =>
  name === 'loss'
    ? 'loss'
    : name.endsWith('.grad')
      ? 'grads'
      : /\.(momentum|adam_m|adam_v)\.next$/.test(name)
        ? 'optimizer state'
        : 'params';

/** max|ours − ref| / max|ref| over every tensor and step of a kind */
function errorsByKind(ours: Trajectory, ref: Trajectory): Record<string, number> {
  const diff: Record<string, number> = {},
    scale: Record<string, number> = {};
  ref.forEach((record, step) => {
    for (const [name, r] of Object.entries(record)) {
      const k = kindOf(name);
      const o = ours[step]![name];
      if (!o) throw new Error(`the train step has no output '${name}'`);
      diff[k] = Math.max(diff[k] ?? 0, maxAbsDiff(o, r));
      scale[k] = Math.max(scale[k] ?? 0, maxAbs(r));
    }
  });
  return Object.fromEntries(Object.keys(diff).map((k) => [k, diff[k]! / Math.max(scale[k]!, 1e-12)]));
}

const models: [string, Build][] = [
  ['2-layer MLP', mlp],
  ['single-head attention block', (g, dtype) => attentionClassifier(g, dtype, 1)],
  ['multi-head attention block', (g, dtype) => attentionClassifier(g, dtype, 2)],
];

describe(`train step on onnxruntime-node (float32) vs float64 reference, ${STEPS} steps`, () => {
  for (const [name, build] of models) {
    for (const opt of [sgd, adamw]) {
      it(`${name}, ${opt.kind}`, async () => {
        const d = data(build, name.length * 31 + opt.kind.length);
        const ref = referenceTrajectory(build, opt, d);
        const ours = await onnxTrajectory(build, opt, d);
        const errors = errorsByKind(ours, ref.trajectory);
        const losses = ref.trajectory.map((r) => r.loss![0]!.toFixed(5)).join(' → ');
        console.log(
          `${name}, ${opt.kind}: loss ${losses}; gradient vs finite differences ${ref.fdError.toExponential(2)}; ` +
            Object.entries(errors)
              .map(([k, e]) => `${k} ${e.toExponential(2)}`)
              .join(', '),
        );
        expect(ref.fdError).toBeLessThan(1e-6);
        expect(Object.keys(errors).sort()).toEqual(['grads', 'loss', 'optimizer state', 'params']);
        for (const [kind, e] of Object.entries(errors)) expect(e, kind).toBeLessThanOrEqual(1e-5);
      });
    }
  }
});
