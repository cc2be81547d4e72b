// Settings tables: one row per setting (key, type and range, URL-hash name, CLI flag, label, help),
// and everything generated from a table: parsing a value from text with a message that says what it
// should be, the URL hash both ways, CLI flags and their --help lines. The distillation's table is
// promptkd/run-settings.ts, teacher tuning's promptkd/teacher-settings.ts.

export type Rule =
  | { type: 'int'; min: number; max: number }
  | { type: 'number'; min: number; max: number; exclusiveMin?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' };

export type SettingValue = number | string | boolean | null;

export interface SettingSpec<K extends string = string> {
  key: K;
  /** the name in the studio's URL hash (`#batch=16`) */
  hash: string;
  /** the CLI flag without dashes (`batch-size`); a bool flag also has `--no-<flag>`; null: not on the CLI */
  flag: string | null;
  /** the form's label */
  label: string;
  /** one line: what it does (CLI --help, the form's tooltip) */
  help: string;
  rule: Rule;
  /** null is a value: `default` in text, meaning what `help` says (e.g. the model's own) */
  nullable?: boolean;
  /** shown under "More settings" in the form */
  advanced?: boolean;
}

export type SettingsTable<S> = readonly SettingSpec<Extract<keyof S, string>>[];

export const describeRule = (r: Rule, nullable = false): string => {
  const base = (() => {
    switch (r.type) {
      case 'int':
        return `a whole number from ${r.min} to ${r.max}`;
      case 'number':
        return `a number ${r.exclusiveMin ? 'above' : 'from'} ${r.min} up to ${r.max}`;
      case 'enum':
        return `one of ${r.values.join(', ')}`;
      case 'bool':
        return 'true or false (1 or 0)';
    }
  })();
  return nullable ? `${base}, or default` : base;
};

/**
 * The value of a setting from its text, or a message naming what was given (`as`: 'hash' writes
 * `batch=x`, 'flag' writes `--batch-size x`) and what the setting takes.
 */
export function parseValue(spec: SettingSpec, text: string, as: 'hash' | 'flag' = 'hash'): { value: SettingValue } | { error: string } {
  const { rule } = spec;
  const given = as === 'hash' ? `${spec.hash}=${text || '(empty)'}` : `--${spec.flag} ${text || "''"}`;
  const bad = { error: `${given} is not valid: use ${describeRule(rule, spec.nullable)}` };
  const t = text.trim();
  if (spec.nullable && t === 'default') return { value: null };
  if (rule.type === 'enum') return rule.values.includes(t) ? { value: t } : bad;
  if (rule.type === 'bool') {
    if (t === 'true' || t === '1') return { value: true };
    if (t === 'false' || t === '0') return { value: false };
    return bad;
  }
  // Number('') is 0 and Number('0x10') is 16: accept plain decimal/exponent notation only
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return bad;
  const x = Number(t);
  if (rule.type === 'int' && !Number.isInteger(x)) return bad;
  const low = rule.type === 'number' && rule.exclusiveMin ? x <= rule.min : x < rule.min;
  if (low || x > rule.max) return bad;
  return { value: x };
}

/** a value as the hash and the form write it */
export const formatValue = (v: SettingValue): string => (v === null ? 'default' : String(v));

export interface ParsedSettings<S> {
  settings: S;
  /** keys named with a valid value */
  given: Extract<keyof S, string>[];
  /** one line per bad or unknown entry; its default was used instead */
  problems: string[];
}

/** Read `#name=value&…` over `defaults`; anything wrong is named in `problems` and left at its default. */
export function parseHash<S extends object>(table: SettingsTable<S>, hash: string, defaults: S): ParsedSettings<S> {
  const settings = { ...defaults } as Record<string, unknown>;
  const given: Extract<keyof S, string>[] = [];
  const problems: string[] = [];
  for (const [name, text] of new URLSearchParams(hash.replace(/^#/, ''))) {
    const spec = table.find((s) => s.hash === name);
    if (!spec) {
      problems.push(`unknown setting "${name}" ignored (known: ${table.map((s) => s.hash).join(', ')})`);
      continue;
    }
    const r = parseValue(spec, text);
    if ('error' in r) {
      problems.push(`${r.error}; using the default ${formatValue((defaults as Record<string, SettingValue>)[spec.key]!)}`);
      continue;
    }
    settings[spec.key] = r.value;
    if (!given.includes(spec.key)) given.push(spec.key);
  }
  return { settings: settings as S, given, problems };
}

/** `#name=value&…` of the settings that differ from `defaults` (empty string when none do). */
export function formatHash<S extends object>(table: SettingsTable<S>, settings: S, defaults: S): string {
  const params = new URLSearchParams();
  const get = (o: S, k: string) => (o as Record<string, SettingValue>)[k]!;
  for (const s of table) if (get(settings, s.key) !== get(defaults, s.key)) params.set(s.hash, formatValue(get(settings, s.key)));
  const text = params.toString();
  return text ? `#${text}` : '';
}

// ---- command line -----------------------------------------------------------------------------

type ParseArgsOption = { type: 'string' } | { type: 'boolean' };

/** node:util parseArgs options for the table's flags (a bool gets `--flag` and `--no-flag`) */
export function cliOptions<S>(table: SettingsTable<S>): Record<string, ParseArgsOption> {
  const out: Record<string, ParseArgsOption> = {};
  for (const s of table) {
    if (!s.flag) continue;
    if (s.rule.type === 'bool') {
      out[s.flag] = { type: 'boolean' };
      out[`no-${s.flag}`] = { type: 'boolean' };
    } else {
      out[s.flag] = { type: 'string' };
    }
  }
  return out;
}

/** the flags given, applied over `defaults`; a bad value throws `fail` with the flag named */
export function applyFlags<S extends object>(
  table: SettingsTable<S>,
  values: Record<string, string | boolean | undefined>,
  defaults: S,
  fail: (message: string) => Error,
): ParsedSettings<S> {
  const settings = { ...defaults } as Record<string, unknown>;
  const given: Extract<keyof S, string>[] = [];
  for (const s of table) {
    if (!s.flag) continue;
    let value: SettingValue | undefined;
    if (s.rule.type === 'bool') {
      if (values[s.flag] && values[`no-${s.flag}`]) throw fail(`--${s.flag} and --no-${s.flag} contradict each other`);
      value = values[s.flag] ? true : values[`no-${s.flag}`] ? false : undefined;
    } else if (typeof values[s.flag] === 'string') {
      const r = parseValue(s, values[s.flag] as string, 'flag');
      if ('error' in r) throw fail(r.error);
      value = r.value;
    }
    if (value === undefined) continue;
    settings[s.key] = value;
    given.push(s.key);
  }
  return { settings: settings as S, given, problems: [] };
}

/** --help lines: `  --flag VALUE   help (default …)` */
export function cliHelp<S extends object>(table: SettingsTable<S>, defaults: S, width = 22): string[] {
  return table
    .filter((s) => s.flag)
    .map((s) => {
      const d = (defaults as Record<string, SettingValue>)[s.key]!;
      const name =
        s.rule.type === 'bool' ? `--${d ? 'no-' : ''}${s.flag}` : `--${s.flag} ${s.rule.type === 'enum' ? s.rule.values.join('|') : 'N'}`;
      const def = s.rule.type === 'bool' ? '' : ` (default ${formatValue(d)})`;
      const help = s.rule.type === 'bool' && d ? `not: ${s.help}` : s.help;
      return `  ${name.padEnd(width)}${help}${def}`;
    });
}
