// `npm test`: typecheck (the project, the engine core without DOM or Node, the app without Node), the
// formatter and linter (Biome; `npm run format` fixes what it can), the layer rules (dependency-cruiser), unit tests (vitest), then e2e tests (Playwright in Chromium).
// Every stage runs even when one before it failed; the summary at the end has each runner's own result line.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes it strips
const ANSI = /\x1b\[[0-9;]*m/g;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const stages = [
  { name: 'typecheck', cmd: npm, args: ['run', '--silent', 'typecheck'], summary: /error TS/ },
  {
    name: 'lint',
    cmd: bin('biome'),
    args: ['check', '--error-on-warnings', '.'],
    summary: /^Checked \d+ files|^Found \d+ (errors|warnings)/,
  },
  {
    name: 'layers',
    cmd: bin('depcruise'),
    args: ['src', 'bench', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    summary: /dependency violations|no dependency violations/,
  },
  { name: 'unit', cmd: bin('vitest'), args: ['run'], summary: /^\s*(Test Files|Tests)\s/ },
  {
    name: 'e2e',
    cmd: process.execPath,
    args: [join(root, 'scripts/e2e.mjs')],
    summary: /^\s*\d+ (passed|failed|flaky|skipped|did not run)|^No Chromium|^CHROME_PATH|^Error: /,
  },
];

function run({ cmd, args, summary }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '1' } });
    const lines = [];
    let text = '';
    const keep = (out) => (chunk) => {
      out.write(chunk);
      text += chunk.toString();
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('close', (code) => {
      for (const line of text.replace(ANSI, '').split('\n')) if (summary.test(line)) lines.push(line.trim());
      resolve({ code: code ?? 1, lines, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const results = [];
for (const stage of stages) results.push({ ...stage, ...(await run(stage)) });

console.log('\n── npm test summary ──');
for (const r of results) {
  const detail =
    r.name === 'typecheck' ? (r.code ? `${r.lines.length} type error(s)` : 'no type errors') : r.lines.join(' · ') || 'no summary line';
  console.log(`${r.code ? 'FAIL' : 'ok  '} ${r.name.padEnd(9)} ${detail}  (${r.seconds.toFixed(0)} s)`);
}
process.exit(results.some((r) => r.code) ? 1 : 0);
