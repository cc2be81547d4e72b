// A teacher without tuned prompts: a CLIP run zero-shot on class prompts ("a photo of a {class}.").
// Its normalised text features [C,E] become the student's classifier, and its logits
// exp(logit_scale) · norm(image) @ textᵀ are the distillation targets.
import { l2Normalize } from '../clip/model.ts';
import { textTowerInputs } from '../clip/text-input.ts';
import { buildTextTower } from '../clip/text.ts';
import { buildVisionTower } from '../clip/vision.ts';
import { weightFeeds, type ClipWeights } from '../clip/weights.ts';
import { Graph } from '../graph/graph.ts';
import type { Runtime, Session } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../runtime/tensor.ts';
import { cosineLogits } from './loss.ts';

export const zeroShotPrompt = (className: string): string => `a photo of a ${className.replaceAll('_', ' ')}.`;

export interface ZeroShotTeacher {
  /** [C,E], unit rows */
  readonly textFeatures: HostTensor;
  readonly logitScale: number;
  /** the teacher's input side */
  readonly imageSize: number;
  /** pixels [N,3,S,S] → logits [N,C] */
  imageLogits(pixels: HostTensor): Promise<HostTensor>;
  release(): Promise<void>;
}

/** Text features once for token ids [C,L]; an image session for batches of `batch`. */
export async function createZeroShotTeacher(rt: Runtime, w: ClipWeights, ids: HostTensor, batch: number): Promise<ZeroShotTeacher> {
  const cfg = w.config;
  const C = ids.shape[0]!;

  const tg = new Graph('teacher-text');
  const { tokenEmbeds, eot } = textTowerInputs(w, ids);
  const te = tg.input('token_embeds', 'float32', tokenEmbeds.shape);
  const eo = tg.input('eot', 'float32', eot.shape);
  tg.output('text_features', l2Normalize(tg, buildTextTower(tg, cfg, w, te, eo).embeds));
  const textSession = await rt.load(tg);
  const textOut = await textSession.run({ ...weightFeeds(tg, w), token_embeds: tokenEmbeds, eot });
  const textFeatures = await textOut.text_features!.read();
  textOut.text_features!.dispose();
  await textSession.release();

  const logitScale = Math.exp(Number(w.tensors.get('logit_scale')!.data[0]));
  const S = cfg.vision.imageSize;
  const ig = new Graph('teacher-image');
  const pixels = ig.input('pixels', 'float32', [batch, 3, S, S]);
  const text = ig.input('text_features', 'float32', [C, cfg.embedDim]);
  ig.output('logits', cosineLogits(ig, buildVisionTower(ig, cfg, w, pixels).embeds, text, logitScale));
  const imageSession: Session = await rt.load(ig);
  const frozen = Object.fromEntries(await Promise.all(Object.entries({ ...weightFeeds(ig, w), text_features: textFeatures })
    .map(async ([k, t]) => [k, await rt.upload(t)] as const)));

  return {
    textFeatures, logitScale, imageSize: S,
    async imageLogits(px: HostTensor) {
      const N = px.shape[0]!, per = 3 * S * S;
      const out = new Float32Array(N * C);
      for (let start = 0; start < N; start += batch) {
        const n = Math.min(batch, N - start);
        const chunk = new Float32Array(batch * per); // zero rows pad the last chunk; rows are independent
        chunk.set((px.data as Float32Array).subarray(start * per, (start + n) * per));
        const r = await imageSession.run({ ...frozen, pixels: hostTensor('float32', [batch, 3, S, S], chunk) });
        out.set(((await r.logits!.read()).data as Float32Array).subarray(0, n * C), start * C);
        r.logits!.dispose();
      }
      return hostTensor('float32', [N, C], out);
    },
    async release() {
      await imageSession.release();
      for (const t of Object.values(frozen)) t.dispose();
    },
  };
}
