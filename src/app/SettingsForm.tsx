// The run's settings, read from and written to the URL hash (so a link reproduces the run).
import { useState } from 'react';
import { formatHash, parseSetting, SETTING_KEYS, SETTING_LABELS, type EffectiveSettings, type RunSettings, type SettingKey } from './settings.ts';

const HELP: Partial<Record<SettingKey, string>> = {
  T: 'softens teacher and student scores before comparing them',
  kd: 'how strongly the student is pulled towards the teacher',
  depth: 'how many student layers get learned prompt tokens',
  nctx: 'learned tokens added in each prompted layer',
};

function writeHash(settings: RunSettings, defaults: RunSettings, onHash: (h: string) => void) {
  const hash = formatHash(settings, defaults);
  history.replaceState(null, '', hash || `${location.pathname}${location.search}`);
  onHash(hash);
}

function Field({ k, value, disabled, onValue }: { k: SettingKey; value: RunSettings[SettingKey]; disabled: boolean; onValue: (v: RunSettings[SettingKey]) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const commit = (text: string) => {
    const r = parseSetting(k, text);
    if ('error' in r) return setError(r.error);
    setError(null);
    setDraft(null);
    onValue(r.value);
  };
  let input;
  if (k === 'backend') {
    input = (
      <select value={String(value)} disabled={disabled} onChange={(e) => commit(e.target.value)}>
        <option value="webgpu">webgpu</option><option value="wasm">wasm</option>
      </select>
    );
  } else if (k === 'augment') {
    input = <input type="checkbox" checked={value as boolean} disabled={disabled} onChange={(e) => commit(String(e.target.checked))} />;
  } else {
    input = (
      <input
        type="text" inputMode="decimal" value={draft ?? String(value)} disabled={disabled} aria-invalid={!!error}
        onChange={(e) => setDraft(e.target.value)} onBlur={(e) => commit(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter') commit(e.currentTarget.value); }}
        data-testid={`setting-${k}`}
      />
    );
  }
  return (
    <label className={`setting ${error ? 'invalid' : ''}`} title={HELP[k]}>
      <span className="setting-name">{SETTING_LABELS[k]}</span>
      {input}
      {error && <span className="error">{error}</span>}
    </label>
  );
}

export function SettingsForm({ eff, disabled, onHash }: { eff: EffectiveSettings; disabled: boolean; onHash: (h: string) => void }) {
  const d = eff.defaults;
  return (
    <div className="settings">
      <p className="muted">
        {eff.demoDefaults
          ? `Defaults for the demo models (${d.epochs} epochs, batch ${d.batch}, depth ${d.depth}, no augmentation) finish in one to two minutes on a laptop GPU. The paper uses 20 epochs, batch 8, depth 9.`
          : 'Defaults are the paper\'s base-to-new settings (20 epochs, batch 8, lr 0.005, T 1, KD weight 1000, depth 9, 4 prompt tokens).'}
        {' '}Settings live in the page address, so a link starts the same run.
      </p>
      {(eff.problems.length > 0 || eff.notes.length > 0) && (
        <ul className="notice settings-problems" data-testid="settings-problems" role="status">
          {eff.problems.map((p) => <li key={p}>{p}</li>)}
          {eff.notes.map((n) => <li key={n}>{n}</li>)}
        </ul>
      )}
      <div className="settings-grid">
        {SETTING_KEYS.map((k) => (
          <Field key={k} k={k} value={eff.settings[k]} disabled={disabled} onValue={(v) => writeHash({ ...eff.settings, [k]: v }, d, onHash)} />
        ))}
      </div>
    </div>
  );
}
