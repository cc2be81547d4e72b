// The studio's settings in the URL hash (`#epochs=4&batch=16&backend=wasm`), so a run can be shared as
// a link or scripted by a classroom page. The rows, their hash names, ranges and defaults are the
// engine's settings tables (engine/promptkd/run-settings.ts, teacher-settings.ts, and the studio's
// own options, engine/settings/studio-options.ts); here they are read over the right defaults,
// clamped to the model and the browser.
import {
  DEFAULT_IMPORT_SETTINGS,
  DEFAULT_STUDIO_OPTIONS,
  DEMO_SETTINGS,
  DEMO_TEACHER_SETTINGS,
  IMPORT_SETTINGS,
  PAPER_SETTINGS,
  parseHash,
  promptDepthProblem,
  PROMPTSRC_SETTINGS,
  RUN_SETTINGS,
  STUDIO_OPTIONS,
  TEACHER_SETTINGS,
  type ImportSettings,
  type ParsedSettings,
  type RunSettings,
  type SettingSpec,
  type SettingsTable,
  type StudioBackend,
  type StudioOptions,
  type TeacherSettings,
} from '../engine/surface.ts';

export { DEMO_SETTINGS, PAPER_SETTINGS, TEACHER_SETTINGS };
export type { RunSettings, TeacherSettings };

/** what the distillation's form holds: the run's settings, and the studio's options beside them */
export type StudioRunSettings = RunSettings & StudioOptions;

/** the form's rows: the run's, with the studio's options after the checkpoint interval */
export const STUDIO_RUN_SETTINGS: SettingsTable<StudioRunSettings> = (() => {
  const at = RUN_SETTINGS.findIndex((row) => row.key === 'ckptEvery') + 1;
  return [...RUN_SETTINGS.slice(0, at), ...STUDIO_OPTIONS, ...RUN_SETTINGS.slice(at)];
})();

/** the run's settings and its studio options apart, as the worker's startRun takes them */
export function startRequestOf(s: StudioRunSettings): { settings: RunSettings; options: StudioOptions } {
  const { backend, keepCheckpoints, ...settings } = s;
  return { settings, options: { backend, keepCheckpoints } };
}

/** every settings table whose rows live in the URL hash: the distillation's, the teacher's, the import's */
export const HASH_TABLES: readonly (readonly SettingSpec[])[] = [STUDIO_RUN_SETTINGS, TEACHER_SETTINGS, IMPORT_SETTINGS];

/** hash entries of the page itself, read once at start-up: `ep=jsep` puts onnxruntime-web's JSEP before its native WebGPU EP */
export const PAGE_HASH_ENTRIES: readonly string[] = ['ep'];

