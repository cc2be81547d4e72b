// What a studio run has beside its recipe (promptkd/run-settings.ts): where the studio computes, and
// how many of the run's checkpoints the browser keeps. Neither is a setting of the CLI, which has its
// own `--backend cpu|webgpu|cuda` and keeps one checkpoint file. They live in the same URL hash and
// form as the run's settings, and beside them in the stored run.
import type { SettingsTable } from './table.ts';

export type StudioBackend = 'webgpu' | 'wasm';

export interface StudioOptions {
  /** the studio keeps this many of a run's latest checkpoints, plus its best on base */
  keepCheckpoints: number;
  /** where the studio computes */
  backend: StudioBackend;
}

export const STUDIO_OPTIONS: SettingsTable<StudioOptions> = [
  {
    key: 'keepCheckpoints',
    hash: 'keepCkpt',
    flag: null,
    label: 'Checkpoints kept',
    help: 'the studio keeps this many of the latest checkpoints of a run, plus the one with the best base accuracy; older ones are deleted',
    rule: { type: 'int', min: 1, max: 100 },
    advanced: true,
  },
  {
    key: 'backend',
    hash: 'backend',
    flag: null,
    label: 'Backend',
    help: 'where the studio computes: the GPU (WebGPU) or the CPU (WebAssembly)',
    rule: { type: 'enum', values: ['webgpu', 'wasm'] },
  },
];

export const DEFAULT_STUDIO_OPTIONS: StudioOptions = { keepCheckpoints: 3, backend: 'webgpu' };
