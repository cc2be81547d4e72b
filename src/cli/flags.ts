// Command-line flags shared by the `promptkd` commands: node:util's parseArgs, with every mistake
// turned into one line (the command's own error type) instead of a stack trace. Settings flags come
// from the settings tables (engine/settings/table.ts).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type FlagValues = Record<string, string | boolean | undefined>;
type Fail = (message: string) => Error;

/**
 * The flags `distill` and `label` share: the unlabeled folder, the classes (a test folder, a list or a
 * CoOp split file), the teacher (a folder or a Hub id, its prompts, a Hub token) and the backend.
 */
export const DATA_AND_TEACHER_FLAGS = {
  unlabeled: { type: 'string' },
  test: { type: 'string' },
  classes: { type: 'string' },
  split: { type: 'string' },
  teacher: { type: 'string' },
  'teacher-prompts': { type: 'string' },
  'hub-token': { type: 'string' },
  backend: { type: 'string', default: 'cpu' },
} as const;

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
