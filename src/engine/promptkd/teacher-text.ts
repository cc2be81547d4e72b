// The teacher's text side on the host: prompt templates, class names as PromptSRC writes them, and
// the init phrase's embeddings. Prompts are cut after the longest end token (classPromptInputs):
// the causal mask makes later positions irrelevant, and 77 positions cost several times 10.
import { classPromptInputs, type ClassPromptInputs } from '../clip/class-prompts.ts';
import { lookupTokenEmbeddings } from '../clip/text-input.ts';
import { tokenize } from '../clip/tokenizer.ts';
import type { ClipWeights } from '../clip/weights.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { CTX_INIT_PHRASE } from './teacher-prompts.ts';

/** the paper's zero-shot prompt */
export const ZERO_SHOT_TEMPLATES: readonly string[] = ['a photo of a {}.'];

/** a small prompt ensemble in the spirit of CLIP's zero-shot ImageNet prompts */
export const ENSEMBLE_TEMPLATES: readonly string[] = [
  'a photo of a {}.',
  'a bad photo of the {}.',
  'a photo of the large {}.',
  'a photo of the small {}.',
  'art of the {}.',
  'a close-up photo of a {}.',
];

/** Dassl's class names use '_' for spaces; PromptSRC replaces them before prompting. */
export const promptClassName = (className: string): string => className.replaceAll('_', ' ');

/** Text-tower inputs for `classes` under `template`, cut after the longest prompt's end token. */
export function classTextInputs(clip: ClipWeights, classes: readonly string[], template: string): ClassPromptInputs {
  return classPromptInputs(clip, classes.map(promptClassName), { template, trim: true });
}

/** [k,Wt]: token embeddings of the init phrase's k tokens ("a photo of a"), PromptSRC's ctx init. */
export function initPhraseEmbedding(clip: ClipWeights): HostTensor {
  const { ids, eot } = tokenize([CTX_INIT_PHRASE], clip.config.text.contextLength);
  const k = eot[0]! - 1;
  const phrase = hostTensor('int32', [1, k], (ids.data as Int32Array).slice(1, 1 + k));
  const embeds = lookupTokenEmbeddings(clip, phrase); // [1,k,Wt]
  return hostTensor('float32', [k, clip.config.text.width], embeds.data);
}
