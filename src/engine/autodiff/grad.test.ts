// Build-time errors of gradients() and buildTrainStep(): each names the op or value at fault.
import { describe, expect, it } from 'vitest';
import { Graph, GraphError } from '../graph/graph.ts';
import { gradients } from './grad.ts';
import { buildTrainStep } from './train-step.ts';

const sgd = { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 } as const;

describe('gradients: bad input fails at build time', () => {
  it('names the op without a rule and its value, and leaves the graph as it was', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const [erf] = g.node('Erf', [x], [{ dtype: 'float32', shape: [3] }], {}, 'erf_of_x');
    const loss = g.reduceSum(erf!, [0], false);
    const before = g.nodes.length;
    expect(() => gradients(g, loss, [x])).toThrow(GraphError);
    expect(() => gradients(g, loss, [x])).toThrow("no gradient rule for op 'Erf' (computing 'erf_of_x' float32[3])");
    expect(g.nodes.length).toBe(before);
  });

  it('does not ask for rules off the path from the trainables', () => {
    const g = new Graph();
    const frozen = g.input('frozen', 'float32', [3]);
    const p = g.input('p', 'float32', [3]);
    const [erf] = g.node('Erf', [frozen], [{ dtype: 'float32', shape: [3] }]);
    const loss = g.reduceSum(g.mul(erf!, p), [0], false);
    expect(gradients(g, loss, [p])[0]!.shape).toEqual([3]);
  });

  it('rejects a loss that is not a scalar', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const perRow = g.reduceSum(x, [1], false);
    expect(() => gradients(g, perRow, [x])).toThrow(`loss '${perRow.name}' float32[2] must be a float scalar (shape [] or [1])`);
  });

  it('rejects wrt values that are not float, not in the graph, or do not reach the loss', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const ids = g.input('ids', 'int64', [3]);
    const unused = g.input('unused', 'float32', [3]);
    const loss = g.reduceSum(g.mul(x, g.cast(ids, 'float32')), [0], false);
    expect(() => gradients(g, loss, [ids])).toThrow("cannot differentiate with respect to 'ids' int64[3]: it is not float");
    const other = new Graph('other').input('stranger', 'float32', [3]);
    expect(() => gradients(g, loss, [other])).toThrow("'stranger' float32[3] is not an input or node output of graph 'graph'");
    expect(() => gradients(g, loss, [unused])).toThrow("'unused' float32[3] does not affect the loss");
  });
});

describe('buildTrainStep: bad input fails at build time', () => {
  const graph = () => {
    const g = new Graph();
    const w = g.input('w', 'float32', [3]);
    g.input('x', 'float32', [3]);
    return { g, loss: g.reduceSum(g.mul(w, w), [0], false) };
  };

  it('names an unknown trainable and lists the inputs', () => {
    const { g, loss } = graph();
    expect(() => buildTrainStep(g, { loss, trainable: ['w', 'wq'], optimizer: sgd })).toThrow(
      "unknown trainable input 'wq'; inputs are 'w', 'x'",
    );
  });

  it('rejects a trainable that is not a graph input', () => {
    const { g, loss } = graph();
    expect(() => buildTrainStep(g, { loss, trainable: [loss], optimizer: sgd })).toThrow(`trainable '${loss.name}' must be an input`);
  });

  it('rejects a non-scalar loss', () => {
    const g = new Graph();
    const w = g.input('w', 'float32', [3]);
    expect(() => buildTrainStep(g, { loss: g.mul(w, w), trainable: ['w'], optimizer: sgd })).toThrow('must be a float scalar');
  });
});
