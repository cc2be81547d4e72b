// Classroom mode: beside the live demo, what is happening now, in plain words, with the numbers
// the class is watching.
import { useShallow } from 'zustand/react/shallow';
import { classroomStage, STAGES, type Stage } from './classroom.ts';
import { pct } from './format.ts';
import { NONE, useStudio, type LiveRun } from './store.ts';

const TITLES: Record<Stage, string> = {
  load: 'Get the pictures',
  tune: 'Stage 1: the teacher practises',
  teacher: 'Stage 2: the teacher labels',
  student: 'Stage 2: the student imitates',
  compare: 'Base vs new',
};

/** what the explanations show: the stage, the classes and the run's scores (not its step) */
interface View {
  classroom: boolean;
  stage: Stage;
  classes: readonly string[];
  baseCount: number;
  latest: LiveRun['latest'];
  references: LiveRun['references'];
}

function text(stage: Stage, { classes, baseCount, latest }: View): string {
  const base = classes.slice(0, baseCount),
    nw = classes.slice(baseCount);
  switch (stage) {
    case 'load':
      return `We load 3,000 small photos of clothes (Fashion-MNIST) and two CLIP models: a big "teacher" and a small "student". Nobody tells the student what any photo shows.`;
    case 'tune':
      return `First the teacher practises (PromptSRC): on 16 labeled photos of each base class (${base.join(', ') || 'the first half'}) it learns a few "prompt" numbers that make it surer of the right class, while a pull back towards what it already knew keeps it from forgetting the new classes, which it never sees labeled. Then it is tested.`;
    case 'teacher':
      return `Now the distillation. The teacher looks at every unlabeled photo and scores how well it matches each class name${classes.length ? ` (${classes.slice(0, 4).join(', ')}, …)` : ''}. These scores are its "soft labels": not just one answer, but how sure it is about each class.`;
    case 'student':
      return `The student looks at the same photos and learns a few "prompt" numbers so that its scores come out like the teacher's (in the first round, the teacher labels each batch just before the student sees it). The loss is how far apart they still are: watch it fall.${latest ? '' : ' Soon we test it on photos it has never seen.'}`;
    case 'compare':
      return `Base classes (${base.join(', ') || 'the first half'}) are ones a teacher could have seen labeled examples of; new classes (${nw.join(', ') || 'the second half'}) are known by name only. A good student gets better at both. HM, the harmonic mean, is high only if both are.`;
  }
}

export function ClassroomPanel() {
  const v = useStudio(
    useShallow(
      (s): View => ({
        classroom: s.classroom,
        stage: classroomStage(s),
        classes: s.workspace?.classes ?? NONE,
        baseCount: s.workspace?.baseCount ?? 0,
        latest: s.run?.latest ?? null,
        references: s.run?.references ?? null,
      }),
    ),
  );
  if (!v.classroom) return null;
  const { stage, latest, references } = v;
  const at = STAGES.indexOf(stage);
  const zs = references?.studentZeroShot?.hm,
    teacher = references?.teacher?.hm,
    now = latest?.hm;
  return (
    <section className="panel classroom" aria-label="What is happening" data-testid="classroom" data-stage={stage}>
      <h2>What is happening</h2>
      <ol className="stages">
        {STAGES.map((st, i) => (
          <li key={st} className={i < at ? 'past' : i === at ? 'current' : 'future'}>
            <span className="stage-title">{TITLES[st]}</span>
            {i === at && <p>{text(st, v)}</p>}
          </li>
        ))}
      </ol>
      {latest && (
        <p className="classroom-numbers">
          Score on unseen test photos (HM): the student started at <strong>{pct(zs)}%</strong>, is now at <strong>{pct(now)}%</strong>; the
          teacher gets <strong>{pct(teacher)}%</strong>. Base: {pct(latest.base)}%, new: {pct(latest.new)}%.
        </p>
      )}
    </section>
  );
}
