// Run settings in the URL hash (`#epochs=4&batch=16&backend=wasm`), so a run can be shared as a link
// or scripted by a classroom page. Pure: parse, validate, clamp to the model and write back.
import type { EngineBackend as Backend, RunSettings } from '../worker/protocol.ts';

export type { RunSettings };

export type SettingKey = keyof RunSettings;

/** The paper's base-to-new settings (PromptKD, ViT-B/16 student, 4+4 context). */
export const PAPER_SETTINGS: RunSettings = {
  epochs: 20, batch: 8, lr: 0.005, T: 1, kd: 1000, depth: 9, nctx: 4,
  evalEvery: 200, ckptEvery: 100, backend: 'webgpu', augment: true, seed: 1,
};

/** The one-click demo: tiny models, big batch, few epochs, centre views only, so it ends in 1–2 minutes on a laptop. */
export const DEMO_SETTINGS: RunSettings = {
  ...PAPER_SETTINGS, epochs: 3, batch: 32, depth: 2, evalEvery: 25, ckptEvery: 25, augment: false, seed: 7,
};

type Rule =
  | { type: 'int'; min: number; max: number }
  | { type: 'number'; min: number; max: number; exclusiveMin?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' };

const RULES: Record<SettingKey, Rule> = {
  epochs: { type: 'int', min: 1, max: 1000 },
  batch: { type: 'int', min: 2, max: 512 }, // BatchNorm needs a batch variance
  lr: { type: 'number', min: 0, max: 10, exclusiveMin: true },
  T: { type: 'number', min: 0, max: 100, exclusiveMin: true },
  kd: { type: 'number', min: 0, max: 1e6, exclusiveMin: true },
  depth: { type: 'int', min: 1, max: 48 },
  nctx: { type: 'int', min: 1, max: 64 },
  evalEvery: { type: 'int', min: 1, max: 1e6 },
  ckptEvery: { type: 'int', min: 1, max: 1e6 },
  backend: { type: 'enum', values: ['webgpu', 'wasm'] },
  augment: { type: 'bool' },
  seed: { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
};

export const SETTING_KEYS = Object.keys(RULES) as SettingKey[];

export const SETTING_LABELS: Record<SettingKey, string> = {
  epochs: 'Epochs', batch: 'Batch size', lr: 'Learning rate', T: 'Temperature T', kd: 'KD weight',
  depth: 'Prompt depth', nctx: 'Prompt tokens', evalEvery: 'Evaluate every (steps)', ckptEvery: 'Checkpoint every (steps)',
  backend: 'Backend', augment: 'Augment', seed: 'Seed',
};

const describeRule = (r: Rule): string => {
  switch (r.type) {
    case 'int': return `a whole number from ${r.min} to ${r.max}`;
    case 'number': return `a number ${r.exclusiveMin ? 'above' : 'from'} ${r.min} up to ${r.max}`;
    case 'enum': return `one of ${r.values.join(', ')}`;
    case 'bool': return 'true or false (1 or 0)';
  }
};

/** The value of one setting from its text, or a message saying what it should be. */
export function parseSetting<K extends SettingKey>(key: K, text: string): { value: RunSettings[K] } | { error: string } {
  const rule = RULES[key];
  const bad = { error: `${key}=${text || '(empty)'} is not valid: use ${describeRule(rule)}` };
  const t = text.trim();
  if (rule.type === 'enum') return rule.values.includes(t) ? { value: t as RunSettings[K] } : bad;
  if (rule.type === 'bool') {
    if (t === 'true' || t === '1') return { value: true as RunSettings[K] };
    if (t === 'false' || t === '0') return { value: false as RunSettings[K] };
    return bad;
  }
  // Number('') is 0 and Number('0x10') is 16: accept plain decimal/exponent notation only
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return bad;
  const x = Number(t);
  if (rule.type === 'int' && !Number.isInteger(x)) return bad;
  const low = rule.type === 'number' && rule.exclusiveMin ? x <= rule.min : x < rule.min;
  if (low || x > rule.max) return bad;
  return { value: x as RunSettings[K] };
}

export interface ParsedHash {
  settings: RunSettings;
  /** keys the hash named with a valid value */
  given: SettingKey[];
  /** one line per bad or unknown entry; its default was used instead */
  problems: string[];
}

/** Read `#key=value&…` over `defaults`; anything wrong is named in `problems` and left at its default. */
export function parseHash(hash: string, defaults: RunSettings): ParsedHash {
  const settings = { ...defaults };
  const given: SettingKey[] = [];
  const problems: string[] = [];
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  for (const [key, text] of params) {
    if (!(key in RULES)) {
      problems.push(`unknown setting "${key}" ignored (known: ${SETTING_KEYS.join(', ')})`);
      continue;
    }
    const k = key as SettingKey;
    const r = parseSetting(k, text);
    if ('error' in r) {
      problems.push(`${r.error}; using the default ${String(defaults[k])}`);
      continue;
    }
    (settings as Record<SettingKey, unknown>)[k] = r.value;
    if (!given.includes(k)) given.push(k);
  }
  return { settings, given, problems };
}

/** `#key=value&…` of the settings that differ from `defaults` (empty string when none do). */
export function formatHash(settings: RunSettings, defaults: RunSettings): string {
  const params = new URLSearchParams();
  for (const k of SETTING_KEYS) if (settings[k] !== defaults[k]) params.set(k, String(settings[k]));
  const s = params.toString();
  return s ? `#${s}` : '';
}

/** Limits that depend on the student model; the prompt depth cannot exceed its vision layers. */
export function clampToModel(settings: RunSettings, model: { visionLayers: number }): { settings: RunSettings; notes: string[] } {
  if (settings.depth <= model.visionLayers) return { settings, notes: [] };
  return {
    settings: { ...settings, depth: model.visionLayers },
    notes: [`depth ${settings.depth} is more than the student's ${model.visionLayers} vision layers: using ${model.visionLayers}`],
  };
}

export interface EffectiveSettings extends ParsedHash {
  /** the defaults the hash was read against (demo or paper) */
  defaults: RunSettings;
  demoDefaults: boolean;
  /** changes made to fit the model or the browser */
  notes: string[];
}

/**
 * The settings a run starts with: the hash over the demo defaults (demo or no student chosen) or the
 * paper's, depth clamped to the student, and WASM when the hash asks for WebGPU the browser cannot give
 * (a usable WebGPU that is not the default, a software adapter, is still taken when the hash asks).
 */
export function effectiveSettings(
  hash: string,
  student: { source: string; visionLayers: number } | null,
  available: Backend | null,
  webgpuUsable = available === 'webgpu',
): EffectiveSettings {
  const demoDefaults = !student || student.source === 'demo';
  const defaults = { ...(demoDefaults ? DEMO_SETTINGS : PAPER_SETTINGS), ...(available ? { backend: available } : {}) };
  const parsed = parseHash(hash, defaults);
  const clamped = student ? clampToModel(parsed.settings, student) : { settings: parsed.settings, notes: [] };
  const notes = [...clamped.notes];
  let settings = clamped.settings;
  if (settings.backend === 'webgpu' && available === 'wasm' && !webgpuUsable) {
    notes.push('backend=webgpu asked for, but WebGPU is not usable here: using wasm');
    settings = { ...settings, backend: 'wasm' };
  }
  return { ...parsed, settings, defaults, demoDefaults, notes };
}
