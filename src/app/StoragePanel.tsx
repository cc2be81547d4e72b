// What the studio keeps in this browser, how much room is left, and a way to free it.
import type { DatasetSummary, RunSummary } from '../worker/protocol.ts';
import { isEnabled, runAction } from './actions.ts';
import { bytes, plural } from './format.ts';
import { ProgressBar } from './Progress.tsx';
import { useStudio, type LiveRun } from './store.ts';

const ROLE_WORDS = { unlabeled: 'unlabeled', test: 'test set', shots: 'few-shot' } as const;
const date = (t: number) => new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function DatasetRow({ d, canDelete }: { d: DatasetSummary; canDelete: boolean }) {
  return (
    <li>
      <span>{d.name} <span className="muted">· {ROLE_WORDS[d.role]} · {plural(d.count, 'image')}</span></span>
      <button type="button" className="link" disabled={!canDelete} onClick={() => void runAction('deleteDataset', d.id)} aria-label={`Delete dataset ${d.name}`}>Delete</button>
    </li>
  );
}

function RunRow({ r, live, canDelete }: { r: RunSummary; live: LiveRun | null; canDelete: boolean }) {
  // the run on screen is newer than the workspace's summary of it
  const status = live?.status ?? r.status, step = live?.step ?? r.step;
  return (
    <li>
      <span>{date(r.createdAt)} <span className="muted">· {status} · step {step}/{r.totalSteps}</span></span>
      <button type="button" className="link" disabled={!canDelete} onClick={() => void runAction('deleteRun', r.id)} aria-label={`Delete run of ${date(r.createdAt)}`}>Delete</button>
    </li>
  );
}

export function StoragePanel() {
  const s = useStudio();
  const st = s.storage;
  const ws = s.workspace;
  const activeRun = ws?.activeRunId;
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
          {!st.persisted && (
            <button type="button" className="secondary" disabled={!isEnabled('persistStorage', s)} onClick={() => void runAction('persistStorage')}>Keep my data</button>
          )}
        </>
      ) : (
        <p className="muted">Usage unknown until the studio has started.</p>
      )}
      {ws && ws.datasets.length > 0 && (
        <>
          <h3>Datasets</h3>
          <ul className="storage-list">{ws.datasets.map((d) => <DatasetRow key={d.id} d={d} canDelete={isEnabled('deleteDataset', s)} />)}</ul>
        </>
      )}
      {ws && ws.runs.length > 0 && (
        <>
          <h3>Runs</h3>
          <ul className="storage-list">{ws.runs.map((r) => <RunRow key={r.id} r={r} live={s.run?.runId === r.id ? s.run : null} canDelete={isEnabled('deleteRun', s) && r.id !== activeRun} />)}</ul>
        </>
      )}
      <p className="muted">Images, labels, teacher scores and checkpoints stay in this browser (IndexedDB). Nothing is uploaded.</p>
    </section>
  );
}
