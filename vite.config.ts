import { defineConfig, defaultClientConditions } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

// Cross-origin isolation gives the page SharedArrayBuffer, which onnxruntime-web needs for WASM threads.
// Both servers must send it: `npm start` and the e2e tests use the preview server.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The built studio works offline once loaded: Workbox's generated service worker (sw.js) precaches the
// app, onnxruntime's builds (asyncify: the native WebGPU EP; JSEP: WASM and the WebGPU fallback), and
// the demo's data and models, ~77 MB, at its first visit; src/app/OfflineStatus.tsx registers it and says when it is
// ready. Its responses are the stored same-origin ones, COOP/COEP headers included, so an offline
// reload stays cross-origin isolated. Hugging Face models are kept apart, in the origin private file
// system (storage/model-files.ts); the worker never intercepts cross-origin requests it has no route for.
const offline = VitePWA({
  injectRegister: false,
  // a new version waits until every studio tab is closed: never swap the app under a running distillation
  registerType: 'prompt',
  manifest: false,
  workbox: {
    globPatterns: [
      'index.html',
      'assets/**/*.{js,css}',
      'ort/*.{jsep,asyncify}.{mjs,wasm}',
      'demo/*.{json,u8}',
      'models/**/*.{json,safetensors}',
    ],
    // the engine harness page (vite build --mode test) is test support, never part of the studio
    globIgnores: ['harness.html', 'assets/harness-*'],
    maximumFileSizeToCacheInBytes: 64 * 2 ** 20, // onnxruntime's .wasm is 28 MB
    // the first visit's page is served from the network; claim it so its later fetches use the copy
    clientsClaim: true,
    // only the studio's own page: an unknown path is a 404, not the studio
    navigateFallback: null,
  },
});

export default defineConfig(({ command, mode }) => ({
  plugins: [react(), offline],
  // 127.0.0.1 is a secure context, so navigator.gpu exists there over plain http.
  server: { host: '127.0.0.1', port: 5173, strictPort: true, headers: isolation },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: isolation },
  worker: { format: 'es' },
  // Builds load ORT's .mjs/.wasm from public/ort/ (see scripts/copy-ort.mjs). ORT's "extern wasm" entry
  // does not bundle its own copy of the 28 MB .wasm, which would otherwise ship twice.
  resolve: command === 'build' ? { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] } : {},
  // Pre-bundling rewrites onnxruntime-web's `new URL(…, import.meta.url)` asset lookups; serve it as is.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    // harness.html, the engine harness page that the e2e tests and the benchmark drive, is built only
    // for them (`vite build --mode test`); the studio ships without it
    rollupOptions: { input: { studio: 'index.html', ...(mode === 'test' ? { harness: 'harness.html' } : {}) } },
  },
}));
