// Exported student prompts: what a trained PromptKD student adds to its frozen CLIP — the deep
// visual prompts, the projector and its BatchNorm running stats — under PromptKD's state-dict
// names, with the run's dims, config and class list as metadata. A new run can start from them
// (momentum starts at zero, as in a fresh PyTorch optimizer). The same tensors also go out as a
// Dassl checkpoint (.pth.tar) that the official PromptKD code loads.
import { loadSafetensors, readSafetensorsHeader, writeSafetensors } from '../clip/safetensors.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { writeDasslCheckpoint } from '../torch/checkpoint.ts';
import { CheckpointError } from './checkpoint.ts';
import type { DistillConfig } from './config.ts';
import { PROJECTOR, RUNNING_MEAN, RUNNING_VAR, trainableNames, trainableShapes, type StudentDims, type StudentState } from './state.ts';
import { misplacedLabels } from './teacher-labels.ts';

export const STUDENT_PROMPTS_FORMAT = 'promptkd-student-prompts/1';

export interface StudentPromptsInfo {
  dims: StudentDims;
  config: DistillConfig;
  /** class names in label order (base, then new) */
  classes: string[];
  /** optimizer steps the prompts were trained for */
  step: number;
}

export function writeStudentPrompts(state: StudentState, info: StudentPromptsInfo): Uint8Array<ArrayBuffer> {
  const tensors: Record<string, HostTensor> = {};
  for (const n of trainableNames(info.dims.depth)) tensors[n] = state.params.get(n)!;
  tensors[RUNNING_MEAN] = state.runningMean;
  tensors[RUNNING_VAR] = state.runningVar;
  return writeSafetensors(tensors, {
    format: STUDENT_PROMPTS_FORMAT,
    dims: JSON.stringify(info.dims),
    config: JSON.stringify(info.config),
    classes: JSON.stringify(info.classes),
    step: String(info.step),
  });
}

/** Read exported prompts for a run with student dims `dims`; says in one line what does not fit. */
export async function readStudentPrompts(
  blob: Blob,
  dims: StudentDims,
  source = 'prompt file',
): Promise<{ state: StudentState; info: StudentPromptsInfo }> {
  const header = await readSafetensorsHeader(blob);
  const meta = header.metadata;
  const labels = misplacedLabels(meta, source, 'student prompts');
  if (labels) throw new CheckpointError(labels);
  if (meta.format !== STUDENT_PROMPTS_FORMAT) {
    throw new CheckpointError(
      `${source} is not exported PromptKD student prompts (format '${meta.format ?? 'none'}', expected '${STUDENT_PROMPTS_FORMAT}')`,
    );
  }
  let info: StudentPromptsInfo;
  try {
    info = { dims: JSON.parse(meta.dims!), config: JSON.parse(meta.config!), classes: JSON.parse(meta.classes!), step: Number(meta.step) };
  } catch {
    throw new CheckpointError(`${source}: the metadata (dims/config/classes) is not valid JSON; the file is damaged`);
  }
  const want = new Map(trainableShapes(dims));
  want.set(RUNNING_MEAN, [dims.teacherDim]).set(RUNNING_VAR, [dims.teacherDim]);
  for (const [n, s] of want) {
    const e = header.tensors.get(n);
    if (!e)
      throw new CheckpointError(
        `${source} lacks tensor '${n}' (it was made for other prompt settings: n_ctx ${info.dims.nCtx}, depth ${info.dims.depth})`,
      );
    if (e.shape.join() !== s.join()) {
      throw new CheckpointError(
        `${source}: tensor '${n}' is [${e.shape.join(',')}] but this run needs [${s.join(',')}] (the file is for n_ctx ${info.dims.nCtx}, depth ${info.dims.depth}, teacher width ${info.dims.teacherDim})`,
      );
    }
  }
  const t = await loadSafetensors(blob, [...want.keys()]);
  const names = trainableNames(dims.depth);
  return {
    state: {
      params: new Map(names.map((n) => [n, t.get(n)!])),
      momentum: new Map(names.map((n) => [n, hostTensor('float32', t.get(n)!.shape)])),
      runningMean: t.get(RUNNING_MEAN)!,
      runningVar: t.get(RUNNING_VAR)!,
    },
    info,
  };
}

/** PyTorch's BatchNorm2d keeps a count of training batches beside its running stats. */
export const NUM_BATCHES_TRACKED = 'VPT_image_trans.conv1.1.num_batches_tracked';

/**
 * The student as the official PromptKD trainer saves it (Dassl's save_checkpoint; torch.save zip,
 * fp32): `{"state_dict", "epoch", "optimizer": None, "scheduler": None}` holding the prompts and the
 * projector with its BatchNorm buffers, named and ordered as in trainers/promptkd.py's CustomCLIP.
 * PromptKD's load_model reads it with load_state_dict(strict=False); the frozen CLIP weights it lacks
 * come from CLIP itself. `epoch` counts completed epochs, as Dassl's does.
 */
export function writeStudentPromptsPth(state: StudentState, info: { depth: number; epoch: number; step: number }): Uint8Array<ArrayBuffer> {
  const dict = new Map<string, HostTensor>();
  for (const n of trainableNames(info.depth)) {
    dict.set(n, state.params.get(n)!);
    if (n === PROJECTOR.bnBias) {
      dict.set(RUNNING_MEAN, state.runningMean).set(RUNNING_VAR, state.runningVar);
      // each training step runs the BatchNorm in training mode once
      dict.set(NUM_BATCHES_TRACKED, hostTensor('int64', [], BigInt64Array.of(BigInt(info.step))));
    }
  }
  return writeDasslCheckpoint(dict, info.epoch);
}
