// Copies the onnxruntime-web files the runtime loads at run time into public/ort/, so the built app
// serves them itself (no CDN) and ORT starts its WASM threads from its own module, not the app chunk.
// Which files depends on the ORT entries src/engine/runtime/web.ts can import (statically or on
// demand); this script reads them there. Idempotent: a file already copied and unchanged is left alone.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ORT entry → the Emscripten module + binary it loads (onnxruntime-web 1.30 dist/)
const FLAVOUR = { '': 'jsep', '/all': 'jsep', '/webgpu': 'asyncify', '/jspi': 'jspi', '/wasm': null };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runtimeFile = join(root, 'src/engine/runtime/web.ts');
const entries = [
  ...new Set([...readFileSync(runtimeFile, 'utf8').matchAll(/(?:from |import\()'onnxruntime-web(\/[a-z]+)?'/g)].map((m) => m[1] ?? '')),
];
const unknown = entries.filter((e) => !(e in FLAVOUR));
if (entries.length === 0 || unknown.length) {
  console.error(
    `copy-ort: cannot tell which onnxruntime-web entries ${runtimeFile} imports${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
  );
  process.exit(1);
}
const bases = [...new Set(entries.map((e) => FLAVOUR[e]).map((f) => (f ? `ort-wasm-simd-threaded.${f}` : 'ort-wasm-simd-threaded')))];
const files = bases.flatMap((base) => [`${base}.mjs`, `${base}.wasm`]);

const dist = dirname(createRequire(import.meta.url).resolve(`onnxruntime-web/${bases[0]}.wasm`));
const target = join(root, 'public', 'ort');
mkdirSync(target, { recursive: true });
// files of another flavour, left from before the runtime switched entries, would ship for nothing
for (const stale of readdirSync(target).filter((f) => !files.includes(f))) rmSync(join(target, stale));
let copied = 0;
for (const name of files) {
  const from = join(dist, name);
  const to = join(target, name);
  const src = statSync(from);
  const dst = statSync(to, { throwIfNoEntry: false });
  if (dst && dst.size === src.size && dst.mtimeMs >= src.mtimeMs) continue;
  copyFileSync(from, to);
  copied++;
}
console.log(
  `copy-ort: ${entries.map((e) => `onnxruntime-web${e}`).join(' and ')} need ${files.join(', ')}; ${copied} copied to public/ort/`,
);
