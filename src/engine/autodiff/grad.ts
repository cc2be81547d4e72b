// Reverse-mode differentiation of a Graph: appends the nodes that compute dLoss/dWrt.
//
// Only nodes on a path from `wrt` to the loss are differentiated, and each rule builds work only for
// the inputs that lie on such a path, so frozen weights (inputs not reachable from `wrt`) get no
// gradient nodes at all. All checks run before the first node is appended: a graph that cannot be
// differentiated is left as it was.
import { fmtShape, type Graph, GraphError, isFloat, nodesComputing, type Value } from '../graph/graph.ts';
import { rules } from './rules.ts';

export interface Backprop {
  /** dLoss/dWrt in the order of `wrt`, each shaped like its value */
  grads: Value[];
  /** value id → its gradient, for every value that got one (tests use it to show what was skipped) */
  gradOf: Map<number, Value>;
}

const describe = (v: Value) => `'${v.name}' ${v.dtype}${fmtShape(v.shape)}`;

function inGraph(g: Graph, v: Value): boolean {
  return v.producer ? g.nodes.includes(v.producer) : g.inputs.includes(v);
}

export function gradients(g: Graph, loss: Value, wrt: readonly Value[]): Value[] {
  return backprop(g, loss, wrt).grads;
}

export function backprop(g: Graph, loss: Value, wrt: readonly Value[]): Backprop {
  if (!inGraph(g, loss)) throw new GraphError(`gradients: loss ${describe(loss)} is not a value of graph '${g.name}'`);
  if (!isFloat(loss) || !(loss.shape.length === 0 || (loss.shape.length === 1 && loss.shape[0] === 1))) {
    throw new GraphError(`gradients: loss ${describe(loss)} must be a float scalar (shape [] or [1])`);
  }
  for (const w of wrt) {
    if (!inGraph(g, w)) throw new GraphError(`gradients: ${describe(w)} is not an input or node output of graph '${g.name}'`);
    if (!isFloat(w)) throw new GraphError(`gradients: cannot differentiate with respect to ${describe(w)}: it is not float`);
  }

  // values that depend on some wrt (integer results carry no gradient)
  const fromWrt = new Set(wrt.map((w) => w.id));
  for (const n of g.nodes) {
    if (n.inputs.some((x) => fromWrt.has(x.id))) for (const o of n.outputs) if (isFloat(o)) fromWrt.add(o.id);
  }
  const toLoss = nodesComputing(g, [loss]);
  const lossDeps = new Set([loss.id, ...toLoss.flatMap((n) => n.inputs.map((x) => x.id))]);
  for (const w of wrt) {
    if (!lossDeps.has(w.id)) throw new GraphError(`gradients: ${describe(w)} does not affect the loss ${describe(loss)}`);
  }
  const path = toLoss.filter((n) => n.outputs.some((o) => fromWrt.has(o.id)));
  for (const n of path) {
    if (!rules[n.op]) {
      throw new GraphError(
        `gradients: no gradient rule for op '${n.op}' (computing ${describe(n.outputs[0]!)}) ` +
          `on the path to the loss ${describe(loss)}`,
      );
    }
  }

  const pending = new Map<number, Value[]>();
  const gradOf = new Map<number, Value>();
  const contribute = (v: Value, d: Value) => pending.set(v.id, [...(pending.get(v.id) ?? []), d]);
  const total = (v: Value): Value | undefined => {
    const known = gradOf.get(v.id);
    if (known) return known;
    const parts = pending.get(v.id);
    if (!parts) return undefined;
    const sum = parts.reduce((acc, d) => g.add(acc, d));
    gradOf.set(v.id, sum);
    return sum;
  };

  contribute(loss, g.constant(loss.dtype === 'float64' ? Float64Array.of(1) : Float32Array.of(1), loss.shape));
  for (const node of [...path].reverse()) {
    const dOut = node.outputs.map(total);
    if (dOut.every((d) => d === undefined)) continue;
    const needs = node.inputs.map((x) => fromWrt.has(x.id));
    const dIn = rules[node.op]!(g, node, dOut, needs);
    node.inputs.forEach((x, i) => {
      if (!needs[i]) return;
      const d = dIn[i];
      if (!d || d.shape.length !== x.shape.length || d.shape.some((s, j) => s !== x.shape[j])) {
        throw new GraphError(`gradients: the ${node.op} rule gave ${d ? fmtShape(d.shape) : 'nothing'} for ${describe(x)}`);
      }
      contribute(x, d);
    });
  }
  return { grads: wrt.map((w) => total(w)!), gradOf };
}
