// Runs the `promptkd` binary as a user would (a child process), for the CLI tests.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const BIN = path.resolve('bin/promptkd.mjs');
const run = promisify(execFile);

export interface CliResult { code: number; stdout: string; stderr: string }

/** `promptkd <command> ...args` in `cwd`; a non-zero exit is returned, not thrown */
export async function runPromptkd(cwd: string, command: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, command, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
