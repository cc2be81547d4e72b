// Optimizer updates as graph nodes, with PyTorch's semantics (torch.optim.SGD and AdamW, single-tensor
// path). Learning rate and step count are graph inputs so that a schedule never rebuilds a session.
import { fmtShape, type Graph, GraphError, type Value } from '../graph/graph.ts';

export interface SgdArgs {
  params: readonly Value[];
  grads: readonly Value[];
  /** momentum buffers, zero before the first step; leave empty when momentum is 0 */
  buffers: readonly Value[];
  /** scalar [] of the params' dtype */
  lr: Value;
  momentum: number;
  weightDecay: number;
}

export interface AdamWArgs {
  params: readonly Value[];
  grads: readonly Value[];
  /** first and second moment estimates, zero before the first step */
  m: readonly Value[];
  v: readonly Value[];
  lr: Value;
  /** 1-based step count as a float scalar [] (bias correction needs β^step) */
  step: Value;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

function sameShapes(what: string, params: readonly Value[], others: readonly Value[]): void {
  if (others.length !== params.length) throw new GraphError(`${what}: ${others.length} given for ${params.length} params`);
  params.forEach((p, i) => {
    const o = others[i]!;
    if (o.dtype !== p.dtype || o.shape.length !== p.shape.length || o.shape.some((d, j) => d !== p.shape[j])) {
      throw new GraphError(
        `${what}: '${o.name}' ${o.dtype}${fmtShape(o.shape)} does not match param '${p.name}' ${p.dtype}${fmtShape(p.shape)}`,
      );
    }
  });
}

function scalarInput(what: string, params: readonly Value[], s: Value): void {
  if (s.shape.length !== 0 || (params[0] && s.dtype !== params[0].dtype)) {
    throw new GraphError(`${what}: '${s.name}' must be a scalar [] of the params' dtype, not ${s.dtype}${fmtShape(s.shape)}`);
  }
}

/** d = grad + wd·p;  buf = momentum·buf + d  (buf = d without momentum);  p ← p − lr·buf */
export function sgdStep(g: Graph, a: SgdArgs): { params: Value[]; buffers: Value[] } {
  sameShapes('sgdStep grads', a.params, a.grads);
  sameShapes('sgdStep buffers', a.params, a.momentum === 0 ? [] : a.buffers);
  scalarInput('sgdStep lr', a.params, a.lr);
  const params: Value[] = [],
    buffers: Value[] = [];
  a.params.forEach((p, i) => {
    const c = (x: number) => g.scalar(x, p.dtype);
    const d = a.weightDecay === 0 ? a.grads[i]! : g.add(a.grads[i]!, g.mul(p, c(a.weightDecay)));
    const buf = a.momentum === 0 ? d : g.add(g.mul(a.buffers[i]!, c(a.momentum)), d);
    if (a.momentum !== 0) buffers.push(buf);
    params.push(g.sub(p, g.mul(a.lr, buf)));
  });
  return { params, buffers };
}

/**
 * p ← p·(1 − lr·wd);  m ← m + (1−β1)(grad − m);  v ← β2·v + (1−β2)·grad²;
 * p ← p − (lr / (1 − β1^step)) · m / (√v / √(1 − β2^step) + eps)
 */
export function adamwStep(g: Graph, a: AdamWArgs): { params: Value[]; m: Value[]; v: Value[] } {
  sameShapes('adamwStep grads', a.params, a.grads);
  sameShapes('adamwStep m', a.params, a.m);
  sameShapes('adamwStep v', a.params, a.v);
  scalarInput('adamwStep lr', a.params, a.lr);
  scalarInput('adamwStep step', a.params, a.step);
  const c = (x: number) => g.scalar(x, a.lr.dtype);
  // scalars shared by every param
  const decay = g.sub(c(1), g.mul(a.lr, c(a.weightDecay)));
  const stepSize = g.div(a.lr, g.sub(c(1), g.pow(c(a.beta1), a.step)));
  const bc2Sqrt = g.sqrt(g.sub(c(1), g.pow(c(a.beta2), a.step)));
  const out = { params: [] as Value[], m: [] as Value[], v: [] as Value[] };
  a.params.forEach((p, i) => {
    const grad = a.grads[i]!;
    const decayed = a.weightDecay === 0 ? p : g.mul(p, decay);
    const m = g.add(a.m[i]!, g.mul(g.sub(grad, a.m[i]!), c(1 - a.beta1)));
    const v = g.add(g.mul(a.v[i]!, c(a.beta2)), g.mul(g.mul(grad, grad), c(1 - a.beta2)));
    const denom = g.add(g.div(g.sqrt(v), bc2Sqrt), c(a.eps));
    out.params.push(g.sub(decayed, g.mul(stepSize, g.div(m, denom))));
    out.m.push(m);
    out.v.push(v);
  });
  return out;
}
