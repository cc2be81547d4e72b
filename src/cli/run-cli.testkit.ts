// Runs the `promptkd` binary as a user would (a child process), and writes images for it, for the CLI tests.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { rng } from '../engine/random.ts';

export const BIN = path.resolve('bin/promptkd.mjs');
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `promptkd <command> ...args` in `cwd`; a non-zero exit is returned, not thrown */
export function runPromptkd(cwd: string, command: string, ...args: string[]): Promise<CliResult> {
  return runPromptkdWith({}, cwd, command, ...args);
}

/** the same, with `env` added to the environment */
export async function runPromptkdWith(env: Record<string, string>, cwd: string, command: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, command, ...args], { cwd, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** a 40×36 PNG of noise whose colour leans towards channel `tint` (0 red, 1 green, 2 blue) */
export function writePng(file: string, seed: number, tint: number): void {
  const r = rng(seed);
  const png = new PNG({ width: 40, height: 36 });
  for (let i = 0; i < 40 * 36; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = Math.min(255, Math.floor(r.next() * 120 + (c === tint ? 120 : 0)));
    png.data[i * 4 + 3] = 255;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}
