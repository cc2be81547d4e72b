// Drop a folder (or files) here, or pick one: the walk happens here on the main thread, the decoding
// in the worker. The role says what the folder is for.
import { useState, type DragEvent } from 'react';
import { PickButton } from './HiddenFileInput.tsx';
import { runAction } from './actions.ts';
import { pickedFiles, walkDataTransfer, type WalkResult } from './folder-walk.ts';
import type { DatasetRole } from '../worker/protocol.ts';
import { useStudio } from './store.ts';

export const ROLES: { role: DatasetRole; title: string; hint: string }[] = [
  { role: 'unlabeled', title: 'Unlabeled images', hint: 'any folder of photos of your domain; the student learns from these' },
  { role: 'test', title: 'Labeled test set', hint: 'class_name/image.jpg subfolders; measures accuracy (optional)' },
  { role: 'shots', title: 'Few-shot examples', hint: 'class_name/image.jpg, a few per base class; tunes the teacher (optional)' },
];

function importWalk(role: DatasetRole, name: string, walk: WalkResult) {
  void runAction('importData', { role, name, walk });
}

export function Dropzone({ disabled }: { disabled: boolean }) {
  const [role, setRole] = useState<DatasetRole>('unlabeled');
  const [over, setOver] = useState(false);
  const [walking, setWalking] = useState(false);
  const queued = useStudio((s) => s.queuedImports);
  const ready = useStudio((s) => s.workspace !== null);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    const items = Array.from(e.dataTransfer.items ?? []);
    const entries = items.map((i) => i.webkitGetAsEntry?.()).filter((x): x is FileSystemEntry => !!x);
    const name = entries.length === 1 ? entries[0]!.name : `${items.length || e.dataTransfer.files.length} dropped items`;
    // the DataTransfer is read synchronously inside walkDataTransfer; the walk itself goes on afterwards
    const walk = walkDataTransfer(e.dataTransfer);
    setWalking(true);
    void walk.then((w) => importWalk(role, name, w)).finally(() => setWalking(false));
  };

  const onPicked = (input: HTMLInputElement, folder: boolean) => {
    const files = Array.from(input.files ?? []);
    input.value = ''; // picking the same folder again must fire change again
    if (files.length === 0) {
      // an empty folder gives no files, and so no folder name; the import says there is nothing to take
      if (folder) importWalk(role, 'the chosen folder', { files: [], unread: [] });
      return;
    }
    const name = folder
      ? files[0]!.webkitRelativePath.split('/')[0] || 'folder'
      : files.length === 1
        ? files[0]!.name
        : `${files.length} files`;
    importWalk(role, name, { files: pickedFiles(files), unread: [] });
  };

  return (
    <div className="dropzone-wrap">
      <fieldset className="roles" disabled={disabled}>
        <legend className="sr-only">What is this folder?</legend>
        {ROLES.map((r) => (
          <label key={r.role} className={`role ${role === r.role ? 'chosen' : ''}`}>
            <input
              type="radio"
              name="import-role"
              value={r.role}
              checked={role === r.role}
              onChange={() => setRole(r.role)}
              data-testid={`role-${r.role}`}
            />
            <span className="role-title">{r.title}</span>
            <span className="role-hint">{r.hint}</span>
          </label>
        ))}
      </fieldset>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for the mouse; the keyboard's way in is its Choose buttons */}
      <div
        className={`dropzone ${over ? 'over' : ''} ${disabled ? 'disabled' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          if (!disabled) setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p className="dropzone-title">
          {walking ? 'Reading the folder…' : `Drop a folder or images here (${ROLES.find((r) => r.role === role)!.title.toLowerCase()})`}
        </p>
        <p className="muted">PNG or JPEG, any size; they are resized and kept in this browser only. Nothing is uploaded.</p>
        {queued > 0 && (
          <p className="queued" role="status" data-testid="imports-queued">
            {ready
              ? `${queued} more folder${queued > 1 ? 's' : ''} to import after this one.`
              : `The studio is getting ready: ${queued > 1 ? `${queued} folders` : 'the folder'} will be imported as soon as it is.`}
          </p>
        )}
        <div className="dropzone-buttons">
          <PickButton disabled={disabled} testId="folder-input" folder onPicked={(input) => onPicked(input, true)}>
            Choose folder…
          </PickButton>
          <PickButton disabled={disabled} testId="files-input" multiple accept="image/*" onPicked={(input) => onPicked(input, false)}>
            Choose images…
          </PickButton>
        </div>
      </div>
    </div>
  );
}
