import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromOpenAIWeights, ClipConfigError, gridSize, parseClipConfig, visionTokens } from './config.ts';
import { loadSafetensors } from './safetensors.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const fixtureJson = () => JSON.parse(fs.readFileSync(`${FIXTURE}/config.json`, 'utf8')) as Record<string, Record<string, unknown>>;

describe('parseClipConfig', () => {
  it('reads the fixture config.json', () => {
    const c = parseClipConfig(fixtureJson());
    expect(c).toEqual({
      vision: { imageSize: 32, patchSize: 8, width: 48, layers: 3, heads: 4, mlpWidth: 192, layerNormEps: 1e-5 },
      text: { vocabSize: 49408, contextLength: 77, width: 32, layers: 2, heads: 4, mlpWidth: 128, layerNormEps: 1e-5, eosTokenId: 49407 },
      embedDim: 24,
    });
    expect(gridSize(c.vision)).toBe(4);
    expect(visionTokens(c.vision)).toBe(17);
  });

  it('takes transformers defaults for missing fields (a ViT-B/32 text tower)', () => {
    const c = parseClipConfig({ model_type: 'clip', vision_config: { patch_size: 16 }, text_config: {} });
    expect(c.vision).toMatchObject({ imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12 });
    expect(c.text).toMatchObject({ width: 512, layers: 12, heads: 8, contextLength: 77, eosTokenId: 2 });
    expect(c.embedDim).toBe(512);
  });

  it('names what is wrong', () => {
    const gelu = fixtureJson();
    gelu.vision_config!.hidden_act = 'gelu';
    expect(() => parseClipConfig(gelu)).toThrow(/vision_config\.hidden_act is 'gelu', but only 'quick_gelu'/);
    const badHeads = fixtureJson();
    badHeads.text_config!.num_attention_heads = 5;
    expect(() => parseClipConfig(badHeads)).toThrow(/text: width 32 is not divisible by 5 attention heads/);
    const badPatch = fixtureJson();
    badPatch.vision_config!.patch_size = 7;
    expect(() => parseClipConfig(badPatch)).toThrow(/image size 32 is not a multiple of patch size 7/);
    const badType = fixtureJson();
    badType.vision_config!.hidden_size = '48';
    expect(() => parseClipConfig(badType)).toThrow(/vision_config\.hidden_size is "48", expected a positive integer/);
    expect(() => parseClipConfig({ model_type: 'siglip', vision_config: {}, text_config: {} })).toThrow(ClipConfigError);
    expect(() => parseClipConfig({ vision_config: {} })).toThrow(/needs both vision_config and text_config/);
  });
});

describe('configFromOpenAIWeights', () => {
  it('derives the fixture config from the OpenAI-named tensor shapes', async () => {
    const tensors = await loadSafetensors(await fs.openAsBlob(`${FIXTURE}/openai.safetensors`));
    // the tiny fixture uses 12- and 8-wide heads, not OpenAI's 64, so the head counts are given
    expect(configFromOpenAIWeights(tensors, { vision: 4, text: 4 })).toEqual(parseClipConfig(fixtureJson()));
    expect(configFromOpenAIWeights(tensors).vision.heads).toBe(1);
    tensors.delete('visual.conv1.weight');
    expect(() => configFromOpenAIWeights(tensors)).toThrow(/'visual\.conv1\.weight' is missing/);
  });
});
