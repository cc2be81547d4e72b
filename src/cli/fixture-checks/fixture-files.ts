// Reading a fixture directory (layout: make_fixtures.py's docstring). Absent files are null, so a
// suite can skip what a fixture does not have; present but broken files throw.
import fs from 'node:fs';
import path from 'node:path';
import { parseClipConfig, type ClipConfig } from '../../engine/clip/config.ts';
import { loadSafetensors } from '../../engine/clip/safetensors.ts';
import type { HostTensor } from '../../engine/runtime/tensor.ts';
import { FixtureError } from './compare.ts';

export const fixturePath = (dir: string, rel: string): string | null => {
  const p = path.join(dir, rel);
  return fs.existsSync(p) ? p : null;
};

/** every tensor of a safetensors file in the fixture, or null when the file is absent */
export async function fixtureTensors(dir: string, rel: string): Promise<Map<string, HostTensor> | null> {
  const p = fixturePath(dir, rel);
  if (!p) return null;
  try {
    return await loadSafetensors(await fs.openAsBlob(p));
  } catch (e) {
    throw new FixtureError(`${p}: ${(e as Error).message}`);
  }
}

/** a tensor the fixture file must have */
export function fixtureTensor(file: ReadonlyMap<string, HostTensor>, rel: string, name: string): HostTensor {
  const t = file.get(name);
  if (!t) throw new FixtureError(`${rel} has no tensor '${name}'`);
  return t;
}

/** the fixture's Hugging Face config.json, or null when absent */
export function fixtureConfig(dir: string): ClipConfig | null {
  const p = fixturePath(dir, 'config.json');
  if (!p) return null;
  try {
    return parseClipConfig(JSON.parse(fs.readFileSync(p, 'utf8')));
  } catch (e) {
    throw new FixtureError(`${p}: ${(e as Error).message}`);
  }
}
