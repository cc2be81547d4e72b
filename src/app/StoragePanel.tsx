// What the studio keeps in this browser, how much room is left, and a way to free it.
import type { ReactElement } from 'react';
import { bestOnBase } from '../engine/surface.ts';
import type { CachedHubModel, CheckpointEntry, DatasetSummary, RunSummary } from '../worker/protocol.ts';
import { ActionButton } from './ActionButton.tsx';
import { bytes, pct, plural } from './format.ts';
import { ProgressBar } from './Progress.tsx';
import { NONE, useStudio } from './store.ts';

const ROLE_WORDS = { unlabeled: 'unlabeled', test: 'test set', shots: 'few-shot' } as const;
const date = (t: number) => new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function DatasetRow({ d }: { d: DatasetSummary }) {
  return (
    <li>
      <span>
        {d.name}{' '}
        <span className="muted">
          · {ROLE_WORDS[d.role]} · {plural(d.count, 'image')}
        </span>
      </span>
      <ActionButton action="deleteDataset" arg={d.id} className="link" aria-label={`Delete dataset ${d.name}`} />
    </li>
  );
}

/** the checkpoints a run keeps: the last K and the best on base (bestOnBase: Dassl's best_val) */
function checkpointWords(checkpoints: readonly CheckpointEntry[]): string {
  const best = bestOnBase(checkpoints);
  const steps = checkpoints.map((c) => c.step).join(', ');
  return `checkpoints at step${checkpoints.length > 1 ? 's' : ''} ${steps}${best ? ` (best on base: step ${best.step}, ${pct(best.base, 1)} %)` : ''}`;
}

function RunRow({ r }: { r: RunSummary }) {
  // the run on screen is newer than the workspace's summary of it: only its row follows the steps
  const status = useStudio((s) => (s.run?.runId === r.id ? s.run.status : r.status));
  const step = useStudio((s) => (s.run?.runId === r.id ? s.run.step : r.step));
  const checkpoints = useStudio((s) => (s.run?.runId === r.id ? s.run.checkpoints : r.checkpoints));
  return (
    <li data-testid="stored-run" data-status={status}>
      <span>
        {date(r.createdAt)}{' '}
        <span className="muted">
          · {status} · step {step}/{r.totalSteps}
          {checkpoints.length > 0 && ` · ${checkpointWords(checkpoints)}`}
        </span>
      </span>
      <ActionButton
        action="deleteRun"
        arg={r.id}
        className="link"
        aria-label={`Delete run of ${date(r.createdAt)}`}
        title={status === 'running' ? 'Stops the run, then deletes it with its checkpoint' : undefined}
      />
    </li>
  );
}

function HubModelRow({ m, runGoing }: { m: CachedHubModel; runGoing: boolean }) {
  const name = `${m.repo}@${m.commit.slice(0, 7)}`;
  const uses = m.usedBy.join(' and ');
  const blocked = runGoing && m.usedBy.length > 0;
  const older = m.newest !== null && m.newest !== m.commit;
  const unfinished = m.files.find((f) => !f.complete);
  return (
    <li data-testid="hub-model" data-repo={m.repo} data-commit={m.commit} data-older={older}>
      <span>
        {m.repo}{' '}
        <span className="muted">
          · {m.revision === m.commit ? 'commit' : `${m.revision} at`} <code title={m.commit}>{m.commit.slice(0, 7)}</code>
          {older && (
            <>
              {' '}
              · <strong>older revision</strong> ({m.revision} is at <code title={m.newest!}>{m.newest!.slice(0, 7)}</code> now)
            </>
          )}{' '}
          · {bytes(m.bytes)}
          {unfinished && ` · ${unfinished.file} not finished (${bytes(unfinished.bytes)} here): loading the model continues it`}
          {uses && ` · loaded as the ${uses}`}
        </span>
        {blocked && <span className="muted"> · the run going on uses it: stop the run to delete it</span>}
      </span>
      {older && uses && (
        <ActionButton
          action="updateHubModel"
          arg={{ repo: m.repo, commit: m.commit }}
          className="link"
          aria-label={`Update model ${name}`}
          title={`Downloads ${m.repo} at ${m.newest!.slice(0, 7)} and loads it as the ${uses}; this revision stays until deleted`}
        />
      )}
      <ActionButton
        action="deleteHubModel"
        arg={{ repo: m.repo, commit: m.commit }}
        className="link"
        aria-label={`Delete model ${name}`}
        disabled={blocked}
        title={uses && !blocked ? `The ${uses} stays loaded; loading it again downloads it again` : undefined}
      />
    </li>
  );
}

/** one kind of stored thing under its heading; nothing when none is stored */
function StorageList({ title, rows }: { title: string; rows: ReactElement[] }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul className="storage-list">{rows}</ul>
    </>
  );
}

export function StoragePanel() {
  const st = useStudio((s) => s.storage);
  const datasets = useStudio((s) => s.workspace?.datasets ?? NONE);
  const runs = useStudio((s) => s.workspace?.runs ?? NONE);
  const hubModels = useStudio((s) => s.hubModels ?? NONE);
  const runGoing = useStudio((s) => s.run?.status === 'running');
  return (
    <section className="panel storage-panel" aria-label="Storage" id="storage" data-testid="storage-panel">
      <h2>Storage</h2>
      {st ? (
        <>
          <ProgressBar value={st.usage} max={st.quota} label="Storage used" />
          <p className="muted" data-testid="storage-usage">
            {bytes(st.usage)} used of {bytes(st.quota)} this browser allows the studio.{' '}
            {st.persisted ? 'Kept: the browser will not evict it.' : 'The browser may evict it when the disk runs low.'}
          </p>
          {!st.persisted && <ActionButton action="persistStorage" className="secondary" />}
        </>
      ) : (
        <p className="muted">Usage unknown until the studio has started.</p>
      )}
      <StorageList title="Datasets" rows={datasets.map((d) => <DatasetRow key={d.id} d={d} />)} />
      <StorageList title="Runs" rows={runs.map((r) => <RunRow key={r.id} r={r} />)} />
      <StorageList
        title="Downloaded models"
        rows={hubModels.map((m) => <HubModelRow key={`${m.repo}@${m.commit}`} m={m} runGoing={runGoing} />)}
      />
      <p className="muted">
        Images, labels, teacher scores and checkpoints stay in this browser (IndexedDB), downloaded models in its cache. Nothing is
        uploaded.
      </p>
    </section>
  );
}
