// After a reload or a crash: the run that was going on can continue from its last checkpoint.
import { isEnabled, runAction } from './actions.ts';
import { useStudio } from './store.ts';

export function ResumeOffer() {
  const s = useStudio();
  const r = s.workspace?.resumable;
  const live = s.run?.runId === r?.id ? s.run : null;
  if (!r || s.resumeDismissed === r.id || r.checkpointStep == null || (live && live.status === 'running' && s.workspace?.activeRunId === r.id)) return null;
  return (
    <div className="resume-offer" data-testid="resume-offer" data-step={r.checkpointStep} role="status">
      <div>
        <strong>A run was interrupted at step {r.step} of {r.totalSteps}.</strong> Its last checkpoint is at step {r.checkpointStep}; resuming continues from there on the same path.
      </div>
      <div className="buttons">
        <button type="button" data-testid="resume-offer-accept" disabled={!isEnabled('resumeRun', s)} onClick={() => void runAction('resumeRun', r.id)}>
          Resume from step {r.checkpointStep}
        </button>
        <button type="button" className="secondary" onClick={() => void runAction('dismissResume')}>Not now</button>
      </div>
    </div>
  );
}
