// The classifier page's files of an export folder (model-folder.ts): classifier.mjs, bundled from
// src/page/classifier-page.ts with the engine's decoding and preprocessing inside, and onnxruntime-web's
// wasm-only build (one ES module and its .wasm) under ort/. The CLI writes them into <out>/model/;
// `npm run build` puts them under public/page/, where the studio's worker fetches them for its zip.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLASSIFIER_PAGE_FILES } from '../engine/promptkd/classifier-page-html.ts';
import type { ExportFile } from '../engine/promptkd/model-folder.ts';

const ENTRY = fileURLToPath(new URL('../page/classifier-page.ts', import.meta.url));

export async function classifierPageFiles(): Promise<ExportFile[]> {
  const bundled = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' });
  const dist = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web/wasm'));
  // the page's script, then onnxruntime-web's wasm-only bundle and the binary it instantiates
  const [script, ...ort] = CLASSIFIER_PAGE_FILES;
  return [
    { path: script, data: bundled.outputFiles[0]!.contents },
    ...ort.map((file) => ({ path: file, data: new Uint8Array(fs.readFileSync(path.join(dist, path.basename(file)))) })),
  ];
}
