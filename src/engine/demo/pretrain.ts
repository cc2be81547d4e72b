// Contrastive pre-training of a tiny CLIP on labelled images turned into captions, on the
// project's own train-step graphs (contrastive.ts) and runtime. Labels choose captions only:
// each group of a batch holds one image of every class, each with a random caption template.
import type { RgbImage } from '../clip/image.ts';
import { flipHorizontal } from '../clip/image.ts';
import { normalizeToChw, stackImages } from '../clip/preprocess.ts';
import { endTokenOneHot } from '../clip/text-input.ts';
import type { ClipWeights } from '../clip/weights.ts';
import { zeroState } from '../autodiff/train-step.ts';
import type { Rng } from '../random.ts';
import type { DeviceTensor, Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { buildContrastiveStep } from './contrastive.ts';

export interface PretrainImages {
  readonly count: number;
  /** image i at the model's input size, uint8 RGB (resized and cropped, not yet normalized) */
  image(i: number): RgbImage;
  /** [count] class labels, used to pick captions */
  readonly labels: Uint8Array;
}

export interface PretrainOptions {
  readonly steps: number;
  /** contrastive groups per batch; a batch has groups × classes pairs */
  readonly groups: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly weightDecay: number;
  readonly learnLogitScale: boolean;
  /** the vision tower stays as `init` has it; only the text side learns (see ContrastiveOptions) */
  readonly lockVision?: boolean;
  /** captions[c][t]: token ids (start … end) of template t for class c */
  readonly captions: readonly (readonly (readonly number[])[])[];
  readonly log?: (step: number, loss: number, accuracy: number, logitScale: number) => void;
  readonly logEvery?: number;
}

export interface PretrainResult {
  readonly weights: ClipWeights;
  /** [vocab, text width]: the trained rows of the caption tokens, zero elsewhere */
  readonly tokenEmbedding: HostTensor;
  readonly losses: number[];
}

/** linear warm-up, then cosine decay to zero */
export function pretrainLr(step: number, o: Pick<PretrainOptions, 'steps' | 'lr' | 'warmupSteps'>): number {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  return 0.5 * o.lr * (1 + Math.cos((Math.PI * (step - o.warmupSteps)) / Math.max(1, o.steps - o.warmupSteps)));
}

/** The distinct token ids of all captions, sorted: the rows of the small trainable table. */
export function captionVocabulary(captions: PretrainOptions['captions']): number[] {
  return [...new Set(captions.flat(2))].sort((a, b) => a - b);
}

export async function pretrainClip(
  runtime: Runtime,
  init: ClipWeights,
  images: PretrainImages,
  r: Rng,
  o: PretrainOptions,
): Promise<PretrainResult> {
  const cfg = init.config,
    K = o.captions.length,
    B = o.groups * K;
  const vocab = captionVocabulary(o.captions);
  const row = new Map(vocab.map((id, i) => [id, i]));
  const L = Math.max(...o.captions.flat().map((c) => c.length));
  const byClass = Array.from({ length: K }, () => [] as number[]);
  images.labels.forEach((l, i) => {
    byClass[l]?.push(i);
  });
  const empty = byClass.findIndex((list) => list.length === 0);
  if (empty >= 0) throw new Error(`pre-training needs images of every class; class ${empty} has none`);

  const step = buildContrastiveStep(
    init,
    { groups: o.groups, perGroup: K, textLength: L, vocabUsed: vocab.length },
    { weightDecay: o.weightDecay, learnLogitScale: o.learnLogitScale, lockVision: o.lockVision },
  );
  const session = await runtime.load(step.graph);

  const table = hostTensor('float32', [vocab.length, cfg.text.width]);
  for (let i = 0; i < table.data.length; i++) table.data[i] = 0.02 * r.normal();
  const state: Record<string, HostTensor | DeviceTensor> = { ...zeroState(step.spec), [step.tokenTable]: table };
  for (const [name, t] of init.tensors) state[`${init.prefix}.${name}`] = t;

  /** a host copy of a state entry, which may be a runtime tensor from the last step */
  const readState = async (name: string): Promise<HostTensor> => {
    const t = state[name]!;
    const host = 'read' in t && typeof t.read === 'function' ? await t.read() : (t as HostTensor);
    return hostTensor('float32', [...host.shape], Float32Array.from(host.data as Float32Array));
  };

  const losses: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const pix: HostTensor[] = [],
      ids = new BigInt64Array(B * L),
      ends: number[] = [];
    for (let gi = 0; gi < o.groups; gi++) {
      for (let c = 0; c < K; c++) {
        const list = byClass[c]!;
        const img = images.image(list[r.int(list.length)]!);
        pix.push(normalizeToChw(r.next() < 0.5 ? flipHorizontal(img) : img));
        const caption = o.captions[c]![r.int(o.captions[c]!.length)]!;
        const b = gi * K + c;
        // rows past the end token are never attended to (causal mask); they repeat the end token
        for (let j = 0; j < L; j++) ids[b * L + j] = BigInt(row.get(caption[Math.min(j, caption.length - 1)]!)!);
        ends.push(caption.length - 1);
      }
    }
    const out = await session.run({
      ...state,
      [step.inputs.pixels]: stackImages(pix),
      [step.inputs.tokens]: hostTensor('int64', [B, L], ids),
      [step.inputs.eot]: endTokenOneHot(ends, L),
      [step.spec.lr]: hostTensor('float32', [], Float32Array.of(pretrainLr(s, o))),
      [step.spec.step!]: hostTensor('float32', [], Float32Array.of(s + 1)),
    });
    for (const { from, to } of step.spec.carry) state[to] = out[from]!;
    const loss = Number((await out[step.spec.loss]!.read()).data[0]);
    if (!Number.isFinite(loss)) throw new Error(`pre-training diverged at step ${s} (loss ${loss}); lower the learning rate`);
    losses.push(loss);
    if (o.log && ((s + 1) % (o.logEvery ?? 50) === 0 || s === o.steps - 1)) {
      const logits = (await out.logits!.read()).data as Float32Array;
      let hits = 0;
      for (let i = 0; i < B; i++) {
        let best = 0;
        for (let j = 1; j < K; j++) if (logits[i * K + j]! > logits[i * K + best]!) best = j;
        if (best === i % K) hits++;
      }
      const scale = (await readState(`${init.prefix}.logit_scale`)).data[0] as number;
      o.log(s + 1, loss, hits / B, Math.exp(scale));
    }
  }
  await session.release();

  const tensors = new Map<string, HostTensor>();
  for (const name of init.tensors.keys()) tensors.set(name, await readState(`${init.prefix}.${name}`));
  const small = await readState(step.tokenTable);
  const full = hostTensor('float32', [cfg.text.vocabSize, cfg.text.width]);
  vocab.forEach((id, i) => {
    (full.data as Float32Array).set(
      (small.data as Float32Array).subarray(i * cfg.text.width, (i + 1) * cfg.text.width),
      id * cfg.text.width,
    );
  });
  return { weights: { ...init, tensors }, tokenEmbedding: full, losses };
}
