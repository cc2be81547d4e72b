// What a train-step graph costs, read off the graph itself (no run): the FLOPs of the whole step
// against those of its forward pass, and the memory it needs on the device.
//
// The forward pass is the part of the step that computes the forward outputs (loss, logits, running
// stats): nodesComputing of those values. Everything else the step's outputs need is the backward
// pass and the optimizer update.
//
// Memory model (an estimate, stated so that it can be argued with):
// - frozen weights, trainable state (params, optimizer buffers, running stats) and per-step data
//   (pixels, teacher logits, text features, lr) are graph inputs: resident for the whole step;
// - every node output is an intermediate, allocated when its node runs (in graph order, which is a
//   topological order) and freed right after its last consumer; graph outputs (loss, `.next` state)
//   are held to the end of the step;
// - "kept for backward" = forward intermediates that a backward/optimizer node reads: they are
//   alive from the forward pass until the backward pass uses them, which is what makes training
//   cost memory that inference does not;
// - the peak of live intermediates over that schedule is the activation memory; the total is
//   inputs + that peak. ORT's allocator differs (it reuses buffers in place, fuses some nodes, and
//   pools WebGPU buffers in size buckets), so read the result as the order of magnitude it is.
// Constants baked into the model (shape vectors, scalars) are ignored: a few bytes each.
import { nodeFlops, countFlops } from '../src/engine/graph/flops.ts';
import { nodesComputing, sizeOf, type DType, type Graph, type OpNode, type Value } from '../src/engine/graph/graph.ts';
import { liveNodes } from '../src/engine/graph/onnx.ts';

const BYTES: Record<DType, number> = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, bool: 1 };
export const bytesOf = (v: Pick<Value, 'dtype' | 'shape'>): number => BYTES[v.dtype] * sizeOf(v.shape);

function outputValue(g: Graph, name: string): Value {
  const o = g.outputs.find((x) => x.name === name);
  if (!o) throw new Error(`graph '${g.name}' has no output '${name}'; its outputs are ${g.outputs.map((x) => x.name).join(', ')}`);
  return o.value;
}

export interface FlopRatio {
  /** FLOPs of the nodes computing the forward outputs */
  forward: number;
  /** FLOPs of every node the step's outputs need */
  train: number;
  /** train / forward */
  ratio: number;
}

/** FLOPs of a train step against its own forward pass (`forwardOutputs`: output names, e.g. loss). */
export function trainForwardFlops(g: Graph, forwardOutputs: readonly string[]): FlopRatio {
  const forward = nodesComputing(
    g,
    forwardOutputs.map((n) => outputValue(g, n)),
  ).reduce((s, n) => s + nodeFlops(n), 0);
  const train = countFlops(g).flops;
  return { forward, train, ratio: train / forward };
}

export interface MemoryRoles {
  /** input names of the frozen weights */
  frozen: ReadonlySet<string>;
  /** input names of the state carried between steps (params, optimizer buffers, running stats) */
  state: ReadonlySet<string>;
  /** output names of the forward pass (loss, logits, running-stat updates) */
  forwardOutputs: readonly string[];
}

export interface TensorNote {
  name: string;
  op: string;
  shape: number[];
  bytes: number;
}

export interface MemoryEstimate {
  frozenBytes: number;
  stateBytes: number;
  /** every other input: the batch, teacher logits and text features, lr */
  dataBytes: number;
  /** forward intermediates read by the backward pass or the optimizer */
  keptForBackwardBytes: number;
  /** the largest single intermediate that is neither kept for backward nor an output */
  largestTransient: TensorNote | null;
  /** the most intermediate bytes alive at once (kept activations included) */
  peakIntermediateBytes: number;
  /** frozen + state + data + peak intermediates */
  totalBytes: number;
}

export function estimateTrainMemory(g: Graph, roles: MemoryRoles): MemoryEstimate {
  const nodes = liveNodes(g).nodes as readonly OpNode[];
  let frozenBytes = 0,
    stateBytes = 0,
    dataBytes = 0;
  const used = new Set(nodes.flatMap((n) => n.inputs.map((x) => x.id)));
  for (const v of g.inputs) {
    if (!used.has(v.id)) continue; // an input no live node reads is never uploaded for this step
    if (roles.frozen.has(v.name)) frozenBytes += bytesOf(v);
    else if (roles.state.has(v.name)) stateBytes += bytesOf(v);
    else dataBytes += bytesOf(v);
  }

  const forward = new Set(
    nodesComputing(
      g,
      roles.forwardOutputs.map((n) => outputValue(g, n)),
    ),
  );
  const produced = new Map<number, { value: Value; node: OpNode }>();
  for (const n of nodes) for (const o of n.outputs) produced.set(o.id, { value: o, node: n });
  const kept = new Map<number, Value>();
  const lastUse = new Map<number, number>();
  nodes.forEach((n, i) => {
    for (const x of n.inputs) {
      if (!produced.has(x.id)) continue; // inputs and constants
      lastUse.set(x.id, i);
      if (!forward.has(n) && forward.has(produced.get(x.id)!.node)) kept.set(x.id, x);
    }
  });
  const held = new Set(g.outputs.map((o) => o.value.id));

  let live = 0,
    peak = 0;
  let largest: TensorNote | null = null;
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      live += bytesOf(o);
      if (!kept.has(o.id) && !held.has(o.id) && bytesOf(o) > (largest?.bytes ?? -1)) {
        largest = { name: o.name, op: n.op, shape: [...o.shape], bytes: bytesOf(o) };
      }
    }
    peak = Math.max(peak, live);
    const free = new Set(
      [...n.inputs, ...n.outputs].filter((v) => produced.has(v.id) && !held.has(v.id) && (lastUse.get(v.id) ?? -1) <= i),
    );
    for (const v of free) live -= bytesOf(v);
  });

  const keptForBackwardBytes = [...kept.values()].reduce((s, v) => s + bytesOf(v), 0);
  return {
    frozenBytes,
    stateBytes,
    dataBytes,
    keptForBackwardBytes,
    largestTransient: largest,
    peakIntermediateBytes: peak,
    totalBytes: frozenBytes + stateBytes + dataBytes + peak,
  };
}
