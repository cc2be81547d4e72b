// The `?` list: every keyboard shortcut, read from the action registry (shortcuts.ts). A modal
// <dialog> keeps the focus inside it while it is open; Esc closes it (the registry's closeView).
import { useEffect, useRef } from 'react';
import { ActionButton } from './ActionButton.tsx';
import { SHORTCUTS } from './shortcuts.ts';
import { useStudio } from './store.ts';

export function ShortcutsDialog() {
  const open = useStudio((s) => s.shortcutsOpen);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current!;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      data-testid="shortcuts"
      // the browser's own Esc closes a modal dialog as well: keep the store in step
      onClose={() => useStudio.setState({ shortcutsOpen: false })}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map((s) => (
          <div key={s.action} className="shortcut" data-testid={`shortcut-${s.action}`}>
            <dt>
              <kbd>{s.name}</kbd>
            </dt>
            <dd>{s.does}</dd>
          </div>
        ))}
      </dl>
      <div className="buttons">
        <ActionButton action="closeView" autoFocus />
      </div>
    </dialog>
  );
}
