import { defineConfig, defaultClientConditions } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation gives the page SharedArrayBuffer, which onnxruntime-web needs for WASM threads.
// Both servers must send it: `npm start` and the e2e tests use the preview server.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig(({ command, mode }) => ({
  plugins: [react()],
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
