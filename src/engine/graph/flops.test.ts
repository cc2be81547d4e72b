// A prompt-only train step costs about 2× the forward pass: frozen weights get no gradient work.
import { describe, expect, it } from 'vitest';
import { Graph } from './graph.ts';
import { countFlops, nodeFlops } from './flops.ts';
import { evaluate } from './reference.ts';
import { backprop } from '../autodiff/grad.ts';
import { promptedVit, type VitSize } from '../autodiff/models.testkit.ts';
import { relError, rng, runOnOrt, toFloat32 } from '../autodiff/finite-diff.testkit.ts';
import { buildTrainStep, zeroState } from '../autodiff/train-step.ts';
import { hostTensor } from './tensor.ts';

const size: VitSize = { batch: 2, patches: 16, patchDim: 48, width: 64, heads: 4, layers: 2, prompts: 4, classes: 10 };
const sgd = { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 } as const;

function forwardFlops(): number {
  const g = new Graph('forward');
  g.output('loss', promptedVit(g, 'float32', size).loss);
  return countFlops(g).flops;
}

function trainFlops(trainAll: boolean): number {
  const g = new Graph('train');
  const m = promptedVit(g, 'float32', size);
  buildTrainStep(g, { loss: m.loss, trainable: trainAll ? [...m.trainable, ...m.frozen] : m.trainable, optimizer: sgd });
  return countFlops(g).flops;
}

describe('FLOPs of a prompt-only train step', () => {
  it('counts MatMul as 2·n·k·m per batch entry and elementwise ops as one per element', () => {
    const g = new Graph();
    const y = g.matmul(g.input('a', 'float32', [3, 2, 4]), g.input('b', 'float32', [4, 5]));
    g.output('y', g.relu(y));
    expect(nodeFlops(y.producer!)).toBe(2 * 3 * 2 * 4 * 5);
    // output() names the Relu's value: no extra node
    expect(countFlops(g)).toEqual({ flops: 240 + 30, nodes: 2, byOp: { MatMul: { nodes: 1, flops: 240 }, Relu: { nodes: 1, flops: 30 } } });
  });

  it('is about 2× the forward pass, against about 3× when every weight trains', () => {
    const forward = forwardFlops();
    const promptOnly = trainFlops(false) / forward;
    const everything = trainFlops(true) / forward;
    console.log(
      `forward ${forward} FLOPs; train step / forward: prompts only ${promptOnly.toFixed(3)}, all weights ${everything.toFixed(3)}`,
    );
    expect(promptOnly).toBeLessThanOrEqual(2.2);
    expect(everything).toBeGreaterThan(2.7);
  });

  it('builds no gradient for a frozen weight, and one matrix product per trainable-dependent operand', () => {
    const g = new Graph('train');
    const m = promptedVit(g, 'float32', size);
    const forwardNodes = g.nodes.length;
    const { gradOf } = backprop(g, m.loss, m.trainable);
    const withGradient = m.frozen.filter((w) => gradOf.has(w.id)).map((w) => w.name);
    expect(withGradient).toEqual([]);

    // forward products (MatMul, Gemm): the backward pass needs one product for each operand that depends on a prompt
    const fromPrompts = new Set(m.trainable.map((p) => p.id));
    let expected = 0;
    const isProduct = (op: string) => op === 'MatMul' || op === 'Gemm';
    for (const n of g.nodes.slice(0, forwardNodes)) {
      const hits = n.inputs.filter((x) => fromPrompts.has(x.id)).length;
      if (hits > 0)
        n.outputs.forEach((o) => {
          fromPrompts.add(o.id);
        });
      // a Gemm's bias (its third input) is added, not multiplied
      if (isProduct(n.op)) expected += n.inputs.slice(0, 2).filter((x) => fromPrompts.has(x.id)).length;
    }
    const backward = g.nodes.slice(forwardNodes);
    expect(backward.filter((n) => isProduct(n.op)).length).toBe(expected);
    // the patch embedding is frozen and before the prompts: nothing of the backward pass touches it
    const patchEmbed = m.frozen.find((v) => v.name === 'patch_embed')!;
    expect(backward.some((n) => n.inputs.includes(patchEmbed))).toBe(false);
  });

  it('runs on onnxruntime-node and matches the reference evaluation of the same graph', async () => {
    const g = new Graph('train');
    const m = promptedVit(g, 'float32', size);
    const spec = buildTrainStep(g, { loss: m.loss, trainable: m.trainable, optimizer: sgd, emitGradients: true });
    const feeds = Object.fromEntries(Object.entries({ ...m.initial(rng(7)), ...zeroState(spec) }).map(([k, t]) => [k, toFloat32(t)]));
    feeds.lr = hostTensor('float32', [], Float32Array.of(0.005));
    const ours = await runOnOrt(g, feeds);
    const ref = evaluate(g, feeds);
    const names = ['loss', ...spec.params.flatMap((p) => [p.grad!, p.next])];
    const errors = names.map((n) => relError(Array.from(ours[n]!.data as Float32Array), ref[n]!.data as Float64Array));
    console.log(`prompted ViT train step, ORT vs reference: ${names.map((n, i) => `${n} ${errors[i]!.toExponential(2)}`).join(', ')}`);
    for (const e of errors) expect(e).toBeLessThanOrEqual(1e-5);
  });
});
