// Host-side text inputs of the teacher: class prompts from templates, tokenized, embedded and cut
// after the longest end token (the causal mask makes later positions irrelevant, and a 77-token
// text tower costs several times a 10-token one).
import { tokenize } from '../clip/tokenizer.ts';
import { endTokenOneHot, lookupTokenEmbeddings } from '../clip/text-input.ts';
import type { ClipWeights } from '../clip/weights.ts';
import { hostTensor, type HostTensor } from '../runtime/tensor.ts';
import { CTX_INIT_PHRASE } from './teacher-prompts.ts';

/** the paper's zero-shot prompt */
export const ZERO_SHOT_TEMPLATES: readonly string[] = ['a photo of a {}.'];

/** a small prompt ensemble in the spirit of CLIP's zero-shot ImageNet prompts */
export const ENSEMBLE_TEMPLATES: readonly string[] = [
  'a photo of a {}.', 'a bad photo of the {}.', 'a photo of the large {}.', 'a photo of the small {}.',
  'art of the {}.', 'a close-up photo of a {}.',
];

export class TeacherTextError extends Error {
  override name = 'TeacherTextError';
}

/** Dassl's class names use '_' for spaces (PromptSRC replaces them before prompting). */
export function classPrompt(template: string, className: string): string {
  if (!template.includes('{}')) throw new TeacherTextError(`prompt template '${template}' has no '{}' for the class name`);
  return template.replace('{}', className.replaceAll('_', ' '));
}

export interface ClassTextInputs {
  /** [C,L,Wt] token embeddings */
  readonly tokenEmbeds: HostTensor;
  /** [C,1,L] one-hot of each row's end token */
  readonly eot: HostTensor;
  /** L: positions kept (the longest prompt's end token + 1) */
  readonly length: number;
}

/** The text-tower inputs for `texts`, cut to the longest prompt. */
export function classTextInputs(clip: ClipWeights, texts: readonly string[]): ClassTextInputs {
  if (texts.length === 0) throw new TeacherTextError('no class prompts to encode');
  const ctx = clip.config.text.contextLength;
  const { ids, eot } = tokenize(texts, ctx);
  eot.forEach((p, i) => {
    if (p === ctx - 1) throw new TeacherTextError(`the prompt '${texts[i]}' does not fit in ${ctx} tokens; shorten the class name`);
  });
  const L = Math.max(...eot) + 1;
  const full = ids.data as Int32Array;
  const cut = new Int32Array(texts.length * L);
  for (let r = 0; r < texts.length; r++) cut.set(full.subarray(r * ctx, r * ctx + L), r * L);
  return { tokenEmbeds: lookupTokenEmbeddings(clip, hostTensor('int32', [texts.length, L], cut)), eot: endTokenOneHot(eot, L), length: L };
}

/** [k,Wt]: token embeddings of the init phrase's k tokens ("a photo of a"), PromptSRC's ctx init. */
export function initPhraseEmbedding(clip: ClipWeights): HostTensor {
  const { ids, eot } = tokenize([CTX_INIT_PHRASE], clip.config.text.contextLength);
  const k = eot[0]! - 1;
  const phrase = hostTensor('int32', [1, k], (ids.data as Int32Array).slice(1, 1 + k));
  const embeds = lookupTokenEmbeddings(clip, phrase); // [1,k,Wt]
  return hostTensor('float32', [k, clip.config.text.width], embeds.data);
}
