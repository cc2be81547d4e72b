// e2e tests: the BUILT app (vite build + vite preview) in headless Chromium with WebGPU on.
// Without a GPU, Chromium's WebGPU runs on SwiftShader (software Vulkan): correct, slow.
// Run through `npm run test:e2e` (scripts/e2e.mjs), which finds Chromium and keeps temp files in .tmp/.
import { defineConfig } from '@playwright/test';
import { findChromium } from './scripts/find-chromium.mjs';

// not 4173, so `npm start` can keep running beside the tests; E2E_PORT lets two test runs share a machine
const PORT = Number(process.env.E2E_PORT ?? 4174);
// and its own build folder, so a second run's build never replaces the files the first one serves
const OUT_DIR = process.env.E2E_PORT ? `.tmp/e2e-dist-${PORT}` : 'dist';
const executablePath = await findChromium();

export default defineConfig({
  testDir: 'e2e',
  // the real-size run (about 8 minutes on 2 cores) is its own command, `npm run test:real`, which .ci/run runs after `npm test`
  testIgnore: process.env.REAL_SIZE ? [] : ['**/real-size.spec.ts'],
  outputDir: '.tmp/test-results',
  timeout: 90_000,
  expect: { timeout: 60_000 },
  workers: 1, // one software GPU; parallel pages only slow each other down
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath,
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
      args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic'],
    },
  },
  webServer: {
    command: `node scripts/copy-ort.mjs && npx tsx src/cli/build-classifier-page.ts && npx vite build --mode test --logLevel warn --outDir ${OUT_DIR} && npx vite preview --port ${PORT} --outDir ${OUT_DIR}`,
    url: `http://127.0.0.1:${PORT}`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'ignore',
  },
});
