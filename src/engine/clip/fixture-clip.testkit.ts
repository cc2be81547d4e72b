// For tests: the tiny Hugging Face CLIP of test-data/fixtures (made by make_fixtures.py), loaded from
// its config.json and model.safetensors as a model folder is.
import fs from 'node:fs';
import { parseClipConfig, type ClipConfig } from './config.ts';
import { loadSafetensors } from './safetensors.ts';
import { loadClipWeights, type ClipTower, type ClipWeights } from './weights.ts';

export const FIXTURE_CLIP = 'test-data/fixtures/clip-tiny-a';

/** the fixture's config and weights, of `towers` (both by default) */
export async function loadFixtureClip(towers?: ClipTower[]): Promise<{ cfg: ClipConfig; clip: ClipWeights }> {
  const cfg = parseClipConfig(JSON.parse(fs.readFileSync(`${FIXTURE_CLIP}/config.json`, 'utf8')));
  const clip = loadClipWeights(await loadSafetensors(await fs.openAsBlob(`${FIXTURE_CLIP}/model.safetensors`)), cfg, towers && { towers });
  return { cfg, clip };
}
