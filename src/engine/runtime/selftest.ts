// A tiny model that every backend runs at start-up: proof that the runtime works on this machine,
// and that WebGPU and WASM agree. The ops (MatMul, Add, LayerNormalization, Softmax) are
// the ones a CLIP block leans on; the float64 reference interpreter gives the expected numbers.
import { Graph } from '../graph/graph.ts';
import { evaluate } from '../graph/reference.ts';
import type { BackendName, EpChoice, Runtime } from './runtime.ts';
import { float32, type HostTensor } from '../graph/tensor.ts';

/** the largest error a float32 backend may make on the self-test: a wrong kernel is off by far more */
export const SELF_TEST_TOLERANCE = 1e-5;

const ROWS = 4;
const WIDTH = 8;

/** Fixed, smooth, non-symmetric values so that a wrong transpose or axis shows up as a large error. */
const pattern = (n: number, f: (k: number) => number): number[] => Array.from({ length: n }, (_, k) => f(k));

export function buildSelfTestGraph(): Graph {
  const g = new Graph('selftest');
  const x = g.input('x', 'float32', [ROWS, WIDTH]);
  const w = g.constant(Float32Array.from(pattern(WIDTH * WIDTH, (k) => Math.cos(0.7 * k) / Math.sqrt(WIDTH))), [WIDTH, WIDTH], 'w');
  const b = g.constant(Float32Array.from(pattern(WIDTH, (k) => 0.1 * k - 0.3)), [WIDTH], 'b');
  const gamma = g.constant(Float32Array.from(pattern(WIDTH, (k) => 1 + 0.05 * k)), [WIDTH], 'gamma');
  const beta = g.constant(Float32Array.from(pattern(WIDTH, (k) => 0.02 * (k % 3))), [WIDTH], 'beta');
  const h = g.layerNorm(g.add(g.matmul(x, w), b), gamma, beta); // [4,8]
  const probs = g.softmax(h, -1); // [4,8]
  g.output('probs', probs);
  return g;
}

export const selfTestInput = (): HostTensor =>
  float32(
    [ROWS, WIDTH],
    pattern(ROWS * WIDTH, (k) => Math.sin(1 + 0.9 * k) * 2),
  ); // x [4,8]

export interface SelfTestReport {
  backend: BackendName;
  /** which onnxruntime-web WebGPU backend ran it, and why the ones before it were not taken (webgpu in a browser) */
  ep?: EpChoice;
  /** softmax output, [4,8] row-major */
  probs: number[];
  /** true when 'probs' came back as a GPU buffer, i.e. the WebGPU EP computed it */
  onDevice: boolean;
  /** max |probs − float64 reference| */
  maxErrVsReference: number;
  loadMs: number;
  runMs: number;
}

export async function runSelfTest(runtime: Runtime): Promise<SelfTestReport> {
  const graph = buildSelfTestGraph();
  const x = selfTestInput();
  let t0 = performance.now();
  const session = await runtime.load(graph, { deviceOutputs: ['probs'] });
  const loadMs = performance.now() - t0;
  try {
    t0 = performance.now();
    const out = await session.run({ x });
    const host = await out.probs!.read();
    const runMs = performance.now() - t0;
    const onDevice = out.probs!.onDevice;
    for (const t of Object.values(out)) t.dispose();
    const probs = Array.from(host.data as Float32Array);
    const expected = evaluate(graph, { x }, ['probs']).probs!.data as Float64Array;
    const maxErrVsReference = probs.reduce((m, p, i) => Math.max(m, Math.abs(p - expected[i]!)), 0);
    return { backend: runtime.backend, ...(runtime.ep ? { ep: runtime.ep } : {}), probs, onDevice, maxErrVsReference, loadMs, runMs };
  } finally {
    await session.release();
  }
}
