// What fused attention saves: the teacher's logits with one MultiHeadAttention per block (the
// studio's) against the same graph with attention as plain ops, on one runtime in one run. The two
// alternate (fused, plain, fused, plain) so that a machine busy with something else for a while
// slows both; each keeps its best steady median. Their logits are compared too.
import type { Runtime } from '../src/engine/runtime/runtime.ts';
import type { GeometryJson } from './geometry.ts';
import { benchTeacherForward, teacherVariantError, type Timing } from './workloads.ts';

export interface FusedAttention {
  geometry: string;
  backend: string;
  batch: number;
  fused: Timing;
  plain: Timing;
  /** plain ÷ fused steady time: above 1, fusing is faster */
  speedup: number;
  /** max |plain − fused| ÷ max |fused| over the logits, and how often their top class agrees */
  logits: { maxRelError: number; argmaxAgreement: number };
}

export async function measureFusedAttention(
  rt: Runtime,
  backend: string,
  geometry: GeometryJson,
  batch: number,
  steady: number,
): Promise<FusedAttention> {
  const best: { fused?: Timing; plain?: Timing } = {};
  for (let round = 0; round < 2; round++) {
    for (const attention of ['fused', 'plain'] as const) {
      const t = await benchTeacherForward(rt, geometry, { batch, steady, attention });
      if (!best[attention] || t.medianMs < best[attention].medianMs) best[attention] = t;
    }
  }
  const fused = best.fused!,
    plain = best.plain!;
  const logits = await teacherVariantError(rt, geometry, batch, { attention: 'plain' });
  return { geometry: geometry.name, backend, batch, fused, plain, speedup: plain.medianMs / fused.medianMs, logits };
}
