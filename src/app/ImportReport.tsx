// What the last import took and what it left out, each skipped file with its reason.
import { plural } from './format.ts';
import type { ImportView } from './store.ts';

const ROLE_WORDS = { unlabeled: 'unlabeled images', test: 'labeled test set', shots: 'few-shot examples' } as const;

export function ImportReport({ view }: { view: ImportView }) {
  const { report, unread } = view;
  const skipped = [...unread, ...report.skipped];
  return (
    <div className="import-report" data-testid="import-report" data-imported={report.imported} data-skipped={skipped.length}>
      <p>
        <strong>{plural(report.imported, 'image')}</strong> imported from “{view.name}” as {ROLE_WORDS[view.role]}
        {report.classes.length > 0 && (
          <>
            {' '}
            in {plural(report.classes.length, 'class', 'classes')} ({report.classes.join(', ')})
          </>
        )}
        {skipped.length === 0 ? '. Nothing was skipped.' : `; ${plural(skipped.length, 'file')} skipped:`}
      </p>
      {skipped.length > 0 && (
        <ul className="skipped">
          {skipped.map((s, i) => (
            <li
              // biome-ignore lint/suspicious/noArrayIndexKey: the list is fixed once shown, and two skipped files may share a name
              key={`${i}-${s.name}`}
              data-testid="skipped-file"
              data-name={s.name}
            >
              <code>{s.name}</code> <span className="reason">{s.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
