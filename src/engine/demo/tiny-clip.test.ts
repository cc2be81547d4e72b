import { describe, expect, it } from 'vitest';
import { parseClipConfig } from '../clip/config.ts';
import { loadClipWeights } from '../clip/weights.ts';
import { rng } from '../random.ts';
import { hostTensor } from '../graph/tensor.ts';
import { hfConfigJson, initTinyClip, tinyClipConfig, toHfStateDict } from './tiny-clip.ts';

const SIZE = {
  imageSize: 16,
  patchSize: 8,
  visionWidth: 24,
  visionLayers: 2,
  visionHeads: 3,
  textWidth: 16,
  textLayers: 1,
  textHeads: 2,
  embedDim: 12,
};

describe('tiny CLIP export', () => {
  it('round-trips graph-layout weights through a Hugging Face config and state dict', () => {
    const cfg = tinyClipConfig(SIZE);
    const w = initTinyClip(cfg, rng(3));
    const table = hostTensor('float32', [cfg.text.vocabSize, cfg.text.width]);
    table.data[5] = 0.5;
    const hf = toHfStateDict(w, table);
    const parsed = parseClipConfig(JSON.parse(JSON.stringify(hfConfigJson(cfg))));
    expect(parsed).toEqual(cfg);
    const back = loadClipWeights(new Map(Object.entries(hf)), parsed);
    expect(back.naming).toBe('hf');
    expect(back.tokenEmbedding!.data[5]).toBe(0.5);
    let worst = 0;
    for (const [name, t] of w.tensors) {
      const b = back.tensors.get(name)!;
      expect(b.shape).toEqual(t.shape);
      for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs((b.data[i] as number) - (t.data[i] as number)));
    }
    // only the q scale (÷ then × √head_dim) rounds
    expect(worst).toBeLessThan(1e-6);
  });
});
