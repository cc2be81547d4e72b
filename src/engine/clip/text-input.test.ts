import { describe, expect, it } from 'vitest';
import { hostTensor } from '../graph/tensor.ts';
import { randomHfClip, tinyConfig } from './random-clip.testkit.ts';
import { endTokenOneHot, endTokenPositions, lookupTokenEmbeddings, textTowerInputs } from './text-input.ts';
import { loadClipWeights } from './weights.ts';

const text = tinyConfig().text;

describe('text-tower inputs', () => {
  it('finds the first end token, or the argmax with the legacy eos id 2', () => {
    const ids = hostTensor('int32', [2, 5], Int32Array.from([48, 3, 49, 0, 0, 48, 49, 49, 0, 0]));
    expect(endTokenPositions(ids, text)).toEqual([2, 1]);
    const legacy = hostTensor('int64', [2, 3], BigInt64Array.from([5n, 9n, 1n, 7n, 2n, 7n]));
    expect(endTokenPositions(legacy, { ...text, eosTokenId: 2 })).toEqual([1, 0]);
    expect(() => endTokenPositions(hostTensor('int32', [1, 3], Int32Array.from([48, 1, 0])), text)).toThrow(/row 0 has no end token 49/);
    expect(() => endTokenPositions(hostTensor('float32', [1, 3]), text)).toThrow(/expected int32 or int64/);
  });

  it('builds the one-hot [B, 1, L]', () => {
    expect(Array.from(endTokenOneHot([2, 0], 3).data as Float32Array)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(endTokenOneHot([2, 0], 3).shape).toEqual([2, 1, 3]);
    expect(() => endTokenOneHot([3], 3)).toThrow(/outside 0\.\.2/);
  });

  it('looks up token embeddings on the host', () => {
    const cfg = tinyConfig();
    const src = randomHfClip(cfg, 9);
    const w = loadClipWeights(src, cfg);
    const table = src.get('text_model.embeddings.token_embedding.weight')!.data as Float32Array;
    const W = cfg.text.width;
    const emb = lookupTokenEmbeddings(w, hostTensor('int32', [1, 2], Int32Array.from([7, 0])));
    expect(emb.shape).toEqual([1, 2, W]);
    expect(Array.from(emb.data.subarray(0, W) as Float32Array)).toEqual(Array.from(table.subarray(7 * W, 8 * W)));
    expect(() => lookupTokenEmbeddings(w, hostTensor('int32', [1, 1], Int32Array.of(50)))).toThrow(
      /token id 50 .* outside the vocabulary 0\.\.49/,
    );
    const both = textTowerInputs(w, hostTensor('int32', [1, 3], Int32Array.from([48, 49, 0])));
    expect(Array.from(both.eot.data as Float32Array)).toEqual([0, 1, 0]);
    const visionOnly = loadClipWeights(src, cfg, { towers: ['vision'] });
    expect(() => lookupTokenEmbeddings(visionOnly, hostTensor('int32', [1, 1]))).toThrow(/text tower was not loaded/);
  });
});
