// Host-side inputs of the text tower: token-embedding lookup and the end-token one-hot.
// The lookup stays off the device because the table ([49408, W], 151 MB at ViT-L/14) is larger
// than WebGPU's default storage binding.
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import type { ClipTextConfig } from './config.ts';
import type { ClipWeights } from './weights.ts';

export class TextInputError extends Error {
  override name = 'TextInputError';
}

/** Token ids as a [B, L] tensor (int32 from the tokenizer or a fixture, int64 from PyTorch). */
function idRows(ids: HostTensor): { B: number; L: number; at: (i: number) => number } {
  if (ids.shape.length !== 2 || (ids.dtype !== 'int32' && ids.dtype !== 'int64')) {
    throw new TextInputError(`token ids are ${ids.dtype}[${ids.shape.join(',')}], expected int32 or int64 [B, L]`);
  }
  const d = ids.data;
  const at = d instanceof BigInt64Array ? (i: number) => Number(d[i]!) : (i: number) => d[i] as number;
  return { B: ids.shape[0]!, L: ids.shape[1]!, at };
}

/**
 * The pooled position of each row, as Hugging Face picks it: the first end token, or with the
 * legacy eos_token_id 2 the argmax of the ids (which is the end token 49407 for real text).
 */
export function endTokenPositions(ids: HostTensor /* [B, L] */, text: ClipTextConfig): number[] {
  const { B, L, at } = idRows(ids);
  const out: number[] = [];
  for (let r = 0; r < B; r++) {
    let pos = -1;
    if (text.eosTokenId === 2) {
      for (let j = 0, best = -Infinity; j < L; j++)
        if (at(r * L + j) > best) {
          best = at(r * L + j);
          pos = j;
        }
    } else {
      for (let j = 0; j < L && pos < 0; j++) if (at(r * L + j) === text.eosTokenId) pos = j;
    }
    if (pos < 0) throw new TextInputError(`token row ${r} has no end token ${text.eosTokenId}`);
    out.push(pos);
  }
  return out;
}

/** positions → [B, 1, L] one-hot float32, the text tower's `eot` input */
export function endTokenOneHot(positions: readonly number[], L: number): HostTensor {
  const t = hostTensor('float32', [positions.length, 1, L]);
  positions.forEach((p, r) => {
    if (!Number.isInteger(p) || p < 0 || p >= L) throw new TextInputError(`end-token position ${p} of row ${r} is outside 0..${L - 1}`);
    t.data[r * L + p] = 1;
  });
  return t;
}

/** ids [B, L] → token embeddings [B, L, W] float32, the text tower's `tokenEmbeds` input */
export function lookupTokenEmbeddings(w: ClipWeights, ids: HostTensor /* [B, L] */): HostTensor {
  const table = w.tokenEmbedding;
  if (!table) throw new TextInputError('the text tower was not loaded, so there is no token-embedding table');
  const [V, W] = table.shape as [number, number];
  const { B, L, at } = idRows(ids);
  const src = table.data as Float32Array;
  const out = hostTensor('float32', [B, L, W]);
  const dst = out.data as Float32Array;
  for (let i = 0; i < B * L; i++) {
    const id = at(i);
    if (!Number.isInteger(id) || id < 0 || id >= V) {
      throw new TextInputError(`token id ${id} at row ${Math.floor(i / L)}, position ${i % L} is outside the vocabulary 0..${V - 1}`);
    }
    dst.set(src.subarray(id * W, (id + 1) * W), i * W);
  }
  return out;
}

export interface TextTowerInputs {
  /** [B, L, W] */
  readonly tokenEmbeds: HostTensor;
  /** [B, 1, L] */
  readonly eot: HostTensor;
}

/** Both text-tower inputs for token ids [B, L]. */
export function textTowerInputs(w: ClipWeights, ids: HostTensor): TextTowerInputs {
  return { tokenEmbeds: lookupTokenEmbeddings(w, ids), eot: endTokenOneHot(endTokenPositions(ids, w.config.text), ids.shape[1]!) };
}
