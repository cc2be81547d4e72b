// Classroom mode: beside the live demo, what is happening now, in plain words, with the numbers
// the class is watching.
import { classroomStage, STAGES, type Stage } from './classroom.ts';
import { pct } from './format.ts';
import { useStudio, type StudioState } from './store.ts';

const TITLES: Record<Stage, string> = {
  load: 'Get the pictures',
  teacher: 'The teacher labels',
  student: 'The student imitates',
  compare: 'Base vs new',
};

function text(stage: Stage, s: StudioState): string {
  const run = s.run;
  const classes = s.workspace?.classes ?? [];
  const base = classes.slice(0, s.workspace?.baseCount ?? 0), nw = classes.slice(s.workspace?.baseCount ?? 0);
  switch (stage) {
    case 'load':
      return `We load 3,000 small photos of clothes (Fashion-MNIST) and two CLIP models: a big "teacher" and a small "student". Nobody tells the student what any photo shows.`;
    case 'teacher':
      return `The teacher looks at every photo and scores how well it matches each class name${classes.length ? ` (${classes.slice(0, 4).join(', ')}, …)` : ''}. These scores are its "soft labels": not just one answer, but how sure it is about each class.`;
    case 'student':
      return `The student looks at the same photos and learns a few "prompt" numbers so that its scores come out like the teacher's (in the first round, the teacher labels each batch just before the student sees it). The loss is how far apart they still are: watch it fall.${run?.latest ? '' : ' Soon we test it on photos it has never seen.'}`;
    case 'compare':
      return `Base classes (${base.join(', ') || 'the first half'}) are ones a teacher could have seen labeled examples of; new classes (${nw.join(', ') || 'the second half'}) are known by name only. A good student gets better at both. HM, the harmonic mean, is high only if both are.`;
  }
}

export function ClassroomPanel() {
  const s = useStudio();
  if (!s.classroom) return null;
  const stage = classroomStage(s);
  const at = STAGES.indexOf(stage);
  const run = s.run;
  const zs = run?.references?.studentZeroShot?.hm, teacher = run?.references?.teacher.hm, now = run?.latest?.hm;
  return (
    <section className="panel classroom" aria-label="What is happening" data-testid="classroom" data-stage={stage}>
      <h2>What is happening</h2>
      <ol className="stages">
        {STAGES.map((st, i) => (
          <li key={st} className={i < at ? 'past' : i === at ? 'current' : 'future'}>
            <span className="stage-title">{TITLES[st]}</span>
            {i === at && <p>{text(st, s)}</p>}
          </li>
        ))}
      </ol>
      {run?.latest && (
        <p className="classroom-numbers">
          Score on unseen test photos (HM): the student started at <strong>{pct(zs)}%</strong>, is now at <strong>{pct(now)}%</strong>; the teacher gets <strong>{pct(teacher)}%</strong>.
          {' '}Base: {pct(run.latest.base)}%, new: {pct(run.latest.new)}%.
        </p>
      )}
    </section>
  );
}
