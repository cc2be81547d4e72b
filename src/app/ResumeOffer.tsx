// After a reload or a crash: the run that was going on can continue from its last checkpoint.
import { ActionButton } from './ActionButton.tsx';
import { useStudio, type StudioState } from './store.ts';

/** the run to offer: not once dismissed, nor while it runs again */
function offered(s: StudioState) {
  const r = s.workspace?.resumable;
  if (!r || s.resumeDismissed === r.id || r.checkpointStep == null) return null;
  return s.run?.runId === r.id && s.run.status === 'running' && s.workspace?.activeRunId === r.id ? null : r;
}

export function ResumeOffer() {
  const r = useStudio(offered);
  if (!r) return null;
  return (
    <div className="resume-offer" data-testid="resume-offer" data-step={r.checkpointStep} role="status">
      <div>
        <strong>
          A run was interrupted at step {r.step} of {r.totalSteps}.
        </strong>{' '}
        Its last checkpoint is at step {r.checkpointStep}; resuming continues from there on the same path.
      </div>
      <div className="buttons">
        <ActionButton action="resumeRun" arg={r.id} data-testid="resume-offer-accept" text={`Resume from step ${r.checkpointStep}`} />
        <ActionButton action="dismissResume" className="secondary" />
      </div>
    </div>
  );
}
