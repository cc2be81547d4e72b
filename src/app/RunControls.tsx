// Start, pause, resume, stop, and where the run stands in words.
import { useEffect, useRef, useState } from 'react';
import { isEnabled, runAction } from './actions.ts';
import { secondsLeft, type Pace } from './eta.ts';
import { duration } from './format.ts';
import { useStudio, type LiveRun } from './store.ts';

const STATUS_WORDS = { running: 'Running', paused: 'Paused', stopped: 'Stopped', done: 'Finished', failed: 'Failed' } as const;

function useEta(run: LiveRun | null): number | null {
  const pace = useRef<Pace | null>(null);
  const [, tick] = useState(0);
  useEffect(() => {
    if (run?.status !== 'running') { pace.current = null; return; }
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [run?.status, run?.runId]);
  if (run?.status === 'running' && !pace.current) pace.current = { t0: performance.now(), step0: run.step };
  return run ? secondsLeft(pace.current, run.step, run.totalSteps, performance.now()) : null;
}

function RunStatusLine({ run }: { run: LiveRun }) {
  const eta = useEta(run);
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
  const s = useStudio();
  const promptsInput = useRef<HTMLInputElement>(null);
  const run = s.run;
  return (
    <div className="run-controls">
      <div className="buttons">
        <button type="button" data-testid="run-start" disabled={!isEnabled('startRun', s)} onClick={() => void runAction('startRun')}>
          {s.busy.startRun ? 'Starting…' : run ? 'Start a new run' : 'Start distillation'}
        </button>
        <button type="button" className="secondary" data-testid="run-pause" disabled={!isEnabled('pauseRun', s)} onClick={() => void runAction('pauseRun')}>
          {s.busy.pauseRun ? 'Pausing…' : 'Pause'}
        </button>
        <button type="button" className="secondary" data-testid="run-resume" disabled={!isEnabled('resumeRun', s)} onClick={() => run && void runAction('resumeRun', run.runId)}>
          {s.busy.resumeRun ? 'Resuming…' : 'Resume'}
        </button>
        <button type="button" className="secondary danger" data-testid="run-stop" disabled={!isEnabled('stopRun', s)} onClick={() => void runAction('stopRun')}>
          Stop
        </button>
        <button
          type="button" className="secondary" disabled={!isEnabled('startRun', s)} onClick={() => promptsInput.current?.click()}
          title="Start a new run from student prompts exported by an earlier run (.safetensors)"
        >
          Start from prompts…
        </button>
        <input
          ref={promptsInput} type="file" className="hidden-input" accept=".safetensors" data-testid="run-start-prompts"
          onChange={(e) => { const f = e.currentTarget.files?.[0]; e.currentTarget.value = ''; if (f) void runAction('startRun', f); }}
        />
      </div>
      {run && <RunStatusLine run={run} />}
    </div>
  );
}