/** the WebGPU backend the page address asks to try first (`#ep=jsep`); undefined: the default order */
export const webGpuEntryOf = (hash: string): 'jsep' | undefined =>
  new URLSearchParams(hash.replace(/^#/, '')).get('ep') === 'jsep' ? 'jsep' : undefined;

/** Limits that depend on the student model; the prompt depth cannot exceed its vision layers. */
export function clampToModel<S extends RunSettings>(settings: S, model: { visionLayers: number }): { settings: S; notes: string[] } {
  const tooDeep = promptDepthProblem(settings.depth, model.visionLayers);
  if (!tooDeep) return { settings, notes: [] };
  return { settings: { ...settings, depth: model.visionLayers }, notes: [`${tooDeep}: using ${model.visionLayers}`] };
}

export interface Effective<S> extends ParsedSettings<S> {
  table: SettingsTable<S>;
  /** the defaults the hash was read against (demo or paper) */
  defaults: S;
  demoDefaults: boolean;
  /** changes made to fit the model or the browser */
  notes: string[];
}

export type EffectiveSettings = Effective<StudioRunSettings>;

/** the hash's entries that belong to `table` (the distillation's and the teacher's share one hash) */
const entriesOf = <S>(table: SettingsTable<S>, hash: string): string => {
  const names = new Set(table.map((s) => s.hash));
  const own = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(hash.replace(/^#/, ''))) if (names.has(k)) own.append(k, v);
  return own.toString();
};

/** names the hash entries that no table knows */
export function unknownHashEntries(hash: string): string[] {
  const known = new Set([...HASH_TABLES.flat().map((s) => s.hash), ...PAGE_HASH_ENTRIES]);
  return [...new URLSearchParams(hash.replace(/^#/, '')).keys()]
    .filter((k) => !known.has(k))
    .map(
      (k) =>
        `unknown setting "${k}" ignored (known: ${STUDIO_RUN_SETTINGS.map((s) => s.hash).join(', ')}, and the teacher's and the import's)`,
    );
}

/**
 * The settings a run starts with: the hash over the demo defaults (demo or no student chosen) or the
 * paper's, depth clamped to the student, and WASM when the hash asks for WebGPU the browser cannot give
 * (a usable WebGPU that is not the default, a software adapter, is still taken when the hash asks).
 * A float16 student only computes on WebGPU with `shader-f16` (`shaderF16`: the adapter has it);
 * elsewhere it stays float32, and a note says so.
 */
export function effectiveSettings(
  hash: string,
  student: { source: string; visionLayers: number } | null,
  available: StudioBackend | null,
  webgpuUsable = available === 'webgpu',
  shaderF16 = false,
): EffectiveSettings {
  const demoDefaults = !student || student.source === 'demo';
  const defaults: StudioRunSettings = {
    ...(demoDefaults ? DEMO_SETTINGS : PAPER_SETTINGS),
    ...DEFAULT_STUDIO_OPTIONS,
    ...(available ? { backend: available } : {}),
  };
  const parsed = parseHash(STUDIO_RUN_SETTINGS, entriesOf(STUDIO_RUN_SETTINGS, hash), defaults);
  const clamped = student ? clampToModel(parsed.settings, student) : { settings: parsed.settings, notes: [] };
  const notes = [...clamped.notes];
  let settings = clamped.settings;
  if (settings.backend === 'webgpu' && available === 'wasm' && !webgpuUsable) {
    notes.push('backend=webgpu asked for, but WebGPU is not usable here: using wasm');
    settings = { ...settings, backend: 'wasm' };
  }
  if (settings.studentFp16 && !(settings.backend === 'webgpu' && shaderF16)) {
    const why = settings.backend === 'webgpu' ? "this GPU's adapter lacks shader-f16" : `the studio computes on ${settings.backend}`;
    notes.push(`a float16 student needs WebGPU with shader-f16, and ${why}: the student stays float32`);
    settings = { ...settings, studentFp16: false };
  }
  return {
    ...parsed,
    problems: [...parsed.problems, ...unknownHashEntries(hash)],
    settings,
    table: STUDIO_RUN_SETTINGS,
    defaults,
    demoDefaults,
    notes,
  };
}

/** Teacher tuning's settings: the hash's teacher entries over PromptSRC's defaults (or the demo's). */
export function effectiveTeacherSettings(hash: string, teacher: { source: string } | null): Effective<TeacherSettings> {
  const demoDefaults = !teacher || teacher.source === 'demo';
  const defaults = demoDefaults ? DEMO_TEACHER_SETTINGS : PROMPTSRC_SETTINGS;
  return {
    ...parseHash(TEACHER_SETTINGS, entriesOf(TEACHER_SETTINGS, hash), defaults),
    table: TEACHER_SETTINGS,
    defaults,
    demoDefaults,
    notes: [],
  };
}

/** The import's settings (how large a copy of each image is kept): the hash's import entries over the defaults. */
export function effectiveImportSettings(hash: string): Effective<ImportSettings> {
  return {
    ...parseHash(IMPORT_SETTINGS, entriesOf(IMPORT_SETTINGS, hash), DEFAULT_IMPORT_SETTINGS),
    table: IMPORT_SETTINGS,
    defaults: DEFAULT_IMPORT_SETTINGS,
    demoDefaults: false,
    notes: [],
  };
}
