import { describe, expect, it } from 'vitest';
import { classroomStage } from './classroom.ts';
import { initialState, type LiveRun } from './store.ts';

const run = (over: Partial<LiveRun>): LiveRun => ({
  runId: 'r',
  status: 'running',
  step: 0,
  totalSteps: 90,
  stepsPerEpoch: 30,
  epoch: 0,
  loss: null,
  lr: null,
  latest: null,
  references: null,
  checkpointStep: null,
  checkpoints: [],
  message: null,
  protocol: 'base2new',
  ...over,
});

describe('classroomStage', () => {
  it('follows the demo from loading to the comparison', () => {
    expect(classroomStage({ ...initialState, busy: { startDemo: true } })).toBe('load');
    expect(classroomStage({ ...initialState, tasks: { demo: { done: 1, total: 3, label: '' } } })).toBe('load');
    expect(
      classroomStage({
        ...initialState,
        busy: { startDemo: true, tuneTeacher: true },
        tasks: { teacher: { done: 2, total: 5, label: '' } },
      }),
    ).toBe('tune');
    expect(classroomStage({ ...initialState, busy: { startDemo: true, startingRun: true } })).toBe('teacher');
    expect(classroomStage({ ...initialState, run: run({}) })).toBe('teacher');
    expect(classroomStage({ ...initialState, run: run({ step: 5 }), tasks: { 'teacher-logits': { done: 5, total: 30, label: '' } } })).toBe(
      'teacher',
    );
    expect(classroomStage({ ...initialState, run: run({ step: 5 }) })).toBe('student');
    expect(classroomStage({ ...initialState, run: run({ step: 90, status: 'done' }) })).toBe('compare');
  });
});
