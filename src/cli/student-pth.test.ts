import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { initStudentState } from '../engine/promptkd/state.ts';
import { rng } from '../engine/random.ts';
import { readTorchCheckpoint } from '../engine/torch/checkpoint.ts';
import type { PyDict } from '../engine/torch/pickle.ts';
import { saveStudentPth, STUDENT_PTH_FILE } from './student-pth.ts';

it('writes the student as student-prompts.pth.tar in the run folder, leaving no partial file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-pth-'));
  try {
    const state = initStudentState({ nCtx: 2, depth: 2, width: 8, embedDim: 6, teacherDim: 10 }, rng(1));
    const file = saveStudentPth(dir, state, { depth: 2, epoch: 3, step: 12 });
    expect(file).toBe(path.join(dir, STUDENT_PTH_FILE));
    expect(fs.readdirSync(dir)).toEqual([STUDENT_PTH_FILE]);
    const ckpt = await readTorchCheckpoint(await fs.openAsBlob(file));
    expect((ckpt.root as PyDict).map.get('epoch')).toBe(3);
    expect((await ckpt.read(['image_encoder.VPT'])).get('image_encoder.VPT')).toEqual(state.params.get('image_encoder.VPT'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
