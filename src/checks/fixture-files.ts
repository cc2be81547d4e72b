// Reading a fixture directory (layout: make_fixtures.py's docstring) from wherever it lives: a
// folder on disk (the CLI) or a URL (the browser harness, so the same checks run on WebGPU and
// WASM). Absent files are null, so a suite can skip what a fixture does not have; present but
// broken files throw.
import { parseClipConfig, type ClipConfig } from '../engine/clip/config.ts';
import { loadSafetensors } from '../engine/clip/safetensors.ts';
import type { HostTensor } from '../engine/runtime/tensor.ts';
import { FixtureError } from './compare.ts';

export interface FixtureSource {
  /** the directory or URL, for messages */
  readonly label: string;
  /** a file of the fixture by its relative path, or null when it has none */
  file(rel: string): Promise<Blob | null>;
}

/** a fixture served over HTTP (404 = absent) */
export function httpFixtureSource(baseUrl: string): FixtureSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    label: base,
    async file(rel) {
      const res = await fetch(new URL(rel, new URL(base, globalThis.location?.href)));
      if (res.status === 404) return null;
      if (!res.ok) throw new FixtureError(`${base}${rel}: HTTP ${res.status}`);
      return res.blob();
    },
  };
}

const where = (src: FixtureSource, rel: string) => `${src.label.replace(/\/$/, '')}/${rel}`;

/** every tensor of a safetensors file in the fixture, or null when the file is absent */
export async function fixtureTensors(src: FixtureSource, rel: string): Promise<Map<string, HostTensor> | null> {
  const blob = await src.file(rel);
  if (!blob) return null;
  try {
    return await loadSafetensors(blob);
  } catch (e) {
    throw new FixtureError(`${where(src, rel)}: ${(e as Error).message}`);
  }
}

/** a tensor the fixture file must have */
export function fixtureTensor(file: ReadonlyMap<string, HostTensor>, rel: string, name: string): HostTensor {
  const t = file.get(name);
  if (!t) throw new FixtureError(`${rel} has no tensor '${name}'`);
  return t;
}

/** a JSON file of the fixture, or null when absent */
export async function fixtureJson(src: FixtureSource, rel: string): Promise<unknown> {
  const blob = await src.file(rel);
  if (!blob) return null;
  try {
    return JSON.parse(await blob.text());
  } catch (e) {
    throw new FixtureError(`${where(src, rel)}: ${(e as Error).message}`);
  }
}

/** the fixture's Hugging Face config.json, or null when absent */
export async function fixtureConfig(src: FixtureSource): Promise<ClipConfig | null> {
  const json = await fixtureJson(src, 'config.json');
  if (json === null) return null;
  try {
    return parseClipConfig(json);
  } catch (e) {
    throw new FixtureError(`${where(src, 'config.json')}: ${(e as Error).message}`);
  }
}
