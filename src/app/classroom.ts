// Which stage of the demo a class is looking at, from the studio's state alone.
import type { StudioState } from './store.ts';

export type Stage = 'load' | 'teacher' | 'student' | 'compare';

export const STAGES: Stage[] = ['load', 'teacher', 'student', 'compare'];

export function classroomStage(s: Pick<StudioState, 'tasks' | 'run' | 'busy'>): Stage {
  const run = s.run;
  if (run && (run.status === 'done' || run.status === 'stopped')) return 'compare';
  if (s.tasks['teacher-logits'] || (run?.status === 'running' && run.step === 0)) return 'teacher';
  if (run && run.step > 0) return 'student';
  if (s.tasks.demo || s.tasks.import || s.tasks.model || s.busy.startDemo || s.busy.startRun) return 'load';
  return run ? 'teacher' : 'load';
}
