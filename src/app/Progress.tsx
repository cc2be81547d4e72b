// Long jobs of the worker (imports, downloads, teacher passes) as labelled bars.
import type { TaskKind } from '../worker/protocol.ts';
import { useStudio, type TaskProgress } from './store.ts';

const TASK_NAMES: Record<TaskKind, string> = {
  import: 'Importing images',
  demo: 'Loading the demo',
  download: 'Downloading models',
  model: 'Preparing models',
  teacher: 'Preparing the teacher',
  'teacher-logits': 'Teacher labelling images',
  evaluate: 'Evaluating',
  export: 'Exporting',
};

export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  const frac = max > 0 ? Math.min(1, value / max) : 0;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${(100 * frac).toFixed(1)}%` }} />
    </div>
  );
}

function TaskRow({ task, p }: { task: TaskKind; p: TaskProgress }) {
  return (
    <div className="task" data-testid={`task-${task}`}>
      <div className="task-line">
        <span>{TASK_NAMES[task]}</span>
        <span className="muted">{p.label}</span>
      </div>
      <ProgressBar value={p.done} max={p.total} label={TASK_NAMES[task]} />
    </div>
  );
}

/** the tasks going on now, or only those named */
export function Tasks({ only }: { only?: TaskKind[] }) {
  const tasks = useStudio((s) => s.tasks);
  const shown = (Object.keys(tasks) as TaskKind[]).filter((t) => !only || only.includes(t));
  if (shown.length === 0) return null;
  return (
    <div className="tasks">
      {shown.map((t) => (
        <TaskRow key={t} task={t} p={tasks[t]!} />
      ))}
    </div>
  );
}
