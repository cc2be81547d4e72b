// A train-step artifact: one ONNX graph that maps (batch, frozen weights, params, optimizer state,
// lr[, step]) to (loss, next params, next optimizer state[, grads, extra outputs]).
//
// The runtime loop feeds each `carry.from` output back as the `carry.to` input of the next step, so
// params and state can stay on the device; only `loss` (and the extras) need reading back.
import { type Graph, GraphError, type DType, type Shape, type Value } from '../graph/graph.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { gradients } from './grad.ts';
import { adamwStep, sgdStep } from './optim.ts';

export type OptimizerConfig =
  | { kind: 'sgd'; momentum: number; weightDecay: number }
  | { kind: 'adamw'; beta1: number; beta2: number; eps: number; weightDecay: number };

export interface TrainStepOptions {
  /** the scalar loss ([] or [1]) already built in the graph */
  loss: Value;
  /** graph inputs to train, as Values or by name */
  trainable: readonly (Value | string)[];
  optimizer: OptimizerConfig;
  /** more values to output under the given names (metrics, logits) */
  extraOutputs?: Readonly<Record<string, Value>>;
  /** also output `<param>.grad` */
  emitGradients?: boolean;
}

export interface TrainStepParam {
  name: string;
  dtype: DType;
  shape: Shape;
  /** output with the updated param */
  next: string;
  /** output with dLoss/dParam, when emitGradients was set */
  grad?: string;
  /** optimizer state inputs (zero before the first step) and the outputs that update them */
  state: { input: string; next: string }[];
}

export interface TrainStepSpec {
  loss: 'loss';
  /** scalar [] input of the params' dtype */
  lr: 'lr';
  /** AdamW only: the 1-based step count as a float scalar [] input */
  step?: 'step';
  optimizer: OptimizerConfig;
  params: TrainStepParam[];
  /** output → input pairs to feed back between steps (params and optimizer state) */
  carry: { from: string; to: string }[];
  extraOutputs: string[];
}

function resolveTrainable(g: Graph, t: Value | string): Value {
  if (typeof t === 'string') {
    const v = g.inputs.find((x) => x.name === t);
    if (!v) throw new GraphError(`unknown trainable input '${t}'; inputs are ${g.inputs.map((x) => `'${x.name}'`).join(', ')}`);
    return v;
  }
  if (!g.inputs.includes(t))
    throw new GraphError(`trainable '${t.name}' must be an input of graph '${g.name}' (its next value is fed back)`);
  return t;
}

/** Append gradients, the optimizer update and the outputs to `g` (which is changed in place). */
export function buildTrainStep(g: Graph, opts: TrainStepOptions): TrainStepSpec {
  const params = opts.trainable.map((t) => resolveTrainable(g, t));
  if (params.length === 0) throw new GraphError('buildTrainStep: no trainable inputs');
  const dtype = params[0]!.dtype;
  const odd = params.find((p) => p.dtype !== dtype);
  if (odd) throw new GraphError(`buildTrainStep: trainables mix ${dtype} and ${odd.dtype} ('${odd.name}')`);

  const grads = gradients(g, opts.loss, params);
  const lr = g.input('lr', dtype, []);
  const stateInput = (suffix: string) => params.map((p) => g.input(`${p.name}.${suffix}`, p.dtype, p.shape));
  const opt = opts.optimizer;
  let next: Value[], state: { inputs: Value[]; next: Value[] }[], step: Value | undefined;
  if (opt.kind === 'sgd') {
    const buffers = opt.momentum === 0 ? [] : stateInput('momentum');
    const r = sgdStep(g, { params, grads, buffers, lr, momentum: opt.momentum, weightDecay: opt.weightDecay });
    next = r.params;
    state = opt.momentum === 0 ? [] : [{ inputs: buffers, next: r.buffers }];
  } else {
    step = g.input('step', dtype, []);
    const m = stateInput('adam_m'),
      v = stateInput('adam_v');
    const r = adamwStep(g, { params, grads, m, v, lr, step, ...opt });
    next = r.params;
    state = [
      { inputs: m, next: r.m },
      { inputs: v, next: r.v },
    ];
  }

  g.output('loss', opts.loss);
  const spec: TrainStepSpec = {
    loss: 'loss',
    lr: 'lr',
    ...(step ? { step: 'step' as const } : {}),
    optimizer: opt,
    params: [],
    carry: [],
    extraOutputs: Object.keys(opts.extraOutputs ?? {}),
  };
  params.forEach((p, i) => {
    const entry: TrainStepParam = { name: p.name, dtype: p.dtype, shape: p.shape, next: `${p.name}.next`, state: [] };
    g.output(entry.next, next[i]!);
    spec.carry.push({ from: entry.next, to: p.name });
    for (const s of state) {
      const input = s.inputs[i]!.name,
        out = `${input}.next`;
      g.output(out, s.next[i]!);
      entry.state.push({ input, next: out });
      spec.carry.push({ from: out, to: input });
    }
    if (opts.emitGradients) {
      entry.grad = `${p.name}.grad`;
      g.output(entry.grad, grads[i]!);
    }
    spec.params.push(entry);
  });
  for (const [name, v] of Object.entries(opts.extraOutputs ?? {})) g.output(name, v);
  return spec;
}

/** Zero optimizer state for every param of `spec`, keyed by input name (what step 1 is fed). */
export function zeroState(spec: TrainStepSpec): Record<string, HostTensor> {
  return Object.fromEntries(spec.params.flatMap((p) => p.state.map((s) => [s.input, hostTensor(p.dtype, p.shape)])));
}
