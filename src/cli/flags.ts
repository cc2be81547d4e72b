// Command-line flags shared by the `promptkd` commands: node:util's parseArgs, with every mistake
// turned into one line (the command's own error type) instead of a stack trace. Settings flags come
// from the settings tables (engine/settings/table.ts).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type FlagValues = Record<string, string | boolean | undefined>;
type Fail = (message: string) => Error;

export function parseFlags(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>, fail: Fail): FlagValues {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (e) {
    throw fail((e as Error).message.split('\n')[0]!);
  }
}

export function numberFlag(flag: string, raw: string, integer: boolean, fail: Fail): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw fail(`--${flag} must be ${integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  return v;
}

/** `--classes a, b,c` → ['a', 'b', 'c']; undefined when the flag is not given */
export const listFlag = (raw: string | boolean | undefined): string[] | undefined =>
  typeof raw === 'string'
    ? raw
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean)
    : undefined;
