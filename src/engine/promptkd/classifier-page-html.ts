// index.html of an export folder: a page that classifies dropped or chosen images and the webcam with
// the folder's model, in onnxruntime-web from the folder itself (classifier.mjs and ort/, made from
// src/page/classifier-page.ts). Browsers load no module from a file:// page, so an inline classic
// script says, in that case, how to serve the folder instead.

/** the one line that says how to serve the folder */
export const SERVE_LINE = 'Serve this folder and open the address: npx serve . (Node) or python3 -m http.server (Python).';

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export function classifierPageHtml(title: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
code { background: #f2f2f2; padding: 0 .25em; border-radius: 3px; }
#drop { border: 2px dashed #8a8a8a; border-radius: 8px; padding: 1.5rem; text-align: center; }
#drop.over { background: #eef6f3; border-color: #2f6f62; }
.error { color: #b42318; font-weight: 600; }
.row { display: flex; gap: 1rem; align-items: flex-start; margin: .75rem 0; }
.row img, .row video { width: 112px; height: 112px; object-fit: cover; border-radius: 6px; background: #ddd; }
.row ol { margin: 0; padding-left: 1.4rem; }
.muted { color: #666; }
[hidden] { display: none !important; }
</style>
</head>
<body id="classifier-page">
<h1>${t}</h1>
<p id="serve-note" class="muted">${SERVE_LINE}</p>
<p id="file-warning" class="error" role="alert" hidden>This page was opened as a file, and browsers load no model from a file: page. ${SERVE_LINE}</p>
<p id="status" role="status">Loading the model…</p>
<div id="drop">Drop images here, or <label>choose some <input id="files" type="file" accept="image/*" multiple></label></div>
<p><button id="camera" type="button" disabled>Classify the webcam</button></p>
<div id="camera-row" class="row" hidden><video id="video" autoplay muted playsinline></video><ol id="camera-top"></ol></div>
<div id="results"></div>
<script>
if (location.protocol === 'file:') {
  document.getElementById('file-warning').hidden = false;
  document.getElementById('status').textContent = 'The model is not loaded.';
}
</script>
<script type="module" src="./classifier.mjs"></script>
</body>
</html>
`;
}

/** the page's other files, beside index.html: its script and onnxruntime-web's wasm build (src/cli/classifier-page-files.ts makes them) */
export const CLASSIFIER_PAGE_FILES = ['classifier.mjs', 'ort/ort.wasm.bundle.min.mjs', 'ort/ort-wasm-simd-threaded.wasm'] as const;
