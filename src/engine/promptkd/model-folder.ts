// A distilled student as a Hugging Face-style model folder, the layout transformers.js loads and
// Python users know:
//
//   config.json               id2label/label2id in the run's label order, the architecture, the models
//   preprocessor_config.json  CLIP's resize, crop, mean and std, as the studio preprocesses
//   onnx/model.onnx           pixel_values [N,3,S,S] → logits [N,C] (fp32), and/or onnx/model_fp16.onnx
//   README.md                 the model card: what it is, classes, accuracy, settings, data counts, licence, use
//   report.json               the run report
//   index.html, classifier.mjs, ort/…   a page that classifies dropped images and the webcam
//
// The studio zips it; the CLI writes it to <out>/model/. Names of the user's files never enter it:
// the data are counted, not listed.
import { CLIP_MEAN, CLIP_STD } from '../clip/preprocess.ts';
import { classifierPageHtml } from './classifier-page-html.ts';
import type { ClassifierPrecision } from './export-onnx.ts';
import { exportSnippets, onnxFileOf, SNIPPET_TITLES, type SnippetKind } from './export-snippets.ts';
import { baseNewSplit, type Accuracy, type EvalProtocol } from './metrics.ts';
import type { RunSettings } from './run-settings.ts';

/** fp16 against fp32 on the run's test set */
export interface Fp16Cost {
  images: number;
  /** the fraction of test images whose top class is the same in both */
  agreement: number;
  /** fp16 minus fp32, as fractions: HM under base-to-new, the accuracy under cross-dataset */
  delta: number;
}

export interface ModelFolderSpec {
  /** the folder's name, as the snippets name it (the studio's: export-snippets.ts modelFolderName; the CLI's: model) */
  name: string;
  /** the model card's and the page's title */
  title: string;
  classes: readonly string[];
  protocol: EvalProtocol;
  student: { id: string; imageSize: number; license: string };
  teacher: { id: string; how: string; license: string };
  step: number;
  settings: RunSettings;
  data: { unlabeled: number; test: number | null };
  accuracy: { student: Accuracy | null; teacher: Accuracy | null; studentZeroShot: Accuracy | null };
  /** the ONNX files: model.onnx, model_fp16.onnx, or both */
  onnx: Partial<Record<ClassifierPrecision, Uint8Array>>;
  /** measured when fp16 was exported and there was a test set */
  fp16Cost: Fp16Cost | null;
  /** report.json's text */
  report: string;
  /** the page's script and onnxruntime-web's files (classifier.mjs, ort/…), made by the page build */
  pageFiles: readonly ExportFile[];
}

export interface ExportFile {
  /** path inside the folder, '/'-separated */
  path: string;
  data: Uint8Array;
}

const PROTOCOL_NAMES: Record<EvalProtocol, string> = {
  base2new: 'base-to-new',
  'cross-dataset': 'cross-dataset',
};

/** the precision transformers.js loads by default: fp32 where the folder has it */
const defaultPrecision = (onnx: ModelFolderSpec['onnx']): ClassifierPrecision => (onnx.fp32 ? 'fp32' : 'fp16');

export function modelConfig(spec: ModelFolderSpec): Record<string, unknown> {
  return {
    // transformers.js maps model_type to a model class: 'vit' is its ViTForImageClassification,
    // which feeds pixel_values and reads logits, as this model's Scan graph takes and gives them
    model_type: 'vit',
    architectures: ['PromptKDStudentForImageClassification'],
    id2label: Object.fromEntries(spec.classes.map((c, i) => [String(i), c])),
    label2id: Object.fromEntries(spec.classes.map((c, i) => [c, i])),
    num_labels: spec.classes.length,
    image_size: spec.student.imageSize,
    num_channels: 3,
    'transformers.js_config': { dtype: defaultPrecision(spec.onnx) },
    promptkd: {
      student: spec.student.id,
      teacher: spec.teacher.id,
      teacher_prompts: spec.teacher.how,
      protocol: spec.protocol,
      step: spec.step,
      onnx: Object.keys(spec.onnx).map((p) => onnxFileOf(p as ClassifierPrecision)),
    },
  };
}

