// The student's Dassl export read back by our own reader (pytorch.test.ts loads it in PyTorch).
import { describe, expect, it } from 'vitest';
import { rng } from '../random.ts';
import { readTorchCheckpoint } from '../torch/checkpoint.ts';
import type { PyDict } from '../torch/pickle.ts';
import { initStudentState, RUNNING_MEAN, RUNNING_VAR, trainableNames } from './state.ts';
import { NUM_BATCHES_TRACKED, writeStudentPromptsPth } from './student-prompts.ts';

describe('student prompts as a PromptKD checkpoint', () => {
  it("holds the prompts, the projector and its BatchNorm buffers in PromptKD's order, and the epoch", async () => {
    const state = initStudentState({ nCtx: 2, depth: 3, width: 8, embedDim: 6, teacherDim: 10 }, rng(4));
    const ckpt = await readTorchCheckpoint(new Blob([writeStudentPromptsPth(state, { depth: 3, epoch: 5, step: 40 })]));
    const names = trainableNames(3);
    const bn = names.indexOf('VPT_image_trans.conv1.1.bias') + 1;
    expect([...ckpt.tensors.keys()]).toEqual([...names.slice(0, bn), RUNNING_MEAN, RUNNING_VAR, NUM_BATCHES_TRACKED, ...names.slice(bn)]);
    expect((ckpt.root as PyDict).map.get('epoch')).toBe(5);
    const t = await ckpt.read([...ckpt.tensors.keys()]);
    for (const n of names) expect(t.get(n), n).toEqual(state.params.get(n));
    expect(t.get(RUNNING_VAR)).toEqual(state.runningVar);
    expect(t.get(NUM_BATCHES_TRACKED)!.data).toEqual(BigInt64Array.of(40n));
  });
});
