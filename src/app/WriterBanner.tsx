// Shown in a tab that only reads the studio's data because another tab keeps it (writer-lock.ts).
import { ActionButton } from './ActionButton.tsx';
import { useStudio } from './store.ts';

export function WriterBanner() {
  const readOnly = useStudio((s) => s.readOnly);
  if (!readOnly) return null;
  return (
    <div className="notice writer-banner" role="status" data-testid="read-only">
      <p>
        <strong>Read-only.</strong> The studio is open in another tab, which keeps its data (imports, runs, checkpoints) so that two tabs
        never write over each other. This tab shows it; to work here instead, take over (the other tab pauses its run and turns read-only).
      </p>
      <ActionButton action="takeOver" data-testid="take-over" />
    </div>
  );
}
