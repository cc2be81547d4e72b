// Command-line flags shared by the `promptkd` commands: node:util's parseArgs, with every mistake
// turned into one line (the command's own error type) instead of a stack trace.
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

/** writes each numeric flag given (`--lr 0.01` → target.lr) and returns the keys that were given */
export function applyNumberFlags<K extends string>(
  values: FlagValues, flags: Readonly<Record<string, K>>, integer: ReadonlySet<K>, target: Record<K, unknown>, fail: Fail,
): Set<K> {
  const given = new Set<K>();
  for (const [flag, key] of Object.entries(flags)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    target[key] = numberFlag(flag, raw, integer.has(key), fail);
    given.add(key);
  }
  return given;
}
