import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../clip/safetensors.ts';
import { rng } from '../random.ts';
import { CheckpointError, readCheckpoint, writeCheckpoint, type CheckpointInfo } from './checkpoint.ts';
import { PAPER_CONFIG } from './run-settings.ts';
import { initStudentState, trainableNames, type StudentDims } from './state.ts';

const dims: StudentDims = { nCtx: 2, depth: 3, width: 8, embedDim: 6, teacherDim: 10 };
const info: CheckpointInfo = { step: 7, epoch: 2, seed: 5, dims, config: { ...PAPER_CONFIG, nCtx: 2, depth: 3 } };
const blobOf = (bytes: Uint8Array<ArrayBuffer>) => new Blob([bytes]);

describe('student checkpoints', () => {
  it('round-trips every tensor and the metadata under PromptKD names', async () => {
    const state = initStudentState(dims, rng(1));
    (state.momentum.get('image_encoder.VPT')!.data as Float32Array).fill(0.25);
    const bytes = writeCheckpoint(state, info);
    const back = await readCheckpoint(blobOf(bytes), dims);
    expect(back.info).toEqual(info);
    expect([...back.state.params.keys()]).toEqual(trainableNames(3));
    expect([...back.state.params.keys()]).toContain('image_encoder.transformer.resblocks.2.VPT_shallow');
    for (const [n, t] of state.params) expect(back.state.params.get(n)!.data).toEqual(t.data);
    for (const [n, t] of state.momentum) expect(back.state.momentum.get(n)!.data).toEqual(t.data);
    expect(back.state.runningVar.data).toEqual(state.runningVar.data);
    expect(back.state.runningMean.shape).toEqual([10]);
  });

  it('says which dimension of the run does not fit', async () => {
    const bytes = writeCheckpoint(initStudentState(dims, rng(1)), info);
    await expect(readCheckpoint(blobOf(bytes), { ...dims, nCtx: 4 })).rejects.toThrow('checkpoint has n_ctx 2 but this run uses 4');
    await expect(readCheckpoint(blobOf(bytes), { ...dims, teacherDim: 12 })).rejects.toThrow(
      'checkpoint has teacher embedding width 10 but this run uses 12',
    );
    await expect(readCheckpoint(blobOf(bytes), { ...dims, depth: 2 })).rejects.toThrow(CheckpointError);
  });

  it('rejects a safetensors file that is not a student checkpoint', async () => {
    const other = writeSafetensors({ x: { dtype: 'float32', shape: [1], data: new Float32Array(1) } });
    await expect(readCheckpoint(blobOf(other), dims)).rejects.toThrow(/not a PromptKD student checkpoint/);
  });

  it('initialises like PromptKD: small prompts, unit BatchNorm, bounded convs', () => {
    const s = initStudentState(dims, rng(3));
    const vpt = s.params.get('image_encoder.VPT')!.data as Float32Array;
    const std = Math.sqrt(vpt.reduce((a, v) => a + v * v, 0) / vpt.length);
    expect(std).toBeGreaterThan(0.005);
    expect(std).toBeLessThan(0.05);
    expect(Array.from(s.params.get('VPT_image_trans.conv1.1.weight')!.data as Float32Array)).toEqual(new Array(10).fill(1));
    const w0 = s.params.get('VPT_image_trans.conv1.0.weight')!;
    expect(w0.shape).toEqual([10, 6, 1, 1]);
    expect(Math.max(...Array.from(w0.data as Float32Array, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(6));
    expect(Array.from(s.runningVar.data as Float32Array)).toEqual(new Array(10).fill(1));
  });
});
