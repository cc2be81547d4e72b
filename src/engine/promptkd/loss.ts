// The PromptKD student head and loss as graph builders (Li et al., CVPR 2024, §3.2; official code
// trainers/promptkd.py). Everything here is the paper's maths and nothing else, so it can be read
// against it line by line:
//
//   f  = image feature of the prompted student tower                       [B,E]
//   h  = Conv1x1(E→Dt) → BatchNorm(Dt) → ReLU → Conv1x1(Dt→Dt) of f         [B,Dt]
//   s  = logitScale · (h/‖h‖) @ (t/‖t‖)ᵀ, t = teacher text features        [B,C]
//   L  = kdWeight · T² / (B·C) · Σ KL(softmax(t_logits/T) ‖ softmax(s/T))   []
import type { Graph, Value } from '../graph/graph.ts';
import { GraphError, fmtShape } from '../graph/graph.ts';
import { l2Normalize } from '../clip/model.ts';

/** The projector `VPT_image_trans.conv1`; conv weights keep PyTorch's [out,in,1,1] layout. */
export interface ProjectorParams {
  conv0Weight: Value; // [Dt,E,1,1]
  conv0Bias: Value; //   [Dt]
  bnWeight: Value; //    [Dt]
  bnBias: Value; //      [Dt]
  conv3Weight: Value; // [Dt,Dt,1,1]
  conv3Bias: Value; //   [Dt]
}

export interface BatchNormRunning {
  mean: Value; // [Dt]
  var: Value; //  [Dt]
}

/**
 * train: normalise with the batch statistics and return the running statistics updated as
 * PyTorch does (momentum-weighted; the variance in the running estimate is the unbiased one).
 * eval: normalise with the running statistics.
 */
export type BatchNormMode =
  | { mode: 'train'; running: BatchNormRunning; momentum: number; eps: number }
  | { mode: 'eval'; running: BatchNormRunning; eps: number };

/** A 1×1 convolution on a [B,in,1,1] map is a Linear: x [B,in] @ W[out,in]ᵀ + b → [B,out]. */
export function conv1x1(g: Graph, x: Value, weight: Value, bias: Value): Value {
  const [out, inp, kh, kw] = weight.shape;
  if (weight.shape.length !== 4 || kh !== 1 || kw !== 1 || x.shape[1] !== inp || bias.shape.length !== 1 || bias.shape[0] !== out) {
    throw new GraphError(
      `conv1x1: weight ${fmtShape(weight.shape)} and bias ${fmtShape(bias.shape)} do not map features ${fmtShape(x.shape)}`,
    );
  }
  const wT = g.transpose(g.reshape(weight, [out!, inp!]), [1, 0]); // [in,out]
  return g.linear(x, wT, bias);
}

/** BatchNorm1d over the batch axis of x [B,D]; `running` is set in train mode only. */
export function batchNorm(g: Graph, x: Value, weight: Value, bias: Value, bn: BatchNormMode): { y: Value; running?: BatchNormRunning } {
  const [n, d] = x.shape as [number, number];
  const eps = g.scalar(bn.eps, x.dtype);
  if (bn.mode === 'eval') {
    const xhat = g.div(g.sub(x, bn.running.mean), g.sqrt(g.add(bn.running.var, eps)));
    return { y: g.add(g.mul(xhat, weight), bias) };
  }
  if (n < 2) throw new GraphError(`batchNorm: train mode needs at least 2 samples for a variance, got batch ${n}`);
  const mean = g.reduceMean(x, [0], true); //                 [1,D]
  const centred = g.sub(x, mean); //                          [B,D]
  const biasedVar = g.reduceMean(g.mul(centred, centred), [0], true); // [1,D]
  const xhat = g.div(centred, g.sqrt(g.add(biasedVar, eps)));
  const y = g.add(g.mul(xhat, weight), bias);

  const m = g.scalar(bn.momentum, x.dtype);
  const keep = g.scalar(1 - bn.momentum, x.dtype);
  const unbiasedVar = g.mul(g.reshape(biasedVar, [d]), g.scalar(n / (n - 1), x.dtype));
  const running = {
    mean: g.add(g.mul(bn.running.mean, keep), g.mul(g.reshape(mean, [d]), m)),
    var: g.add(g.mul(bn.running.var, keep), g.mul(unbiasedVar, m)),
  };
  return { y, running };
}

/** The projector on the un-normalised image feature: f [B,E] → [B,Dt]. */
export function projector(g: Graph, feature: Value, p: ProjectorParams, bn: BatchNormMode): { out: Value; running?: BatchNormRunning } {
  const h0 = conv1x1(g, feature, p.conv0Weight, p.conv0Bias);
  const { y, running } = batchNorm(g, h0, p.bnWeight, p.bnBias, bn);
  const out = conv1x1(g, g.relu(y), p.conv3Weight, p.conv3Bias);
  return running ? { out, running } : { out };
}

/**
 * logitScale · norm(features) @ norm(teacherText)ᵀ: features [B,Dt], teacherText [C,Dt] → [B,C].
 * The teacher text features are normalised here too, so a caller passing raw ones is still right.
 */
export function cosineLogits(g: Graph, features: Value, teacherText: Value, logitScale: number): Value {
  if (features.shape[1] !== teacherText.shape[1]) {
    throw new GraphError(
      `student features ${fmtShape(features.shape)} and teacher text features ${fmtShape(teacherText.shape)} differ in width`,
    );
  }
  const sims = g.matmul(l2Normalize(g, features), g.transpose(l2Normalize(g, teacherText), [1, 0]));
  return g.mul(sims, g.scalar(logitScale, features.dtype));
}

export interface KdLossConfig {
  temperature: number;
  kdWeight: number;
}

/**
 * kl_div(log_softmax(s/T), softmax(t/T), reduction='sum') · T² / numel(s) · kdWeight → [] .
 * Forward KL from the teacher's distribution; dividing by B·C (not B) is the official code's choice.
 */
export function kdLoss(g: Graph, studentLogits: Value, teacherLogits: Value, cfg: KdLossConfig): Value {
  if (studentLogits.shape.join() !== teacherLogits.shape.join()) {
    throw new GraphError(
      `kdLoss: student logits ${fmtShape(studentLogits.shape)} and teacher logits ${fmtShape(teacherLogits.shape)} differ`,
    );
  }
  const invT = g.scalar(1 / cfg.temperature, studentLogits.dtype);
  const logPs = g.logSoftmax(g.mul(studentLogits, invT), -1);
  const logPt = g.logSoftmax(g.mul(teacherLogits, invT), -1);
  const pt = g.exp(logPt);
  const kl = g.reduceSum(
    g.mul(pt, g.sub(logPt, logPs)),
    studentLogits.shape.map((_, i) => i),
    false,
  );
  const numel = studentLogits.shape.reduce((a, b) => a * b, 1);
  return g.mul(kl, g.scalar((cfg.temperature * cfg.temperature * cfg.kdWeight) / numel, studentLogits.dtype));
}
