import { describe, expect, it } from 'vitest';
import { clampToModel, DEMO_SETTINGS, effectiveSettings, formatHash, PAPER_SETTINGS, parseHash, parseSetting } from './settings.ts';

describe('parseHash', () => {
  it('gives the defaults for an empty hash', () => {
    expect(parseHash('', PAPER_SETTINGS)).toEqual({ settings: PAPER_SETTINGS, given: [], problems: [] });
    expect(parseHash('#', DEMO_SETTINGS).settings).toEqual(DEMO_SETTINGS);
  });

  it('reads every setting', () => {
    const p = parseHash('#epochs=2&batch=16&lr=1e-3&T=2&kd=200&depth=3&nctx=2&evalEvery=10&ckptEvery=5&backend=wasm&augment=0&seed=42', PAPER_SETTINGS);
    expect(p.problems).toEqual([]);
    expect(p.settings).toEqual({
      epochs: 2, batch: 16, lr: 0.001, T: 2, kd: 200, depth: 3, nctx: 2, evalEvery: 10, ckptEvery: 5, backend: 'wasm', augment: false, seed: 42,
    });
    expect(p.given).toHaveLength(12);
  });

  it('keeps the default and names the problem for bad values', () => {
    const p = parseHash('#epochs=0&batch=1&lr=-1&backend=cuda&augment=maybe&depth=2.5&seed=0x10', PAPER_SETTINGS);
    expect(p.settings).toEqual(PAPER_SETTINGS);
    expect(p.given).toEqual([]);
    expect(p.problems).toHaveLength(7);
    expect(p.problems[0]).toBe('epochs=0 is not valid: use a whole number from 1 to 1000; using the default 20');
    expect(p.problems[1]).toMatch(/^batch=1 .* from 2 /);
    expect(p.problems[2]).toMatch(/^lr=-1 .* above 0/);
    expect(p.problems[3]).toMatch(/backend=cuda .* one of webgpu, wasm; using the default webgpu/);
    expect(p.problems[4]).toMatch(/augment=maybe .* true or false/);
  });

  it('names unknown keys and still reads the rest', () => {
    const p = parseHash('#epoch=3&epochs=4', PAPER_SETTINGS);
    expect(p.settings.epochs).toBe(4);
    expect(p.problems).toEqual([expect.stringMatching(/^unknown setting "epoch" ignored/)]);
  });

  it('rejects empty values instead of reading them as 0', () => {
    expect(parseSetting('seed', '')).toEqual({ error: 'seed=(empty) is not valid: use a whole number from 0 to 9007199254740991' });
  });
});

describe('formatHash', () => {
  it('writes only what differs from the defaults, and reads back the same settings', () => {
    expect(formatHash(PAPER_SETTINGS, PAPER_SETTINGS)).toBe('');
    const s = { ...PAPER_SETTINGS, epochs: 3, lr: 0.0025, backend: 'wasm' as const, augment: false };
    const hash = formatHash(s, PAPER_SETTINGS);
    expect(hash).toBe('#epochs=3&lr=0.0025&backend=wasm&augment=false');
    expect(parseHash(hash, PAPER_SETTINGS).settings).toEqual(s);
  });
});

describe('clampToModel', () => {
  it('limits the prompt depth to the student layers, with a note', () => {
    expect(clampToModel(PAPER_SETTINGS, { visionLayers: 12 })).toEqual({ settings: PAPER_SETTINGS, notes: [] });
    const c = clampToModel(PAPER_SETTINGS, { visionLayers: 2 });
    expect(c.settings.depth).toBe(2);
    expect(c.notes).toEqual(['depth 9 is more than the student\'s 2 vision layers: using 2']);
  });
});

describe('effectiveSettings', () => {
  const demo = { source: 'demo', visionLayers: 2 };
  const vitB = { source: 'hub', visionLayers: 12 };

  it('uses the demo defaults for the demo student (or none), the paper\'s otherwise', () => {
    expect(effectiveSettings('', demo, 'webgpu')).toMatchObject({ settings: DEMO_SETTINGS, demoDefaults: true, notes: [] });
    expect(effectiveSettings('', null, 'webgpu').demoDefaults).toBe(true);
    expect(effectiveSettings('', vitB, 'webgpu').settings).toEqual(PAPER_SETTINGS);
  });

  it('clamps the depth to the student and falls back to wasm, saying so', () => {
    const e = effectiveSettings('#depth=9&backend=webgpu&epochs=2', demo, 'wasm');
    expect(e.settings).toMatchObject({ depth: 2, backend: 'wasm', epochs: 2 });
    expect(e.notes).toEqual([expect.stringMatching(/depth 9 .* using 2/), expect.stringMatching(/WebGPU is not usable here: using wasm/)]);
  });

  it('takes the backend the studio chose when the hash names none', () => {
    expect(effectiveSettings('', vitB, 'wasm')).toMatchObject({ settings: { backend: 'wasm' }, notes: [] });
  });

  it('uses a WebGPU that works but is not the default (a software adapter) when the hash asks for it', () => {
    expect(effectiveSettings('#backend=webgpu', demo, 'wasm', true)).toMatchObject({ settings: { backend: 'webgpu' }, notes: [] });
    expect(effectiveSettings('', demo, 'wasm', true).settings.backend).toBe('wasm');
  });
});
