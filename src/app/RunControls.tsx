// Start, pause, resume, stop, and where the run stands in words.
import { useEffect, useRef, useState } from 'react';
import { ActionButton } from './ActionButton.tsx';
import { PickButton } from './HiddenFileInput.tsx';
import { isEnabled, runAction } from './actions.ts';
import { secondsLeft, type Pace } from './eta.ts';
import { duration } from './format.ts';
import { useStudio, type LiveRun } from './store.ts';

const STATUS_WORDS = { running: 'Running', paused: 'Paused', stopped: 'Stopped', done: 'Finished', failed: 'Failed' } as const;

function useEta(run: LiveRun | null): number | null {
  const pace = useRef<Pace | null>(null);
  const [, tick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new run restarts the clock
  useEffect(() => {
    if (run?.status !== 'running') {
      pace.current = null;
      return;
    }
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [run?.status, run?.runId]);
  if (run?.status === 'running' && !pace.current) pace.current = { t0: performance.now(), step0: run.step };
  return run ? secondsLeft(pace.current, run.step, run.totalSteps, performance.now()) : null;
}

/** where the run stands: it follows every step (the epoch, the time left) */
function RunStatusLine() {
  const run = useStudio((s) => s.run);
  const eta = useEta(run);
  if (!run) return null;
  const epochs = run.stepsPerEpoch > 0 ? Math.ceil(run.totalSteps / run.stepsPerEpoch) : 0;
  const parts = [
    `epoch ${Math.min(run.epoch + 1, Math.max(1, epochs))} of ${epochs}`,
    run.checkpointStep != null ? `checkpoint at step ${run.checkpointStep}` : 'no checkpoint yet',
  ];
  if (run.status === 'running' && eta != null) parts.push(`about ${duration(eta)} left`);
  return (
    <p className="run-status" data-testid="run-status" data-status={run.status}>
      <span className={`status-dot ${run.status}`} aria-hidden="true" /> <strong>{STATUS_WORDS[run.status]}</strong> · {parts.join(' · ')}
      {run.message && <span className="muted"> — {run.message}</span>}
    </p>
  );
}

export function RunControls() {
  const runId = useStudio((s) => s.run?.runId ?? null);
  const canStart = useStudio((s) => isEnabled('startRun', s));
  return (
    <div className="run-controls">
      <div className="buttons">
        <ActionButton action="startRun" data-testid="run-start" text={runId ? 'Start a new run' : undefined} />
        <ActionButton action="pauseRun" className="secondary" data-testid="run-pause" />
        {/* enabled only with a paused run on screen, which is the one it resumes */}
        <ActionButton action="resumeRun" arg={runId ?? ''} className="secondary" data-testid="run-resume" />
        <ActionButton action="stopRun" className="secondary danger" data-testid="run-stop" />
        <PickButton
          disabled={!canStart}
          title="Start a new run from student prompts exported by an earlier run (.safetensors)"
          testId="run-start-prompts"
          accept=".safetensors"
          onPicked={(input) => {
            const f = input.files?.[0];
            input.value = '';
            if (f) void runAction('startRun', f);
          }}
        >
          Start from prompts…
        </PickButton>
      </div>
      <RunStatusLine />
    </div>
  );
}
