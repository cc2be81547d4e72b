// Student checkpoints as safetensors under PromptKD's state-dict names: every trainable tensor,
// its SGD momentum buffer as `<name>.momentum`, the BatchNorm running stats, and metadata
// {format, step, epoch, seed, dims, config}. Loading checks the file against the run before any
// tensor is used and says in one line what does not fit.
import { loadSafetensors, readSafetensorsHeader, writeSafetensors } from '../clip/safetensors.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { DistillConfig } from './config.ts';
import { misplacedLabels } from './teacher-labels.ts';
import { momentumName, RUNNING_MEAN, RUNNING_VAR, trainableNames, trainableShapes, type StudentDims, type StudentState } from './state.ts';

export const CHECKPOINT_FORMAT = 'promptkd-student/1';

export interface CheckpointInfo {
  /** optimizer steps taken so far */
  step: number;
  /** epochs completed so far (the next epoch to run) */
  epoch: number;
  seed: number;
  dims: StudentDims;
  config: DistillConfig;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function writeCheckpoint(state: StudentState, info: CheckpointInfo): Uint8Array<ArrayBuffer> {
  const tensors: Record<string, HostTensor> = {};
  for (const [n, t] of state.params) tensors[n] = t;
  for (const [n, t] of state.momentum) tensors[momentumName(n)] = t;
  tensors[RUNNING_MEAN] = state.runningMean;
  tensors[RUNNING_VAR] = state.runningVar;
  return writeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    step: String(info.step),
    epoch: String(info.epoch),
    seed: String(info.seed),
    dims: JSON.stringify(info.dims),
    config: JSON.stringify(info.config),
  });
}

const DIM_NAMES: Record<keyof StudentDims, string> = {
  nCtx: 'n_ctx',
  depth: 'depth',
  width: 'student vision width',
  embedDim: 'student embedding width',
  teacherDim: 'teacher embedding width',
};

/** The metadata of a checkpoint, without reading its tensors. */
export async function readCheckpointInfo(blob: Blob): Promise<CheckpointInfo> {
  const meta = (await readSafetensorsHeader(blob)).metadata;
  const labels = misplacedLabels(meta, 'the file', 'a student checkpoint');
  if (labels) throw new CheckpointError(labels);
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`not a PromptKD student checkpoint (format '${meta.format ?? 'none'}', expected '${CHECKPOINT_FORMAT}')`);
  }
  try {
    // checkpoints written before `views` existed drew a new crop every epoch
    const config = { views: 0, ...JSON.parse(meta.config!) } as DistillConfig;
    return { step: Number(meta.step), epoch: Number(meta.epoch), seed: Number(meta.seed), dims: JSON.parse(meta.dims!), config };
  } catch {
    throw new CheckpointError('the checkpoint metadata (dims/config) is not valid JSON; the file is damaged');
  }
}

/** Read a checkpoint, checking that it belongs to a run with student dims `dims`. */
export async function readCheckpoint(blob: Blob, dims: StudentDims): Promise<{ state: StudentState; info: CheckpointInfo }> {
  const info = await readCheckpointInfo(blob);
  const header = await readSafetensorsHeader(blob);
  for (const k of Object.keys(DIM_NAMES) as (keyof StudentDims)[]) {
    if (info.dims[k] !== dims[k]) throw new CheckpointError(`checkpoint has ${DIM_NAMES[k]} ${info.dims[k]} but this run uses ${dims[k]}`);
  }
  const shapes = trainableShapes(dims);
  const want = new Map<string, number[]>();
  for (const [n, s] of shapes) want.set(n, s).set(momentumName(n), s);
  want.set(RUNNING_MEAN, [dims.teacherDim]).set(RUNNING_VAR, [dims.teacherDim]);
  for (const [n, s] of want) {
    const e = header.tensors.get(n);
    if (!e) throw new CheckpointError(`checkpoint lacks tensor '${n}'`);
    if (e.shape.join() !== s.join())
      throw new CheckpointError(`checkpoint tensor '${n}' has shape [${e.shape.join(',')}] but this run needs [${s.join(',')}]`);
  }
  const t = await loadSafetensors(blob, [...want.keys()]);
  const names = trainableNames(dims.depth);
  return {
    state: {
      params: new Map(names.map((n) => [n, t.get(n)!])),
      momentum: new Map(names.map((n) => [n, t.get(momentumName(n))!])),
      runningMean: t.get(RUNNING_MEAN)!,
      runningVar: t.get(RUNNING_VAR)!,
    },
    info,
  };
}
