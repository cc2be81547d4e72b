import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.ts';
import { createNodeRuntime } from './node.ts';
import { lastRunKernels, summarizeProfile, type OrtProfileEvent } from './profile.ts';
import { float32 } from '../graph/tensor.ts';

const node = (name: string, ts: number, dur: number, op: string, shapes: number[][]): OrtProfileEvent => ({
  cat: 'Node',
  name: `${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: op, input_type_shape: shapes.map((s) => ({ float: s })) },
});
const run = (ts: number, dur: number): OrtProfileEvent => ({ cat: 'Session', name: 'model_run', ts, dur });

// two runs of MatMul_0 → Softmax_1; the first (shader compilation) is slow and must not count
const HOST: OrtProfileEvent[] = [
  run(0, 1000),
  node('MatMul_0', 10, 600, 'MatMul', [
    [4, 8],
    [8, 8],
  ]),
  node('Softmax_1', 700, 200, 'Softmax', [[4, 8]]),
  run(2000, 100),
  node('MatMul_0', 2010, 30, 'MatMul', [
    [4, 8],
    [8, 8],
  ]),
  node('Softmax_1', 2050, 10, 'Softmax', [[4, 8]]),
];
const api = (name: string, ts: number, dur: number): OrtProfileEvent => ({ cat: 'Api', name, ts, dur });

describe('onnxruntime profiles', () => {
  it('summarises the last run by op and by kernel, with host times on the CPU EP', () => {
    const p = summarizeProfile(HOST);
    expect(p).toMatchObject({ clock: 'host', kernels: 2, runMs: 0.1 });
    expect(p.kernelMs).toBeCloseTo(0.04, 12);
    expect(p.byOp).toEqual([
      { op: 'MatMul', ms: 0.03, share: 0.75, kernels: 1 },
      { op: 'Softmax', ms: 0.01, share: 0.25, kernels: 1 },
    ]);
    expect(p.top[0]).toEqual({
      node: 'MatMul_0',
      op: 'MatMul',
      shapes: [
        [4, 8],
        [8, 8],
      ],
      ms: 0.03,
      share: 0.75,
    });
  });

  it('takes the GPU timestamps of the last run where the WebGPU EP recorded them (after the run began, even past its host end)', () => {
    const events = [
      ...HOST,
      api('MatMul_0&MatMul&MatMul', 500, 900),
      api('MatMul_0&MatMul&MatMul', 2020, 70),
      api('Softmax_1&Softmax&Softmax', 2150, 20),
    ];
    const k = lastRunKernels(events);
    expect(k.clock).toBe('gpu');
    expect(k.kernels).toEqual([
      {
        node: 'MatMul_0',
        op: 'MatMul',
        shapes: [
          [4, 8],
          [8, 8],
        ],
        us: 70,
      },
      { node: 'Softmax_1', op: 'Softmax', shapes: [[4, 8]], us: 20 },
    ]);
  });

  it('refuses a trace without a run', () => {
    expect(() => summarizeProfile([])).toThrow(/no run/);
  });

  it('profiles a session on onnxruntime-node and cleans up its trace', async () => {
    const g = new Graph('two-ops');
    const x = g.input('x', 'float32', [16, 16]);
    g.output('y', g.softmax(g.matmul(x, x)));
    const rt = createNodeRuntime();
    const session = await rt.load(g, { profile: true });
    for (let i = 0; i < 2; i++) await session.run({ x: float32([16, 16]) });
    const p = await session.endProfiling();
    expect(p.clock).toBe('host');
    expect(p.byOp.map((o) => o.op).sort()).toEqual(['MatMul', 'Softmax']);
    expect(p.top.find((t) => t.op === 'MatMul')!.shapes).toEqual([
      [16, 16],
      [16, 16],
    ]);
    await expect((await rt.load(g)).endProfiling()).rejects.toThrow(/loaded without \{ profile: true \}/);
    await session.release();
  });
});
