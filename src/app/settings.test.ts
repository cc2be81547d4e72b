import { describe, expect, it } from 'vitest';
import { RUN_SETTINGS, STUDIO_OPTIONS } from '../engine/surface.ts';
import {
  clampToModel,
  DEMO_SETTINGS,
  effectiveSettings,
  effectiveTeacherSettings,
  PAPER_SETTINGS,
  startRequestOf,
  STUDIO_RUN_SETTINGS,
  webGpuEntryOf,
} from './settings.ts';

describe('clampToModel', () => {
  it('limits the prompt depth to the student layers, with a note', () => {
    expect(clampToModel(PAPER_SETTINGS, { visionLayers: 12 })).toEqual({ settings: PAPER_SETTINGS, notes: [] });
    const c = clampToModel(PAPER_SETTINGS, { visionLayers: 2 });
    expect(c.settings.depth).toBe(2);
    expect(c.notes).toEqual(['prompt depth 9 needs 9 vision layers, but the student has 2: using 2']);
  });
});

describe('effectiveSettings', () => {
  const demo = { source: 'demo', visionLayers: 2 };
  const vitB = { source: 'hub', visionLayers: 12 };

  it("uses the demo defaults for the demo student (or none), the paper's otherwise", () => {
    expect(effectiveSettings('', demo, 'webgpu')).toMatchObject({ settings: DEMO_SETTINGS, demoDefaults: true, notes: [] });
    expect(effectiveSettings('', null, 'webgpu').demoDefaults).toBe(true);
    expect(effectiveSettings('', vitB, 'webgpu').settings).toEqual({ ...PAPER_SETTINGS, keepCheckpoints: 3, backend: 'webgpu' });
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

  it('keeps a float16 student only on WebGPU with shader-f16, and says why it stays float32 elsewhere', () => {
    expect(effectiveSettings('#studentFp16=1', vitB, 'webgpu', true, true)).toMatchObject({ settings: { studentFp16: true }, notes: [] });
    expect(effectiveSettings('#studentFp16=1', vitB, 'webgpu', true, false)).toMatchObject({
      settings: { studentFp16: false },
      notes: ["a float16 student needs WebGPU with shader-f16, and this GPU's adapter lacks shader-f16: the student stays float32"],
    });
    expect(effectiveSettings('#studentFp16=1', vitB, 'wasm', false, true)).toMatchObject({
      settings: { studentFp16: false },
      notes: ['a float16 student needs WebGPU with shader-f16, and the studio computes on wasm: the student stays float32'],
    });
  });

  it("shares the hash with the teacher's settings: each reads its own names, unknown names are named once", () => {
    const hash = '#epochs=2&teacherEpochs=7&shots=4&bogus=1';
    const run = effectiveSettings(hash, vitB, 'webgpu');
    expect(run.settings.epochs).toBe(2);
    expect(run.problems).toEqual([expect.stringMatching(/^unknown setting "bogus" ignored/)]);
    const teacher = effectiveTeacherSettings(hash, { source: 'hub' });
    expect(teacher.settings).toMatchObject({ epochs: 7, shots: 4, batchSize: 8, depth: 9 });
    expect(teacher.problems).toEqual([]);
    expect(effectiveTeacherSettings('', null)).toMatchObject({ demoDefaults: true, settings: { augment: false } });
  });

  it("knows the page's own entry ep (the WebGPU backend to try first), which is no run setting", () => {
    expect(effectiveSettings('#ep=jsep&epochs=3', vitB, 'webgpu').problems).toEqual([]);
    expect(webGpuEntryOf('#ep=jsep&epochs=3')).toBe('jsep');
    expect(webGpuEntryOf('#ep=native')).toBeUndefined();
    expect(webGpuEntryOf('')).toBeUndefined();
  });
});

describe("the distillation form: the run's settings and the studio's options", () => {
  it('holds every row of both tables once, the options after the checkpoint interval', () => {
    const keys = STUDIO_RUN_SETTINGS.map((r) => r.key);
    expect([...keys].sort()).toEqual([...RUN_SETTINGS, ...STUDIO_OPTIONS].map((r) => r.key).sort());
    expect(keys.slice(keys.indexOf('ckptEvery'), keys.indexOf('ckptEvery') + 3)).toEqual(['ckptEvery', 'keepCheckpoints', 'backend']);
  });

  it('gives startRun the settings and the options apart', () => {
    const { settings } = effectiveSettings('#keepCkpt=1&backend=wasm&epochs=2', null, 'webgpu');
    expect(startRequestOf(settings)).toEqual({
      settings: { ...DEMO_SETTINGS, epochs: 2 },
      options: { keepCheckpoints: 1, backend: 'wasm' },
    });
  });
});
