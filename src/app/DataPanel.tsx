// Step 2: the folders the run uses, and the report of the last import.
import type { DatasetSummary } from '../worker/protocol.ts';
import { Dropzone, ROLES } from './Dropzone.tsx';
import { plural } from './format.ts';
import { ImageSizeSetting } from './ImageSizeSetting.tsx';
import { ImportReport } from './ImportReport.tsx';
import { InterruptedImports } from './InterruptedImports.tsx';
import { isEnabled } from './actions.ts';
import { Tasks } from './Progress.tsx';
import { SplitImport } from './SplitImport.tsx';
import { Step } from './Step.tsx';
import { NONE, useStudio } from './store.ts';

function DatasetLine({ d }: { d: DatasetSummary }) {
  return (
    <li>
      <span className="dataset-name">{d.name}</span>
      <span className="muted">
        {' '}
        · {plural(d.count, 'image')}
        {d.classes.length > 0 && ` · ${plural(d.classes.length, 'class', 'classes')}`}
        {d.demo && ' · demo'}
      </span>
    </li>
  );
}

export function DataPanel() {
  const datasets = useStudio((s) => s.workspace?.datasets ?? NONE);
  const lastImport = useStudio((s) => s.lastImport);
  const canImport = useStudio((s) => isEnabled('importData', s));
  const unlabeled = datasets.filter((d) => d.role === 'unlabeled');
  const images = unlabeled.reduce((n, d) => n + d.count, 0);
  return (
    <Step n={2} id="step-data" title="Data" status={images ? `${plural(images, 'unlabeled image')}` : 'no images yet'}>
      <SplitImport disabled={!canImport} />
      <Dropzone disabled={!canImport} />
      <ImageSizeSetting />
      <Tasks only={['import']} />
      {lastImport && <ImportReport view={lastImport} />}
      <InterruptedImports />
      {datasets.length > 0 && (
        <div className="datasets">
          {ROLES.map((r) => {
            const list = datasets.filter((d) => d.role === r.role);
            return list.length === 0 ? null : (
              <div key={r.role} className="dataset-group">
                <h3>{r.title}</h3>
                <ul>
                  {list.map((d) => (
                    <DatasetLine key={d.id} d={d} />
                  ))}
                </ul>
              </div>
            );
          })}
          <p className="muted">A run uses the newest unlabeled and test sets. Delete old ones in Storage.</p>
        </div>
      )}
    </Step>
  );
}
