// Can this runtime be trusted with com.microsoft.MultiHeadAttention? onnxruntime 1.30's native
// WebGPU EP computes it wrong from 32 tokens on (its flash-attention path; seen on SwiftShader in
// onnxruntime-node and in onnxruntime-web's native build: 22–28 % off at 32, 65 and 257 tokens,
// right at 20 and 24), while its CPU EP and JSEP compute it right. So before a runtime's forward
// graphs use fused attention, one runs at a ViT's length against the float64 reference; where it is
// off, they keep plain attention (the same numbers, more kernels).
import { Graph } from '../graph/graph.ts';
import { evaluate } from '../graph/reference.ts';
import { float32 } from '../graph/tensor.ts';
import type { Runtime } from './runtime.ts';

/** float32 attention is within ~1e-6 of the reference; the broken path is off by tenths */
const FUSED_ATTENTION_TOLERANCE = 1e-4;

/** [batch, tokens, width] and heads of the probe: a ViT-B/32's 50 tokens is past where it breaks */
const B = 2,
  T = 50,
  W = 64,
  HEADS = 2;

export interface FusedAttentionCheck {
  works: boolean;
  /** max |runtime − reference| ÷ max |reference| */
  maxRelError: number;
}

/** Smooth, non-symmetric values: a wrong head or token order shows as a large error. */
const probe = (phase: number) =>
  float32(
    [B, T, W],
    Array.from({ length: B * T * W }, (_, k) => Math.sin(phase + 0.37 * k) * 1.5),
  );

/** Runs one MultiHeadAttention on `rt` and compares it with the float64 reference. */
export async function checkFusedAttention(rt: Runtime): Promise<FusedAttentionCheck> {
  const g = new Graph('fused-attention-check');
  const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, 'float32', [B, T, W]));
  g.output('y', g.multiHeadAttention(q!, k!, v!, HEADS, 1 / Math.sqrt(W / HEADS)));
  const feeds = { q: probe(0), k: probe(1), v: probe(2) };
  const session = await rt.load(g);
  try {
    const out = await session.run(feeds);
    const got = (await out.y!.read()).data as Float32Array;
    for (const t of Object.values(out)) t.dispose();
    const want = evaluate(g, feeds).y!.data as Float64Array;
    let diff = 0,
      scale = 0;
    for (let i = 0; i < want.length; i++) {
      diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      scale = Math.max(scale, Math.abs(want[i]!));
    }
    const maxRelError = diff / scale;
    return { works: maxRelError <= FUSED_ATTENTION_TOLERANCE, maxRelError };
  } finally {
    await session.release();
  }
}

/** once per runtime: every forward graph built for it asks */
const verdicts = new WeakMap<Runtime, Promise<FusedAttentionCheck>>();

/** the check's verdict for `rt`, run the first time it is asked for */
export function fusedAttentionOn(rt: Runtime): Promise<FusedAttentionCheck> {
  let v = verdicts.get(rt);
  if (!v) {
    v = checkFusedAttention(rt);
    verdicts.set(rt, v);
  }
  return v;
}
