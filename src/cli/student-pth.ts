// The distill command's PyTorch export: the trained student as a Dassl checkpoint that the official
// PromptKD code loads, written beside checkpoint.safetensors at the end of a run.
import fs from 'node:fs';
import path from 'node:path';
import type { StudentState } from '../engine/promptkd/state.ts';
import { writeStudentPromptsPth } from '../engine/promptkd/student-prompts.ts';

export const STUDENT_PTH_FILE = 'student-prompts.pth.tar';

/** Writes `<outDir>/student-prompts.pth.tar` whole (beside it, then renamed) and returns its path. */
export function saveStudentPth(outDir: string, state: StudentState, at: { depth: number; epoch: number; step: number }): string {
  const file = path.join(outDir, STUDENT_PTH_FILE);
  const tmp = `${file}.partial-${process.pid}`;
  fs.writeFileSync(tmp, writeStudentPromptsPth(state, at));
  fs.renameSync(tmp, file);
  return file;
}
