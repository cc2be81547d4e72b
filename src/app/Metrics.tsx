// The run's current numbers. Each metric's element holds the number only (tests and scripts read it);
// units and labels sit beside it.
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { lossText, pct } from './format.ts';
import { useStudio } from './store.ts';

// a step changes the step and loss only: the other numbers keep their props and skip the render
const Metric = memo(function Metric({
  id,
  label,
  value,
  unit,
  note,
}: {
  id: string;
  label: string;
  value: string;
  unit?: string;
  note?: string;
}) {
  return (
    <div className={`metric ${id}`}>
      <div className="metric-label">{label}</div>
      <div className="metric-value">
        <span data-testid={id}>{value}</span>
        {unit && <span className="unit">{unit}</span>}
      </div>
      {note && <div className="metric-note">{note}</div>}
    </div>
  );
});

export function Metrics() {
  const run = useStudio(
    useShallow(
      (s) =>
        s.run && {
          step: s.run.step,
          totalSteps: s.run.totalSteps,
          loss: s.run.loss,
          lr: s.run.lr,
          latest: s.run.latest,
          references: s.run.references,
        },
    ),
  );
  if (!run) return null;
  const zs = run.references?.studentZeroShot ?? null;
  const teacher = run.references?.teacher ?? null;
  const evalNote = run.latest ? `at step ${run.latest.step}` : 'not evaluated yet';
  return (
    <section className="metrics" aria-label="Current metrics">
      <Metric id="metric-step" label="Step" value={String(run.step)} note={`of ${run.totalSteps.toLocaleString('en')}`} />
      <Metric
        id="metric-loss"
        label="Loss"
        value={lossText(run.loss)}
        note={run.lr != null ? `lr ${run.lr.toExponential(2)}` : undefined}
      />
      <Metric id="metric-base" label="Base" value={pct(run.latest?.base)} unit="%" note={evalNote} />
      <Metric id="metric-new" label="New" value={pct(run.latest?.new)} unit="%" note={evalNote} />
      <Metric id="metric-hm" label="HM" value={pct(run.latest?.hm)} unit="%" note={evalNote} />
      <div className="metric reference">
        <div className="metric-label">References (HM)</div>
        <div className="reference-line">
          <span className="swatch teacher" /> teacher <strong data-testid="ref-teacher-hm">{pct(teacher?.hm)}</strong>%
        </div>
        <div className="reference-line">
          <span className="swatch zero-shot" /> student zero-shot <strong data-testid="ref-student-hm">{pct(zs?.hm)}</strong>%
        </div>
      </div>
    </section>
  );
}
