// npm run check:fixture -- DIR [--backend cpu|webgpu|cuda]
// Runs every check the fixture directory has data for; prints `PASS|FAIL <name> <max-rel-error>`
// per check and exits 1 on any failure or error (one line saying what went wrong).
import fs from 'node:fs';
import { passed } from '../engine/checks/compare.ts';
import { runFixtureChecks } from '../engine/checks/index.ts';
import { dirFixtureSource } from '../engine/checks/fixture-source-node.ts';
import { parseBackend, openBackend } from './backend.ts';

async function main(args: readonly string[]): Promise<number> {
  const at = args.indexOf('--backend');
  const backend = parseBackend(at >= 0 ? args[at + 1] : undefined, (m) => new Error(m));
  const dir = args.find((a, i) => a !== '--' && !a.startsWith('--') && (at < 0 || i !== at + 1));
  if (!dir) throw new Error('usage: npm run check:fixture -- FIXTURE_DIR [--backend cpu|webgpu|cuda]');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  const checks = await runFixtureChecks(dirFixtureSource(dir), await openBackend(backend, (line) => console.error(line)));
  if (checks.length === 0) throw new Error(`${dir} has no fixture data (expected io.safetensors, preprocess/, promptkd/ or stage1/)`);
  for (const c of checks) console.log(`${passed(c) ? 'PASS' : 'FAIL'} ${c.name} ${c.maxRelError.toExponential(3)}`);
  return checks.every(passed) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`check:fixture: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.split('\n')[0]);
    process.exitCode = 1;
  },
);
