// promptkd.* checks: two student train steps and one eval pass against PyTorch (make_fixtures.py
// `fixture`). Every setting (n_ctx, depth, T, kd_weight, lr, momentum, weight decay, BatchNorm
// momentum/eps, widths, batch, classes) comes from the fixture's files, so any fixture of this
// layout is checked the same way.
import { halfPrecisionTower, loadClipWeights } from '../clip/weights.ts';
import { StudentSession } from '../promptkd/session.ts';
import { RUNNING_MEAN, RUNNING_VAR, trainableNames, type StudentState } from '../promptkd/state.ts';
import { next, STUDENT_LOGITS, type StudentHyper } from '../promptkd/student.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { maxRelError, type Check } from './compare.ts';
import { FixtureError, fixtureSection, type FixtureSource } from './fixture-files.ts';

/** PromptKD loss, logits, grads and params in fp32 (docs/correctness.md) */
export const PROMPTKD_TOLERANCE = 1e-4;
/**
 * The same with the student's frozen tower in float16 (docs/correctness.md): a float16 value keeps 11
 * bits (4.9e-4 relative per rounding) and the tower rounds at every op, so 40 such roundings.
 */
export const PROMPTKD_FP16_TOLERANCE = 2e-2;

export interface PromptkdCheckOptions {
  /** the student's frozen tower in float16 (RunSettings.studentFp16): checks named promptkd.fp16.* */
  studentFp16?: boolean;
  /** sees the session after both train steps (the browser harness reads its residency) */
  afterSteps?: (s: StudentSession) => void;
}

interface PromptkdMeta {
  n_ctx: number;
  depth: number;
  teacher_dim: number;
  temperature: number;
  kd_weight: number;
  logit_scale: number;
  optimizer: { kind: string; lr: number; momentum: number; weight_decay: number; nesterov: boolean; dampening: number };
  batchnorm: { momentum: number; eps: number; running_var: string };
  prompt_names: string[];
}

function readMeta(m: PromptkdMeta, file: string): PromptkdMeta {
  const num = (v: unknown, key: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FixtureError(`${file}: ${key} is ${JSON.stringify(v)}, expected a number`);
  };
  for (const k of ['n_ctx', 'depth', 'teacher_dim', 'temperature', 'kd_weight', 'logit_scale'] as const) num(m[k], k);
  for (const k of ['lr', 'momentum', 'weight_decay', 'dampening'] as const) num(m.optimizer?.[k], `optimizer.${k}`);
  for (const k of ['momentum', 'eps'] as const) num(m.batchnorm?.[k], `batchnorm.${k}`);
  const o = m.optimizer;
  if (o.kind !== 'sgd' || o.nesterov || o.dampening !== 0) {
    throw new FixtureError(
      `${file}: the student trains with plain SGD (no nesterov, dampening 0), the fixture asks for ${JSON.stringify(o)}`,
    );
  }
  if (m.batchnorm.running_var !== 'unbiased') throw new FixtureError(`${file}: only an unbiased BatchNorm running variance is supported`);
  const names = trainableNames(m.depth);
  if (JSON.stringify(m.prompt_names) !== JSON.stringify(names)) {
    throw new FixtureError(`${file}: prompt_names ${JSON.stringify(m.prompt_names)} differ from the student's ${JSON.stringify(names)}`);
  }
  return m;
}

export async function promptkdChecks(src: FixtureSource, rt: Runtime, opts: PromptkdCheckOptions = {}): Promise<Check[]> {
  const section = await fixtureSection(src, 'promptkd', ['init', 'batches', 'expected'] as const);
  if (!section) return [];
  const meta = readMeta(section.meta as PromptkdMeta, `${src.label}/promptkd/meta.json`);
  const { cfg, model, get } = section;

  const names = trainableNames(meta.depth);
  const teacherText = get('batches', 'teacher_text_features'); // [C, Dt]
  const hyper: StudentHyper = {
    nCtx: meta.n_ctx,
    depth: meta.depth,
    teacherDim: meta.teacher_dim,
    nClasses: teacherText.shape[0]!,
    temperature: meta.temperature,
    kdWeight: meta.kd_weight,
    logitScale: meta.logit_scale,
    momentum: meta.optimizer.momentum,
    weightDecay: meta.optimizer.weight_decay,
    bnMomentum: meta.batchnorm.momentum,
    bnEps: meta.batchnorm.eps,
  };
  const initial: StudentState = {
    params: new Map(names.map((n) => [n, get('init', n)])),
    // PyTorch's momentum buffer is created from the first gradient, which equals starting from zero
    momentum: new Map(names.map((n) => [n, hostTensor('float32', get('init', n).shape)])),
    runningMean: get('init', RUNNING_MEAN),
    runningVar: get('init', RUNNING_VAR),
  };
  const evalPixels = get('batches', 'pixel_values_eval');
  const vision = loadClipWeights(model, cfg, { towers: ['vision'] });
  const session = await StudentSession.create(rt, {
    clip: opts.studentFp16 ? halfPrecisionTower(vision, 'vision') : vision,
    hyper,
    batch: get('batches', 'pixel_values_1').shape[0]!,
    evalBatch: evalPixels.shape[0]!,
    teacherText,
    initial,
    emitGradients: true,
  });
  const checks: Check[] = [];
  const [prefix, tolerance] = opts.studentFp16 ? ['promptkd.fp16', PROMPTKD_FP16_TOLERANCE] : ['promptkd', PROMPTKD_TOLERANCE];
  const check = (name: string, pairs: [HostTensor, HostTensor][]) =>
    checks.push({ name: `${prefix}.${name}`, maxRelError: maxRelError(pairs, name), tolerance });
  try {
    for (const s of [1, 2]) {
      const read = [STUDENT_LOGITS, next(RUNNING_MEAN), next(RUNNING_VAR), ...names.flatMap((n) => [`${n}.grad`, next(n)])];
      const r = await session.step(get('batches', `pixel_values_${s}`), get('batches', `teacher_logits_${s}`), meta.optimizer.lr, read);
      const loss = get('expected', `loss_${s}`);
      check(`loss_${s}`, [[hostTensor('float32', loss.shape, Float32Array.of(r.loss)), loss]]);
      check(`student_logits_${s}`, [[r.outputs[STUDENT_LOGITS]!, get('expected', `student_logits_${s}`)]]);
      // a step's gradients are judged together, on the largest reference gradient of that step; params likewise
      check(
        `grads_${s}`,
        names.map((n) => [r.outputs[`${n}.grad`]!, get('expected', `grad_${s}.${n}`)]),
      );
      check(
        `params_${s}`,
        names.map((n) => [r.outputs[next(n)]!, get('expected', `param_${s}.${n}`)]),
      );
      check(`running_mean_${s}`, [[r.outputs[next(RUNNING_MEAN)]!, get('expected', `running_mean_${s}`)]]);
      check(`running_var_${s}`, [[r.outputs[next(RUNNING_VAR)]!, get('expected', `running_var_${s}`)]]);
    }
    opts.afterSteps?.(session);
    check('student_logits_eval', [[await session.evaluate(evalPixels), get('expected', 'student_logits_eval')]]);
  } finally {
    await session.release();
  }
  return checks;
}

/**
 * promptkd.fp16.*: the same steps with the student's frozen tower in float16. Not on WebGPU: an
 * adapter without shader-f16 cannot run it, and the suite is not told the adapter's features.
 */
export const promptkdFp16Checks = (src: FixtureSource, rt: Runtime): Promise<Check[]> =>
  rt.backend === 'webgpu' ? Promise.resolve([]) : promptkdChecks(src, rt, { studentFp16: true });
