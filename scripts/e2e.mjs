// `npm run test:e2e`: the Playwright tests in e2e/, against a Chromium found (or installed) here.
// Temp files of Playwright and Chromium stay in .tmp/, not the machine's /tmp. Extra args go to Playwright.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './find-chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let chrome;
try {
  chrome = await findChromium({ install: true });
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
const tmp = join(root, '.tmp', 'e2e-tmp');
const cache = join(root, '.tmp', 'playwright-cache');
mkdirSync(tmp, { recursive: true });
mkdirSync(cache, { recursive: true });

const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
const run = spawnSync(process.execPath, [cli, 'test', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CHROME_PATH: chrome, TMPDIR: tmp, PWTEST_CACHE_DIR: cache },
});
process.exit(run.status ?? 1);
