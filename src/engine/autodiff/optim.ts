// Optimizer updates as graph nodes, with PyTorch's semantics (torch.optim.SGD and AdamW, single-tensor
// path). Learning rate and step count are graph inputs so that a schedule never rebuilds a session.
import { fmtShape, type Graph, GraphError, sizeOf, type Value } from '../graph/graph.ts';

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

/**
 * WebGPU binds at most 8 storage buffers per kernel by default (maxStorageBuffersPerShaderStage;
 * SwiftShader offers 12): a Concat or Split of more pieces than this, plus its one joined tensor, fails to compile
 */
const MAX_PIECES = 7;

/**
 * One update for many params: each list (params, grads, a state) is flattened and joined into one
 * vector (a Concat), the update is built once on those vectors, and each result is split back into
 * the params' shapes (a Split): a few kernels per MAX_PIECES params, where an update per param costs
 * its handful of elementwise kernels again for each.
 */
function allAtOnce(g: Graph, lists: readonly (readonly Value[])[], update: (xs: Value[]) => Value[]): Value[][] {
  const like = lists[0]!;
  if (like.length > MAX_PIECES) {
    const parts: Value[][][] = [];
    for (let at = 0; at < like.length; at += MAX_PIECES)
      parts.push(
        allAtOnce(
          g,
          lists.map((l) => l.slice(at, at + MAX_PIECES)),
          update,
        ),
      );
    return parts[0]!.map((_, r) => parts.flatMap((part) => part[r]!));
  }
  if (like.length === 1) return update(lists.map((l) => l[0]!)).map((v) => [v]);
  const flat = lists.map((l) =>
    g.concat(
      l.map((v) => g.reshape(v, [-1])),
      0,
    ),
  ); // [Σ sizes] each
  const sizes = like.map((p) => sizeOf(p.shape));
  return update(flat).map((r) => g.split(r, sizes, 0).map((piece, i) => g.reshape(piece, like[i]!.shape)));
}

/** d = grad + wd·p;  buf = momentum·buf + d  (buf = d without momentum);  p ← p − lr·buf */
export function sgdStep(g: Graph, a: SgdArgs): { params: Value[]; buffers: Value[] } {
  sameShapes('sgdStep grads', a.params, a.grads);
  sameShapes('sgdStep buffers', a.params, a.momentum === 0 ? [] : a.buffers);
  scalarInput('sgdStep lr', a.params, a.lr);
  if (a.params.length === 0) return { params: [], buffers: [] };
  const c = (x: number) => g.scalar(x, a.lr.dtype);
  const lists = a.momentum === 0 ? [a.params, a.grads] : [a.params, a.grads, a.buffers];
  const [params, buffers = []] = allAtOnce(g, lists, ([p, grad, buffer]) => {
    const d = a.weightDecay === 0 ? grad! : g.add(grad!, g.mul(p!, c(a.weightDecay)));
    const buf = a.momentum === 0 ? d : g.add(g.mul(buffer!, c(a.momentum)), d);
    const next = g.sub(p!, g.mul(a.lr, buf));
    return a.momentum === 0 ? [next] : [next, buf];
  });
  return { params: params!, buffers };
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
  if (a.params.length === 0) return { params: [], m: [], v: [] };
  const c = (x: number) => g.scalar(x, a.lr.dtype);
  // scalars shared by every param
  const decay = g.sub(c(1), g.mul(a.lr, c(a.weightDecay)));
  const stepSize = g.div(a.lr, g.sub(c(1), g.pow(c(a.beta1), a.step)));
  const bc2Sqrt = g.sqrt(g.sub(c(1), g.pow(c(a.beta2), a.step)));
  const [params, m, v] = allAtOnce(g, [a.params, a.grads, a.m, a.v], ([p, grad, m0, v0]) => {
    const decayed = a.weightDecay === 0 ? p! : g.mul(p!, decay);
    const m = g.add(m0!, g.mul(g.sub(grad!, m0!), c(1 - a.beta1)));
    const v = g.add(g.mul(v0!, c(a.beta2)), g.mul(g.mul(grad!, grad!), c(1 - a.beta2)));
    const denom = g.add(g.div(g.sqrt(v), bc2Sqrt), c(a.eps));
    return [g.sub(decayed, g.mul(stepSize, g.div(m, denom))), m, v];
  });
  return { params: params!, m: m!, v: v! };
}
