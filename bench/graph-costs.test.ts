// The cost model on a step small enough to follow by hand, and the student's costs on the fixture's
// tiny CLIP (the same functions npm run bench applies at ViT-B/16).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClipConfig } from '../src/engine/clip/config.ts';
import { Graph } from '../src/engine/graph/graph.ts';
import { randomVisionWeights } from './geometry.ts';
import { estimateTrainMemory, trainForwardFlops } from './graph-costs.ts';
import { studentStepCosts } from './student-costs.ts';
import { studentHyper } from './workloads.ts';

/**
 * loss = Σ (x@W + p)²  with x [2,3] (data), W [3,4] (frozen), p [4] (trained);
 * backward and SGD by hand: dz = 2z, dp = Σ_rows dz, p.next = p − lr·dp.
 */
function tinyStep() {
  const g = new Graph('tiny-step');
  const x = g.input('x', 'float32', [2, 3]),
    W = g.input('W', 'float32', [3, 4]);
  const p = g.input('p', 'float32', [4]),
    lr = g.input('lr', 'float32', []);
  const h = g.matmul(x, W); //                   [2,4]  2·8·3 = 48 FLOPs
  const z = g.add(h, p); //                      [2,4]  8
  const loss = g.reduceSum(g.mul(z, z), [0, 1], false); // 8 + 8 → forward 72
  const dz = g.mul(z, g.scalar(2)); //           [2,4]  8   reads z: kept for backward
  const dp = g.reduceSum(dz, [0], false); //     [4]    8
  const pNext = g.sub(p, g.mul(dp, lr)); //      [4]    4 + 4 → backward 24
  g.output('loss', loss);
  g.output('p.next', pNext);
  return { g, h };
}

describe('train-step costs from the graph', () => {
  it('compares the FLOPs of the whole step with those of its forward outputs', () => {
    const { g } = tinyStep();
    expect(trainForwardFlops(g, ['loss'])).toEqual({ forward: 72, train: 96, ratio: 96 / 72 });
    expect(() => trainForwardFlops(g, ['logits'])).toThrow(/no output 'logits'.*loss, p\.next/);
  });

  it('splits memory into inputs by role, activations kept for backward and a liveness peak', () => {
    const { g, h } = tinyStep();
    const m = estimateTrainMemory(g, { frozen: new Set(['W']), state: new Set(['p']), forwardOutputs: ['loss'] });
    // in graph order: h 32 → +z 64 (h freed: 32) → +z² 64 → +loss 68 (z² freed: 36) → +dz 68 (z freed) → …
    expect(m).toEqual({
      frozenBytes: 48,
      stateBytes: 16,
      dataBytes: 24 + 4,
      keptForBackwardBytes: 32,
      largestTransient: { name: h.name, op: 'MatMul', shape: [2, 4], bytes: 32 },
      peakIntermediateBytes: 68,
      totalBytes: 48 + 16 + 28 + 68,
    });
  });

  it('finds the student step pruned: same forward, fewer FLOPs than differentiating every weight', () => {
    const dir = path.resolve(import.meta.dirname, '../test-data/fixtures/clip-tiny-a');
    const cfg = parseClipConfig(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')));
    const clip = randomVisionWeights(cfg, 1, 'student');
    const c = studentStepCosts(clip, studentHyper(cfg.vision.layers, 32, 6), 4);
    expect(c.allWeights.forward).toBe(c.pruned.forward);
    expect(c.pruned.ratio).toBeLessThan(c.allWeights.ratio);
    // every vision weight except the unused logit scale is a frozen input of the step
    const frozen = [...clip.tensors].filter(([n]) => n !== 'logit_scale').reduce((s, [, t]) => s + 4 * t.data.length, 0);
    expect(c.memory.frozenBytes).toBe(frozen);
    expect(c.memory.keptForBackwardBytes).toBeGreaterThan(0);
    expect(c.memory.peakIntermediateBytes).toBeGreaterThanOrEqual(c.memory.keptForBackwardBytes);
  });
});
