// The copy-paste code that runs an exported model folder: JS with transformers.js, JS with
// onnxruntime-web, Python with onnxruntime. The model card, the studio's Results step and the docs
// show these strings, and the tests run these very strings (export-snippets.test.ts, e2e/export-page.spec.ts).
import type { ClassifierPrecision } from './export-onnx.ts';

/** what a snippet needs to know of the export */
export interface SnippetModel {
  /** the export folder's name (the zip's top folder; `<out>/model` from the CLI) */
  folder: string;
  /** the model's input side S: pixel_values is [N,3,S,S] */
  imageSize: number;
  precision: ClassifierPrecision;
}

/** the folder and file names of a run's export at `step` */
export const modelFolderName = (runId: string, step: number): string => `promptkd-student-${runId}-step${step}`;

/** the ONNX file of a precision, as transformers.js names its dtypes */
export const onnxFileOf = (precision: ClassifierPrecision): string => (precision === 'fp16' ? 'onnx/model_fp16.onnx' : 'onnx/model.onnx');

/** the image every snippet classifies: put one beside the folder */
export const SNIPPET_IMAGE = 'photo.jpg';

export type SnippetKind = 'transformers.js' | 'onnxruntime-web' | 'python';

export const SNIPPET_TITLES: Record<SnippetKind, string> = {
  'transformers.js': 'JavaScript, transformers.js (Node or the browser)',
  'onnxruntime-web': 'JavaScript, onnxruntime-web (the browser)',
  python: 'Python, onnxruntime',
};

function transformersJs(m: SnippetModel): string {
  return `import { env, pipeline, RawImage } from '@huggingface/transformers';
// the studio's resize (Pillow's bicubic, as Python does): an image already at the model's size is not
// resized again; classify('${SNIPPET_IMAGE}') also works, but transformers.js' own resize changes a few answers
import { resizedAsStudio } from './${m.folder}/classifier.mjs';

env.allowLocalModels = true; // the model is the local folder (a browser's default is false)
env.allowRemoteModels = false; // nothing is downloaded from the Hub
env.localModelPath = './'; // the folder that holds ${m.folder}/
const classify = await pipeline('image-classification', '${m.folder}', { dtype: '${m.precision}' });
const { data, width, height } = resizedAsStudio(await RawImage.read('${SNIPPET_IMAGE}'), ${m.imageSize});
console.log(await classify(new RawImage(data, width, height, 3), { top_k: 3 }));
`;
}

function onnxruntimeWeb(m: SnippetModel): string {
  return `import * as ort from 'onnxruntime-web';
// the studio's preprocessing (CLIP: bicubic resize of the shorter side to ${m.imageSize}, centre crop, mean/std)
import { pixelValues } from './${m.folder}/classifier.mjs';

const config = await (await fetch('./${m.folder}/config.json')).json();
const session = await ort.InferenceSession.create('./${m.folder}/${onnxFileOf(m.precision)}');
const image = await fetch('${SNIPPET_IMAGE}').then((r) => r.blob());
const input = new ort.Tensor('float32', await pixelValues(image, ${m.imageSize}), [1, 3, ${m.imageSize}, ${m.imageSize}]);
const { logits } = await session.run({ pixel_values: input });
const scores = Array.from(logits.data);
console.log(config.id2label[scores.indexOf(Math.max(...scores))]);
`;
}

function python(m: SnippetModel): string {
  return `import json

import numpy as np
import onnxruntime as ort
from PIL import Image

folder = "${m.folder}"
config = json.load(open(f"{folder}/config.json"))
pre = json.load(open(f"{folder}/preprocessor_config.json"))
session = ort.InferenceSession(f"{folder}/${onnxFileOf(m.precision)}")

def pixel_values(path):
    image = Image.open(path).convert("RGB")
    side = pre["size"]["shortest_edge"]
    w, h = image.size
    image = image.resize((side, side * h // w) if w <= h else (side * w // h, side), Image.BICUBIC)
    crop = pre["crop_size"]["height"]
    left, top = (image.width - crop) // 2, (image.height - crop) // 2
    x = np.asarray(image.crop((left, top, left + crop, top + crop)), dtype=np.float32) / 255
    x = (x - np.array(pre["image_mean"], dtype=np.float32)) / np.array(pre["image_std"], dtype=np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)  # [1, 3, S, S]

logits = session.run(["logits"], {"pixel_values": pixel_values("${SNIPPET_IMAGE}")})[0]
print(config["id2label"][str(int(logits[0].argmax()))])
`;
}

/** the three snippets, filled with the export's names */
export function exportSnippets(m: SnippetModel): Record<SnippetKind, string> {
  return { 'transformers.js': transformersJs(m), 'onnxruntime-web': onnxruntimeWeb(m), python: python(m) };
}
