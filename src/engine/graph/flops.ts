// A rough FLOP count of the nodes a graph's outputs need: enough to compare a train step with its
// forward pass (≈2× for a prompt-only step, ≈3× when every weight is trained), not a profiler.
import { sizeOf, type Graph, type OpNode } from './graph.ts';
import { liveNodes } from './onnx.ts';

// data movement and comparisons cost no arithmetic here
const FREE = new Set([
  'Identity',
  'Reshape',
  'Transpose',
  'Concat',
  'Slice',
  'Gather',
  'Expand',
  'Unsqueeze',
  'Squeeze',
  'Split',
  'Cast',
  'Greater',
  'Equal',
]);
// max, subtract, exp, sum, divide (softmax); mean, centre, square, mean, scale (layer norm); scale,
// exp, add, divide, multiply (QuickGelu, x · σ(αx))
const PER_ELEMENT_5 = new Set(['Softmax', 'LogSoftmax', 'LayerNormalization', 'QuickGelu']);

export function nodeFlops(n: OpNode): number {
  const out = n.outputs[0]!;
  if (n.op === 'MatMul') {
    const k = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!;
    return 2 * sizeOf(out.shape) * k; // 2·n·k·m per batch entry
  }
  if (n.op === 'Gemm') {
    const [a] = n.inputs as [OpNode['inputs'][number]];
    const transA = n.attrs.transA?.kind === 'int' && n.attrs.transA.value === 1;
    return 2 * sizeOf(out.shape) * a.shape[transA ? 0 : 1]!;
  }
  if (n.op === 'MultiHeadAttention') {
    // q·kᵀ and p·v (2 FLOPs a multiply-add each) and a softmax over the scores
    const [q, k] = n.inputs as [OpNode['inputs'][number], OpNode['inputs'][number]];
    const [B, S, hidden] = q.shape as [number, number, number];
    const L = k.shape[1]!,
      heads = (n.attrs.num_heads as { value: number }).value;
    return 2 * B * S * L * hidden + 2 * B * S * L * out.shape[2]! + 5 * B * heads * S * L;
  }
  if (FREE.has(n.op)) return 0;
  if (PER_ELEMENT_5.has(n.op)) return 5 * sizeOf(out.shape);
  if (n.op === 'ReduceSum' || n.op === 'ReduceMean') return sizeOf(n.inputs[0]!.shape);
  return sizeOf(out.shape); // elementwise
}

export interface FlopCount {
  flops: number;
  nodes: number;
  byOp: Record<string, { nodes: number; flops: number }>;
}

/** FLOPs and node count of the live nodes (those the outputs depend on). */
export function countFlops(g: Graph): FlopCount {
  const count: FlopCount = { flops: 0, nodes: 0, byOp: {} };
  for (const n of liveNodes(g).nodes) {
    const f = nodeFlops(n);
    count.byOp[n.op] ??= { nodes: 0, flops: 0 };
    const entry = count.byOp[n.op];
    entry.nodes++;
    entry.flops += f;
    count.nodes++;
    count.flops += f;
  }
  return count;
}
