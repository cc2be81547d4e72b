// Step 5: settings, the run's controls, its current numbers and the live chart.
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { LiveChart } from './LiveChart.tsx';
import { Metrics } from './Metrics.tsx';
import { Tasks } from './Progress.tsx';
import { labelsProblemOf } from './actions.ts';
import { describeLabels } from './labels.ts';
import { RunControls } from './RunControls.tsx';
import { effectiveSettings, type EffectiveSettings } from './settings.ts';
import { SettingsForm } from './SettingsForm.tsx';
import { Step } from './Step.tsx';
import { useStudio } from './store.ts';

const introOf = (eff: EffectiveSettings): string => {
  const d = eff.defaults;
  return eff.demoDefaults
    ? `Defaults for the demo models (${d.epochs} epochs, batch ${d.batchSize}, depth ${d.depth}, no augmentation) finish in one to two minutes on a laptop GPU. The paper uses 20 epochs, batch 8, depth 9.`
    : "Defaults are the paper's base-to-new settings (20 epochs, batch 8, lr 0.005, T 1, KD weight 1000, depth 9, 4 prompt tokens).";
};

/** the step's one-line status: the only part of the panel that follows every step */
function RunProgress() {
  return useStudio((s) => (s.run ? `${s.run.status} · step ${s.run.step} of ${s.run.totalSteps}` : 'not started'));
}

/** which teacher a run started now takes its logits from, when it is labels, and whether they fit */
function LabelsNote() {
  const labels = useStudio((s) => s.workspace?.teacherLabels ?? null);
  const problem = useStudio(labelsProblemOf);
  if (!labels) return null;
  return (
    <div className="labels-note" data-testid="labels-note">
      <p>
        The teacher is the labels <strong>{labels.name}</strong>: {describeLabels(labels)}.
      </p>
      {problem && (
        <p className="error" role="alert" data-testid="labels-problem">
          These labels cannot serve this run: {problem}.
        </p>
      )}
    </div>
  );
}

export function DistillPanel() {
  const { hashText, student, backend, webgpuUsable, shaderF16, hasRun, running } = useStudio(
    useShallow((s) => ({
      hashText: s.hashText,
      student: s.workspace?.models.student ?? null,
      backend: s.backend,
      webgpuUsable: s.webgpuUsable,
      shaderF16: s.gpu?.info?.shaderF16 ?? false,
      hasRun: !!s.run,
      running: s.run?.status === 'running',
    })),
  );
  const eff = useMemo(
    () => effectiveSettings(hashText, student, backend, webgpuUsable, shaderF16),
    [hashText, student, backend, webgpuUsable, shaderF16],
  );
  return (
    <Step n={5} id="step-distill" title="Distill" status={<RunProgress />}>
      <details className="settings-box" open={!hasRun}>
        <summary>Settings</summary>
        <SettingsForm eff={eff} disabled={running} onHash={(hashText) => useStudio.setState({ hashText })} intro={introOf(eff)} />
      </details>
      <LabelsNote />
      <RunControls />
      <Tasks only={['teacher-logits', 'evaluate']} />
      {hasRun ? (
        <>
          <Metrics />
          <LiveChart />
        </>
      ) : (
        <p className="chart-placeholder">
          The live chart appears here when a run starts: the loss at every step, and base, new and HM accuracy each time the student is
          tested, beside the teacher's and the untrained student's.
        </p>
      )}
    </Step>
  );
}
