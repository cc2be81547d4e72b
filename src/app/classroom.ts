// Which stage of the demo a class is looking at, from the studio's state alone.
import type { StudioState } from './store.ts';

/** 'tune' is PromptSRC's stage 1 (the teacher's prompts on the few shots); 'teacher' and 'student' are stage 2 */
export type Stage = 'load' | 'tune' | 'teacher' | 'student' | 'compare';

export const STAGES: Stage[] = ['load', 'tune', 'teacher', 'student', 'compare'];

export function classroomStage(s: Pick<StudioState, 'tasks' | 'run' | 'busy'>): Stage {
  const run = s.run;
  if (run && (run.status === 'done' || run.status === 'stopped')) return 'compare';
  if (s.busy.tuneTeacher) return 'tune';
  // a starting run scores the test photos with the teacher (its reference line) before its first step
  if (s.tasks['teacher-logits'] || s.busy.startingRun || (run?.status === 'running' && run.step === 0)) return 'teacher';
  if (run && run.step > 0) return 'student';
  if (s.tasks.demo || s.tasks.import || s.tasks.model || s.busy.startDemo) return 'load';
  return run ? 'teacher' : 'load';
}
