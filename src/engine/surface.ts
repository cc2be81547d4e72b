// What the studio's React shell (src/app) may use of the engine: pure data and rules, no runtime,
// no models, nothing that would pull onnxruntime or the graph builders into the main thread. The
// app talks to the rest of the engine through the worker (src/worker/protocol.ts). The layer rules
// (.dependency-cruiser.cjs) keep src/app to this file.
export { classNamesOf, classOfPath } from './data/image-folder.ts';
export { DEFAULT_IMPORT_SETTINGS, IMPORT_SETTINGS, REDUCED_EDGE, type ImportSettings } from './data/import-settings.ts';
export {
  fewShotItems,
  imageFolderPath,
  parseSplitFile,
  SplitFileError,
  splitImages,
  splitRoot,
  type SplitFile,
  type SplitImages,
  type SplitItem,
} from './data/split-file.ts';
export { classesMismatch, recipeMismatch, type LabelRecipe, type ViewDemand } from './promptkd/label-recipe.ts';
export { DEMO_SETTINGS, PAPER_SETTINGS, promptDepthProblem, RUN_SETTINGS, type RunSettings } from './promptkd/run-settings.ts';
export { DEFAULT_STUDIO_OPTIONS, STUDIO_OPTIONS, type StudioBackend, type StudioOptions } from './settings/studio-options.ts';
export { bestOnBase, singleClassHalf, type EvalProtocol } from './promptkd/metrics.ts';
export { exportSnippets, modelFolderName, SNIPPET_IMAGE, SNIPPET_TITLES, type SnippetKind } from './promptkd/export-snippets.ts';
export { SERVE_LINE } from './promptkd/classifier-page-html.ts';
export { DEMO_TEACHER_SETTINGS, PROMPTSRC_SETTINGS, TEACHER_SETTINGS, type TeacherSettings } from './promptkd/teacher-settings.ts';
export {
  formatHash,
  formatValue,
  parseHash,
  parseValue,
  type ParsedSettings,
  type SettingSpec,
  type SettingsTable,
  type SettingValue,
} from './settings/table.ts';

// the bundle keeps no graph builder: a type import vanishes when the app is built
import type { ClassifierPrecision } from './promptkd/export-onnx.ts';

export type { ClassifierPrecision };
