// The student's trainable state under the names of the official PromptKD state dict, so a
// checkpoint reads like one from trainers/promptkd.py: deep visual prompts, the projector
// `VPT_image_trans.conv1` (conv weights [out,in,1,1]), SGD momentum buffers and BatchNorm running stats.
import type { Rng } from '../random.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';

export const VPT = 'image_encoder.VPT';
export const vptShallow = (block: number): string => `image_encoder.transformer.resblocks.${block}.VPT_shallow`;
export const PROJECTOR = {
  conv0Weight: 'VPT_image_trans.conv1.0.weight',
  conv0Bias: 'VPT_image_trans.conv1.0.bias',
  bnWeight: 'VPT_image_trans.conv1.1.weight',
  bnBias: 'VPT_image_trans.conv1.1.bias',
  conv3Weight: 'VPT_image_trans.conv1.3.weight',
  conv3Bias: 'VPT_image_trans.conv1.3.bias',
} as const;
export const RUNNING_MEAN = 'VPT_image_trans.conv1.1.running_mean';
export const RUNNING_VAR = 'VPT_image_trans.conv1.1.running_var';
export const momentumName = (param: string): string => `${param}.momentum`;

/** What fixes the shapes of the student's trainable tensors. */
export interface StudentDims {
  /** prompt tokens per layer */
  nCtx: number;
  /** prompted layers: the input prompts plus blocks 1 … depth−1 */
  depth: number;
  /** student vision width and embedding width (the projector's input) */
  width: number;
  embedDim: number;
  /** teacher embedding width (the projector's output) */
  teacherDim: number;
}

/** Trainable tensor names in PromptKD's order: prompts, then projector. */
export function trainableNames(depth: number): string[] {
  return [VPT, ...Array.from({ length: depth - 1 }, (_, i) => vptShallow(i + 1)), ...Object.values(PROJECTOR)];
}

export function trainableShapes(d: StudentDims): Map<string, number[]> {
  const out = new Map<string, number[]>();
  out.set(VPT, [d.nCtx, d.width]);
  for (let i = 1; i < d.depth; i++) out.set(vptShallow(i), [d.nCtx, d.width]);
  const t = d.teacherDim;
  out
    .set(PROJECTOR.conv0Weight, [t, d.embedDim, 1, 1])
    .set(PROJECTOR.conv0Bias, [t])
    .set(PROJECTOR.bnWeight, [t])
    .set(PROJECTOR.bnBias, [t])
    .set(PROJECTOR.conv3Weight, [t, t, 1, 1])
    .set(PROJECTOR.conv3Bias, [t]);
  return out;
}

/** Host copy of everything a run carries from step to step. */
export interface StudentState {
  params: Map<string, HostTensor>; // by trainableNames
  momentum: Map<string, HostTensor>; // by the same names (PyTorch's buffer starts at 0 ≡ "first grad")
  runningMean: HostTensor; // [Dt]
  runningVar: HostTensor; //  [Dt]
}

/**
 * A fresh student as PromptKD makes one: prompts ~ N(0, 0.02²); convs with PyTorch's default init
 * (weight and bias ~ U(±1/√fan_in)); BatchNorm weight 1, bias 0, running mean 0, running var 1.
 */
export function initStudentState(d: StudentDims, random: Rng): StudentState {
  const shapes = trainableShapes(d);
  const fill = (shape: number[], f: () => number) =>
    hostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f));
  const params = new Map<string, HostTensor>();
  const uniform = (fanIn: number) => () => random.uniform(-1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  for (const [name, shape] of shapes) {
    if (name === VPT || name.endsWith('.VPT_shallow'))
      params.set(
        name,
        fill(shape, () => 0.02 * random.normal()),
      );
  }
  const t = d.teacherDim;
  params.set(PROJECTOR.conv0Weight, fill([t, d.embedDim, 1, 1], uniform(d.embedDim)));
  params.set(PROJECTOR.conv0Bias, fill([t], uniform(d.embedDim)));
  params.set(
    PROJECTOR.bnWeight,
    fill([t], () => 1),
  );
  params.set(
    PROJECTOR.bnBias,
    fill([t], () => 0),
  );
  params.set(PROJECTOR.conv3Weight, fill([t, t, 1, 1], uniform(t)));
  params.set(PROJECTOR.conv3Bias, fill([t], uniform(t)));
  return {
    params: new Map(trainableNames(d.depth).map((n) => [n, params.get(n)!])),
    momentum: new Map([...shapes].map(([n, s]) => [n, hostTensor('float32', s)])),
    runningMean: hostTensor('float32', [t]),
    runningVar: fill([t], () => 1),
  };
}
