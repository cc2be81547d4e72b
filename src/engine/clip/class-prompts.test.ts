import { describe, expect, it } from 'vitest';
import { classPromptInputs } from './class-prompts.ts';
import { parseClipConfig } from './config.ts';
import { randomHfClip } from './random-clip.testkit.ts';
import { loadClipWeights } from './weights.ts';

// the real vocabulary needs the real vocab size; the rest stays tiny
const cfg = parseClipConfig({
  vision_config: { image_size: 8, patch_size: 4, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 },
  text_config: { hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, eos_token_id: 49407 },
  projection_dim: 4,
});
const w = loadClipWeights(randomHfClip(cfg, 2), cfg, { towers: ['text'] });

describe('classPromptInputs', () => {
  it('tokenizes "a photo of a {class}." and finds the end tokens', () => {
    const p = classPromptInputs(w, ['cat', 'golden retriever']);
    expect(p.texts).toEqual(['a photo of a cat.', 'a photo of a golden retriever.']);
    expect(Array.from((p.ids.data as Int32Array).subarray(0, 8))).toEqual([49406, 320, 1125, 539, 320, 2368, 269, 49407]);
    expect(p.ids.shape).toEqual([2, 77]);
    expect(p.tokenEmbeds.shape).toEqual([2, 77, 8]);
    expect(p.eot.shape).toEqual([2, 1, 77]);
    expect((p.eot.data as Float32Array)[7]).toBe(1);
  });

  it('trims after the longest prompt without changing the rows', () => {
    const full = classPromptInputs(w, ['cat', 'golden retriever']);
    const trimmed = classPromptInputs(w, ['cat', 'golden retriever'], { trim: true });
    const L = trimmed.ids.shape[1]!;
    expect(L).toBeLessThan(77);
    expect((trimmed.eot.data as Float32Array).subarray(L, 2 * L).indexOf(1)).toBe(L - 1);
    for (let r = 0; r < 2; r++) {
      expect(Array.from((trimmed.ids.data as Int32Array).subarray(r * L, (r + 1) * L))).toEqual(
        Array.from((full.ids.data as Int32Array).subarray(r * 77, r * 77 + L)),
      );
    }
    expect(() => classPromptInputs(w, ['cat'], { template: 'a photo' })).toThrow(/no \{\} for the class name/);
  });
});
