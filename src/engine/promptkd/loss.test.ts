// The graph builders against the formulas written out in plain loops (float64 reference interpreter).
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.ts';
import { evaluate } from '../graph/reference.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { cosineLogits, kdLoss, projector, type BatchNormMode } from './loss.ts';

let seed = 12345;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return (seed / 2 ** 31) * 2 - 1;
};
const tensor = (shape: number[], scale = 1): HostTensor =>
  hostTensor(
    'float64',
    shape,
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * scale),
  );
const at = (t: HostTensor, ...idx: number[]): number => {
  let off = 0;
  idx.forEach((i, k) => {
    off = off * t.shape[k]! + i;
  });
  return Number(t.data[off]);
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const B = 5,
  E = 3,
  D = 4,
  C = 6;

function projectorGraph(mode: 'train' | 'eval') {
  const g = new Graph('projector');
  const f = g.input('f', 'float64', [B, E]);
  const p = {
    conv0Weight: g.input('w0', 'float64', [D, E, 1, 1]),
    conv0Bias: g.input('b0', 'float64', [D]),
    bnWeight: g.input('gamma', 'float64', [D]),
    bnBias: g.input('beta', 'float64', [D]),
    conv3Weight: g.input('w3', 'float64', [D, D, 1, 1]),
    conv3Bias: g.input('b3', 'float64', [D]),
  };
  const running = { mean: g.input('rm', 'float64', [D]), var: g.input('rv', 'float64', [D]) };
  const bn: BatchNormMode = mode === 'train' ? { mode, running, momentum: 0.1, eps: 1e-5 } : { mode, running, eps: 1e-5 };
  const r = projector(g, f, p, bn);
  g.output('out', r.out);
  if (r.running) {
    g.output('rm_new', r.running.mean);
    g.output('rv_new', r.running.var);
  }
  return g;
}

/** the projector written out in loops, PyTorch BatchNorm2d semantics */
function projectorByHand(feeds: Record<string, HostTensor>, mode: 'train' | 'eval') {
  const lin = (x: number[][], w: HostTensor, b: HostTensor) =>
    x.map((row) => Array.from({ length: w.shape[0]! }, (_, o) => row.reduce((s, v, i) => s + v * at(w, o, i, 0, 0), at(b, o))));
  const f = Array.from({ length: B }, (_, b) => Array.from({ length: E }, (_, e) => at(feeds.f!, b, e)));
  const h = lin(f, feeds.w0!, feeds.b0!);
  const mean = [...Array(D).keys()].map((d) => h.reduce((s, r) => s + r[d]!, 0) / B);
  const varB = [...Array(D).keys()].map((d) => h.reduce((s, r) => s + (r[d]! - mean[d]!) ** 2, 0) / B);
  const useMean = mode === 'train' ? mean : [...Array(D).keys()].map((d) => at(feeds.rm!, d));
  const useVar = mode === 'train' ? varB : [...Array(D).keys()].map((d) => at(feeds.rv!, d));
  const y = h.map((r) =>
    r.map((v, d) => Math.max(0, ((v - useMean[d]!) / Math.sqrt(useVar[d]! + 1e-5)) * at(feeds.gamma!, d) + at(feeds.beta!, d))),
  );
  return {
    out: lin(y, feeds.w3!, feeds.b3!).flat(),
    rm: mean.map((m, d) => 0.9 * at(feeds.rm!, d) + 0.1 * m),
    rv: varB.map((v, d) => 0.9 * at(feeds.rv!, d) + 0.1 * v * (B / (B - 1))),
  };
}

function projectorFeeds(): Record<string, HostTensor> {
  const rv = tensor([D]);
  return {
    f: tensor([B, E], 2),
    w0: tensor([D, E, 1, 1]),
    b0: tensor([D]),
    gamma: tensor([D]),
    beta: tensor([D]),
    w3: tensor([D, D, 1, 1]),
    b3: tensor([D]),
    rm: tensor([D]),
    rv: hostTensor(
      'float64',
      [D],
      Float64Array.from(rv.data as Float64Array, (v) => 0.5 + Math.abs(v)),
    ),
  };
}

describe('projector', () => {
  it('train mode: batch statistics, and running stats updated with the unbiased variance', () => {
    const feeds = projectorFeeds();
    const got = evaluate(projectorGraph('train'), feeds);
    const want = projectorByHand(feeds, 'train');
    expect(maxDiff(got.out!.data as Float64Array, want.out)).toBeLessThan(1e-12);
    expect(maxDiff(got.rm_new!.data as Float64Array, want.rm)).toBeLessThan(1e-12);
    expect(maxDiff(got.rv_new!.data as Float64Array, want.rv)).toBeLessThan(1e-12);
  });

  it('eval mode: running statistics, no running-stat outputs', () => {
    const feeds = projectorFeeds();
    const g = projectorGraph('eval');
    expect(g.outputs.map((o) => o.name)).toEqual(['out']);
    const got = evaluate(g, feeds);
    expect(maxDiff(got.out!.data as Float64Array, projectorByHand(feeds, 'eval').out)).toBeLessThan(1e-12);
  });

  it('says which conv weight does not fit the feature', () => {
    const g = new Graph();
    const f = g.input('f', 'float32', [B, E]);
    const v = (n: string, s: number[]) => g.input(n, 'float32', s);
    const p = {
      conv0Weight: v('w0', [D, E + 1, 1, 1]),
      conv0Bias: v('b0', [D]),
      bnWeight: v('g', [D]),
      bnBias: v('b', [D]),
      conv3Weight: v('w3', [D, D, 1, 1]),
      conv3Bias: v('b3', [D]),
    };
    expect(() => projector(g, f, p, { mode: 'eval', running: { mean: v('rm', [D]), var: v('rv', [D]) }, eps: 1e-5 })).toThrow(
      /conv1x1: weight \[4,4,1,1\] and bias \[4\] do not map features \[5,3\]/,
    );
  });
});

describe('cosineLogits and kdLoss', () => {
  function headGraph(T: number, kdWeight: number) {
    const g = new Graph('head');
    const feat = g.input('feat', 'float64', [B, D]);
    const text = g.input('text', 'float64', [C, D]);
    const teacher = g.input('teacher', 'float64', [B, C]);
    const s = cosineLogits(g, feat, text, 100);
    g.output('logits', s);
    g.output('loss', kdLoss(g, s, teacher, { temperature: T, kdWeight }));
    return g;
  }

  for (const [T, w] of [
    [1, 1000],
    [2, 200],
  ] as const) {
    it(`matches kl_div(log_softmax(s/T), softmax(t/T), sum)·T²/(B·C)·w at T=${T}, w=${w}`, () => {
      const feeds = { feat: tensor([B, D]), text: tensor([C, D]), teacher: tensor([B, C], 30) };
      const got = evaluate(headGraph(T, w), feeds);
      const norm = (t: HostTensor, r: number) => {
        const row = Array.from({ length: D }, (_, d) => at(t, r, d));
        const n = Math.hypot(...row);
        return row.map((v) => v / n);
      };
      const s = [...Array(B).keys()].map((b) =>
        [...Array(C).keys()].map((c) => 100 * norm(feeds.feat, b).reduce((a, v, d) => a + v * norm(feeds.text, c)[d]!, 0)),
      );
      expect(maxDiff(got.logits!.data as Float64Array, s.flat())).toBeLessThan(1e-10);
      const logSoftmax = (row: number[]) => {
        const m = Math.max(...row);
        const z = Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
        return row.map((v) => v - z);
      };
      let kl = 0;
      for (let b = 0; b < B; b++) {
        const ls = logSoftmax(s[b]!.map((v) => v / T));
        const lt = logSoftmax([...Array(C).keys()].map((c) => at(feeds.teacher, b, c) / T));
        lt.forEach((l, c) => {
          kl += Math.exp(l) * (l - ls[c]!);
        });
      }
      expect(got.loss!.shape).toEqual([]);
      expect(Number(got.loss!.data[0])).toBeCloseTo((kl * T * T * w) / (B * C), 9);
    });
  }

  it('is zero when the student reproduces the teacher', () => {
    const g = new Graph();
    const s = g.input('s', 'float64', [B, C]);
    g.output('loss', kdLoss(g, s, s, { temperature: 1, kdWeight: 1000 }));
    expect(Math.abs(Number(evaluate(g, { s: tensor([B, C], 50) }).loss!.data[0]))).toBeLessThan(1e-12);
  });
});
