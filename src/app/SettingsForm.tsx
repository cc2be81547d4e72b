// A settings table as a form, read from and written to the URL hash (so a link reproduces the run).
// The distillation's, the teacher's and the import's settings share the hash; each form rewrites only its own rows.
import { type ReactNode, useState } from 'react';
import { formatHash, formatValue, parseValue, type SettingSpec, type SettingValue } from '../engine/surface.ts';
import { HASH_TABLES, PAGE_HASH_ENTRIES, type Effective } from './settings.ts';

/**
 * The page's hash with `table`'s entries replaced by those of `settings` that differ from `defaults`;
 * the other tables' entries and the page's own (`ep`) stay, names nobody knows (already reported) go.
 */
function hashWith<S extends object>(eff: Effective<S>, settings: S): string {
  const own = new Set(eff.table.map((s) => s.hash));
  const others = new Set([
    ...HASH_TABLES.flat()
      .map((s) => s.hash)
      .filter((h) => !own.has(h)),
    ...PAGE_HASH_ENTRIES,
  ]);
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  for (const k of [...params.keys()]) if (!others.has(k)) params.delete(k);
  for (const [k, v] of new URLSearchParams(formatHash(eff.table, settings, eff.defaults).replace(/^#/, ''))) params.set(k, v);
  const text = params.toString();
  return text ? `#${text}` : '';
}

/** puts `settings` in the page's address (replacing `eff.table`'s entries); returns the new hash */
export function writeSettings<S extends object>(eff: Effective<S>, settings: S): string {
  const hash = hashWith(eff, settings);
  history.replaceState(null, '', hash || `${location.pathname}${location.search}`);
  return hash;
}

function Field({
  spec,
  value,
  disabled,
  testId,
  onValue,
}: {
  spec: SettingSpec;
  value: SettingValue;
  disabled: boolean;
  testId: string;
  onValue: (v: SettingValue) => void;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const commit = (text: string) => {
    const r = parseValue(spec, text);
    if ('error' in r) return setError(r.error);
    setError(null);
    setDraft(null);
    onValue(r.value);
  };
  const { rule } = spec;
  let input: ReactNode;
  if (rule.type === 'enum') {
    input = (
      <select value={String(value)} disabled={disabled} onChange={(e) => commit(e.target.value)} data-testid={testId}>
        {rule.values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  } else if (rule.type === 'bool') {
    input = (
      <input
        type="checkbox"
        checked={value as boolean}
        disabled={disabled}
        onChange={(e) => commit(String(e.target.checked))}
        data-testid={testId}
      />
    );
  } else {
    input = (
      <input
        type="text"
        inputMode="decimal"
        value={draft ?? formatValue(value)}
        disabled={disabled}
        aria-invalid={!!error}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit(e.currentTarget.value);
        }}
        data-testid={testId}
      />
    );
  }
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is `input` above, a select or an input
    <label className={`setting ${error ? 'invalid' : ''}`} title={spec.help}>
      <span className="setting-name">{spec.label}</span>
      {input}
      {error && <span className="error">{error}</span>}
    </label>
  );
}

export function SettingsForm<S extends object>({
  eff,
  disabled,
  onHash,
  intro,
  testIdPrefix = 'setting',
}: {
  eff: Effective<S>;
  disabled: boolean;
  onHash: (h: string) => void;
  intro: string;
  testIdPrefix?: string;
}) {
  const values = eff.settings as Record<string, SettingValue>;
  const write = (key: string, v: SettingValue) => onHash(writeSettings(eff, { ...eff.settings, [key]: v }));
  const fields = (advanced: boolean) =>
    eff.table
      .filter((s) => !!s.advanced === advanced)
      .map((s) => (
        <Field
          key={s.key}
          spec={s}
          value={values[s.key]!}
          disabled={disabled}
          testId={`${testIdPrefix}-${s.hash}`}
          onValue={(v) => write(s.key, v)}
        />
      ));
  return (
    <div className="settings">
      <p className="muted">{intro} Settings live in the page address, so a link starts the same run.</p>
      {(eff.problems.length > 0 || eff.notes.length > 0) && (
        <ul className="notice settings-problems" data-testid={`${testIdPrefix}s-problems`} role="status">
          {eff.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
          {eff.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="settings-grid">{fields(false)}</div>
      <details className="settings-more">
        <summary>More settings</summary>
        <div className="settings-grid">{fields(true)}</div>
      </details>
    </div>
  );
}
