// Imports cut off by a closed or reloaded page. Their committed batches are stored, but the files
// went with the page (a browser cannot reopen a folder by itself), so the honest offer is: choose
// the same folder again, and only the files not stored yet are imported; or remove what is there.
import { PickButton } from './HiddenFileInput.tsx';
import type { InterruptedImport } from '../worker/protocol.ts';
import { ActionButton } from './ActionButton.tsx';
import { runAction } from './actions.ts';
import { pickedFiles } from './folder-walk.ts';
import { splitImportFor, useSplit } from './split-choice.ts';
import { NONE, useStudio } from './store.ts';

function InterruptedLine({ d }: { d: InterruptedImport }) {
  const onPicked = (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length === 0) return;
    const picked = pickedFiles(files);
    // an import of the split file's folder is completed as it began: its files labelled by the split file
    const split = useSplit.getState().chosen;
    const planned = split && splitImportFor(split, d, picked);
    if (planned)
      return void runAction('importData', { role: d.role, name: d.name, walk: { files: planned.files, unread: [] }, completes: d.id });
    const name = files[0]!.webkitRelativePath.split('/')[0] || d.name;
    void runAction('importData', { role: d.role, name, walk: { files: picked, unread: [] }, completes: d.id });
  };
  return (
    <li data-testid="interrupted-import" data-imported={d.imported} data-files={d.files}>
      <span>
        <strong>“{d.name}”: import interrupted</strong>{' '}
        <span className="muted">
          · {d.imported} of {d.files} files stored.
        </span>{' '}
        The page was closed before it finished, and a browser cannot reopen the folder by itself. Choose the same folder again to import the
        rest (the files already stored are skipped), or remove it. It is not used until it is complete.
      </span>
      <span className="interrupted-actions">
        <PickButton buttonTestId="interrupted-continue" testId="interrupted-folder-input" folder onPicked={onPicked}>
          Choose the folder again…
        </PickButton>
        <ActionButton
          action="deleteDataset"
          arg={d.id}
          text="Remove"
          className="link"
          aria-label={`Remove the interrupted import ${d.name}`}
          data-testid="interrupted-remove"
        />
      </span>
    </li>
  );
}

export function InterruptedImports() {
  const list = useStudio((s) => s.workspace?.interruptedImports ?? NONE);
  if (list.length === 0) return null;
  return (
    <ul className="interrupted-imports" role="status">
      {list.map((d) => (
        <InterruptedLine key={d.id} d={d} />
      ))}
    </ul>
  );
}
