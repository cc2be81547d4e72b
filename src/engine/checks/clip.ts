// clip.* checks: the engine's CLIP forward against transformers' outputs in io.safetensors, once
// per weight file (Hugging Face names, and OpenAI names when the fixture has them).
import { configFromOpenAIWeights } from '../clip/config.ts';
import { runClip } from '../clip/model.ts';
import { loadClipWeights, type ClipNaming } from '../clip/weights.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { maxRelError, type Check } from './compare.ts';
import { FixtureError, fixtureConfig, fixtureTensor, fixtureTensors, type FixtureSource } from './fixture-files.ts';

/** CLIP embeds and logits in fp32 (docs/correctness.md) */
export const CLIP_TOLERANCE = 1e-4;

const WEIGHT_FILES: readonly [ClipNaming, string][] = [
  ['hf', 'model.safetensors'],
  ['openai', 'openai.safetensors'],
];

export async function clipChecks(src: FixtureSource, rt: Runtime): Promise<Check[]> {
  const io = await fixtureTensors(src, 'io.safetensors');
  if (!io) return [];
  const pixels = fixtureTensor(io, 'io.safetensors', 'pixel_values'); // [Bi, 3, S, S]
  const ids = fixtureTensor(io, 'io.safetensors', 'input_ids'); // [Bt, 77]
  const config = await fixtureConfig(src);
  const checks: Check[] = [];
  for (const [naming, file] of WEIGHT_FILES) {
    const source = await fixtureTensors(src, file);
    if (!source) continue;
    const cfg = config ?? (naming === 'openai' ? configFromOpenAIWeights(source) : null);
    if (!cfg) throw new FixtureError(`${src.label}: ${file} needs a config.json beside it`);
    const out = await runClip(rt, loadClipWeights(source, cfg, { naming }), pixels, ids);
    const check = (kind: string, ours: typeof out.imageEmbeds) => {
      const ref = fixtureTensor(io, 'io.safetensors', kind);
      checks.push({ name: `clip.${kind}.${naming}`, maxRelError: maxRelError([[ours, ref]], kind), tolerance: CLIP_TOLERANCE });
    };
    check('image_embeds', out.imageEmbeds);
    check('text_embeds', out.textEmbeds);
    check('logits_per_image', out.logitsPerImage);
  }
  return checks;
}
