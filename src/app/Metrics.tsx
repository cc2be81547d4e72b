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
          protocol: s.run.protocol,
        },
    ),
  );
  if (!run) return null;
  const zs = run.references?.studentZeroShot ?? null;
  const teacher = run.references?.teacher ?? null;
  const evalNote = run.latest ? `at step ${run.latest.step}` : 'not evaluated yet';
  // cross-dataset scores one accuracy over all classes (an evaluation's `base`); base-to-new, base, new and their HM
  const allClasses = run.protocol === 'cross-dataset';
  const ref = (a: typeof teacher) => pct(allClasses ? a?.base : a?.hm);
  return (
    <section className="metrics" aria-label="Current metrics">
      <Metric id="metric-step" label="Step" value={String(run.step)} note={`of ${run.totalSteps.toLocaleString('en')}`} />
      <Metric
        id="metric-loss"
        label="Loss"
        value={lossText(run.loss)}
        note={run.lr != null ? `lr ${run.lr.toExponential(2)}` : undefined}
      />
      {allClasses ? (
        <Metric id="metric-accuracy" label="Accuracy (all classes)" value={pct(run.latest?.base)} unit="%" note={evalNote} />
      ) : (
        <>
          <Metric id="metric-base" label="Base" value={pct(run.latest?.base)} unit="%" note={evalNote} />
          <Metric id="metric-new" label="New" value={pct(run.latest?.new)} unit="%" note={evalNote} />
          <Metric id="metric-hm" label="HM" value={pct(run.latest?.hm)} unit="%" note={evalNote} />
        </>
      )}
      <div className="metric reference">
        <div className="metric-label">References ({allClasses ? 'accuracy' : 'HM'})</div>
        <div className="reference-line">
          <span className="swatch teacher" /> teacher <strong data-testid="ref-teacher-hm">{ref(teacher)}</strong>%
        </div>
        <div className="reference-line">
          <span className="swatch zero-shot" /> student zero-shot <strong data-testid="ref-student-hm">{ref(zs)}</strong>%
        </div>
      </div>
    </section>
  );
}
