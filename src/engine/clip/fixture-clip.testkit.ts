// For tests: the tiny Hugging Face CLIP of test-data/fixtures (made by make_fixtures.py), or another
// CLIP folder of the repository, loaded from its config.json and model.safetensors as a model folder is.
import fs from 'node:fs';
import { parseClipConfig, type ClipConfig } from './config.ts';
import { loadSafetensors } from './safetensors.ts';
import { loadClipWeights, type ClipTower, type ClipWeights } from './weights.ts';

export const FIXTURE_CLIP = 'test-data/fixtures/clip-tiny-a';

/** the config and weights of a CLIP folder of the repository (the fixture's, or models/demo-*), of `towers` (both by default) */
export async function loadFixtureClip(towers?: ClipTower[], dir = FIXTURE_CLIP): Promise<{ cfg: ClipConfig; clip: ClipWeights }> {
  const cfg = parseClipConfig(JSON.parse(fs.readFileSync(`${dir}/config.json`, 'utf8')));
  const clip = loadClipWeights(await loadSafetensors(await fs.openAsBlob(`${dir}/model.safetensors`)), cfg, towers && { towers });
  return { cfg, clip };
}
