// Finds a Chromium for the e2e tests: $CHROME_PATH, Debian's chromium, Google Chrome, or Playwright's
// own download. With `install`, a root user on Debian/Ubuntu gets `apt-get install chromium` first.
// Run directly, it prints the path, or one line saying what to install and exits 1.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

const MISSING =
  'No Chromium found for the e2e tests: install it (Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROME_PATH to a Chrome/Chromium binary.';

async function playwrightsOwn() {
  try {
    const { chromium } = await import('playwright-core');
    const path = chromium.executablePath();
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export async function findChromium({ install = false } = {}) {
  if (process.env.CHROME_PATH) {
    if (existsSync(process.env.CHROME_PATH)) return process.env.CHROME_PATH;
    throw new Error(`CHROME_PATH is set to ${process.env.CHROME_PATH}, which does not exist.`);
  }
  const found = CANDIDATES.find((p) => existsSync(p)) ?? (await playwrightsOwn());
  if (found) return found;
  const canApt = install && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) throw new Error(MISSING);
  console.error("find-chromium: no Chromium found, installing Debian's chromium with apt-get…");
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(MISSING);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(await findChromium({ install: process.argv.includes('--install') }));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
