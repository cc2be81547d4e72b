// Reading a fixture directory (layout: make_fixtures.py's docstring) from wherever it lives: a
// folder on disk (the CLI) or a URL (the browser harness, so the same checks run on WebGPU and
// WASM). Absent files are null, so a suite can skip what a fixture does not have; present but
// broken files throw.
import { parseClipConfig, type ClipConfig } from '../clip/config.ts';
import { loadSafetensors } from '../clip/safetensors.ts';
import type { HostTensor } from '../graph/tensor.ts';

/** a fixture folder that is missing, malformed, or does not fit the model it is checked against */
export class FixtureError extends Error {
  override name = 'FixtureError';
}

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

/** a fixture section (a subfolder such as promptkd/): its meta.json, the model beside it and its tensor files */
export interface FixtureSection<K extends string> {
  meta: unknown;
  cfg: ClipConfig;
  model: Map<string, HostTensor>;
  files: Record<K, Map<string, HostTensor>>;
  /** a tensor one of its files must have */
  get(file: K, name: string): HostTensor;
}

/**
 * The section `dir` of the fixture, or null when it has no `dir`/meta.json (the fixture does not cover
 * it); then config.json and model.safetensors beside it and every `dir`/{file}.safetensors must exist.
 */
export async function fixtureSection<K extends string>(
  src: FixtureSource,
  dir: string,
  fileNames: readonly K[],
): Promise<FixtureSection<K> | null> {
  const meta = await fixtureJson(src, `${dir}/meta.json`);
  if (meta === null) return null;
  const cfg = await fixtureConfig(src);
  const model = await fixtureTensors(src, 'model.safetensors');
  if (!cfg || !model) throw new FixtureError(`${src.label}: ${dir}/ needs config.json and model.safetensors beside it`);
  const files = {} as Record<K, Map<string, HostTensor>>;
  for (const k of fileNames) {
    const f = await fixtureTensors(src, `${dir}/${k}.safetensors`);
    if (!f) throw new FixtureError(`${src.label}: ${dir}/${k}.safetensors is missing`);
    files[k] = f;
  }
  return { meta, cfg, model, files, get: (k, name) => fixtureTensor(files[k], `${dir}/${k}.safetensors`, name) };
}