/** CLIPImageProcessor: shorter side to S (bicubic), centre crop S×S, /255, CLIP's mean and std */
export function preprocessorConfig(imageSize: number): Record<string, unknown> {
  return {
    image_processor_type: 'CLIPImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: { shortest_edge: imageSize },
    resample: 3, // PIL.Image.BICUBIC
    do_center_crop: true,
    crop_size: { height: imageSize, width: imageSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [...CLIP_MEAN],
    image_std: [...CLIP_STD],
  };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;

function accuracyTable(spec: ModelFolderSpec): string {
  const rows: [string, Accuracy | null][] = [
    [`this student (step ${spec.step})`, spec.accuracy.student],
    [`teacher (${spec.teacher.how})`, spec.accuracy.teacher],
    ['student CLIP zero-shot (before distillation)', spec.accuracy.studentZeroShot],
  ];
  const known = rows.filter(([, a]) => a !== null) as [string, Accuracy][];
  if (spec.protocol === 'cross-dataset') {
    return ['| model | accuracy (all classes, %) |', '| --- | --- |', ...known.map(([who, a]) => `| ${who} | ${pct(a.base)} |`)].join('\n');
  }
  return [
    '| model | base (%) | new (%) | HM (%) |',
    '| --- | --- | --- | --- |',
    ...known.map(([who, a]) => `| ${who} | ${pct(a.base)} | ${pct(a.new)} | ${pct(a.hm)} |`),
  ].join('\n');
}

function classTable(spec: ModelFolderSpec): string {
  const split = baseNewSplit(spec.classes.length);
  const half = (i: number) => (spec.protocol === 'cross-dataset' ? '' : split.base.includes(i) ? ' base |' : ' new |');
  return [
    spec.protocol === 'cross-dataset' ? '| label | class |' : '| label | class | half |',
    spec.protocol === 'cross-dataset' ? '| --- | --- |' : '| --- | --- | --- |',
    ...spec.classes.map((c, i) => `| ${i} | ${c.replaceAll('|', '\\|')} |${half(i)}`),
  ].join('\n');
}

function fp16Lines(spec: ModelFolderSpec): string {
  const cost = spec.fp16Cost;
  const what = spec.protocol === 'cross-dataset' ? 'accuracy' : 'HM';
  if (!cost) return 'fp16 against fp32: not measured (no fp16 file, or no test set).';
  const sign = cost.delta > 0 ? '+' : '';
  return `fp16 against fp32 on the ${cost.images} test images: the same top-1 class on ${pct(cost.agreement)} % of them; ${what} ${sign}${(100 * cost.delta).toFixed(2)} points.`;
}

const SETTING_ROWS: [keyof RunSettings, string][] = [
  ['epochs', 'epochs'],
  ['batchSize', 'batch size'],
  ['lr', 'learning rate'],
  ['temperature', 'temperature'],
  ['kdWeight', 'KD weight'],
  ['depth', 'prompt depth'],
  ['nCtx', 'prompt tokens per layer'],
  ['augment', 'augmentation'],
  ['seed', 'seed'],
];

/** the model card (README.md) */
export function modelCard(spec: ModelFolderSpec): string {
  const S = spec.student.imageSize,
    C = spec.classes.length;
  const files = (Object.entries(spec.onnx) as [ClassifierPrecision, Uint8Array][]).map(
    ([p, bytes]) =>
      `- \`${onnxFileOf(p)}\` (${p}, ${mb(bytes.length)}): \`pixel_values\` float32 [N,3,${S},${S}] → \`logits\` float32 [N,${C}]`,
  );
  const precision = defaultPrecision(spec.onnx);
  const snippets = exportSnippets({ folder: spec.name, imageSize: S, precision });
  const lang: Record<SnippetKind, string> = { 'transformers.js': 'js', 'onnxruntime-web': 'js', python: 'python' };
  const both = spec.student.license === spec.teacher.license;
  return `---
library_name: transformers.js
pipeline_tag: image-classification
tags:
  - promptkd
  - clip
  - knowledge-distillation
  - onnx
---

# ${spec.title}

An image classifier for ${C} classes, distilled with PromptKD (Li et al., CVPR 2024) in PromptKD Studio.
The student CLIP \`${spec.student.id}\` learned visual prompts and a projector by imitating the teacher
CLIP \`${spec.teacher.id}\` (${spec.teacher.how}) on unlabeled images. Its classifier is the teacher's text
features of the class names, baked in: it needs no text tower, no tokenizer and no labels to run.

## Classes

${classTable(spec)}

## How well it does

Protocol: **${PROTOCOL_NAMES[spec.protocol]}**. ${
    spec.protocol === 'cross-dataset'
      ? 'Every test image is scored among all classes; one accuracy (no base/new split, no HM).'
      : 'The first half of the classes (rounded up) are base, the rest new; a base test image is scored among the base classes, a new one among the new; HM is the harmonic mean of the two.'
  }

${spec.accuracy.student ? accuracyTable(spec) : 'No test set was given: no accuracy was measured.'}

${fp16Lines(spec)}

## Settings

| setting | value |
| --- | --- |
${SETTING_ROWS.map(([k, name]) => `| ${name} | ${String(spec.settings[k])} |`).join('\n')}
| steps | ${spec.step} |

## Data

${spec.data.unlabeled} unlabeled images to distil on${spec.data.test === null ? ', no test set' : `, ${spec.data.test} labeled test images`}. The images and their names are not part of this folder.

## Files

${files.join('\n')}
- \`config.json\`: labels (\`id2label\`, \`label2id\`) in label order, the models; \`preprocessor_config.json\`: CLIP's preprocessing (shorter side to ${S} px bicubic, centre crop, mean/std)
- \`index.html\`: a page that classifies images and the webcam; serve this folder (\`npx serve .\` or \`python3 -m http.server\`) and open it
- \`report.json\`: the run report

## Use it

${(Object.keys(snippets) as SnippetKind[]).map((k) => `### ${SNIPPET_TITLES[k]}\n\n\`\`\`${lang[k]}\n${snippets[k]}\`\`\``).join('\n\n')}

## Licence

${both ? `Both base models: ${spec.student.license}.` : `The student's base model: ${spec.student.license}. The teacher: ${spec.teacher.license}.`} The distilled prompts and projector are derived from them.
`;
}

const text = (s: string) => new TextEncoder().encode(s);
const json = (v: unknown) => text(`${JSON.stringify(v, null, 2)}\n`);

/** every file of the folder */
export function modelFolderFiles(spec: ModelFolderSpec): ExportFile[] {
  return [
    ...(Object.entries(spec.onnx) as [ClassifierPrecision, Uint8Array][]).map(([p, data]) => ({ path: onnxFileOf(p), data })),
    { path: 'config.json', data: json(modelConfig(spec)) },
    { path: 'preprocessor_config.json', data: json(preprocessorConfig(spec.student.imageSize)) },
    { path: 'README.md', data: text(modelCard(spec)) },
    { path: 'report.json', data: text(spec.report) },
    { path: 'index.html', data: text(classifierPageHtml(spec.title)) },
    ...spec.pageFiles,
  ];
}

/** the licence of a base CLIP, by its id: OpenAI's CLIPs are MIT; the demo's are this project's */
export function baseModelLicense(id: string): string {
  if (id.startsWith('openai/clip-')) return 'MIT (OpenAI CLIP)';
  if (id.startsWith('demo-')) return "MIT (PromptKD Studio's demo CLIP, trained on Fashion-MNIST, MIT)";
  return `the licence of ${id} (see its own model card)`;
}
