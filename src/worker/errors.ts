// Every failure the worker reports is sorted into one of the protocol's kinds, with a message that
// says what was wrong and what to do.
import { ClipConfigError } from '../engine/clip/config.ts';
import { HubError } from '../engine/clip/hub.ts';
import { ImageDecodeError } from '../engine/clip/image-errors.ts';
import { SafetensorsError } from '../engine/clip/safetensors.ts';
import { ClipWeightsError } from '../engine/clip/weights.ts';
import { CheckpointError } from '../engine/promptkd/checkpoint.ts';
import { DistillConfigError } from '../engine/promptkd/config.ts';
import { TeacherPromptError } from '../engine/promptkd/teacher-prompts.ts';
import { TeacherTuneError } from '../engine/promptkd/teacher-tune.ts';
import { StorageError } from '../storage/storage.ts';
import type { EngineErrorInfo, ErrorKind } from './protocol.ts';

/** a request the studio cannot carry out as asked (missing data, bad settings, wrong state) */
export class StudioInputError extends Error {
  override name = 'StudioInputError';
}

/** a model that cannot be used (wrong files, not a CLIP, too large for the settings) */
export class ModelError extends Error {
  override name = 'ModelError';
}

/** the user stopped the work on purpose (a paused or cancelled download): nothing went wrong */
export class StoppedError extends Error {
  override name = 'StoppedError';
}

/** the GPU device went away; the run is paused */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

const INPUT = [StudioInputError, ImageDecodeError, DistillConfigError, CheckpointError, TeacherPromptError, TeacherTuneError];
const MODEL = [ModelError, HubError, ClipConfigError, ClipWeightsError, SafetensorsError];

export function errorKind(e: unknown): ErrorKind {
  if (e instanceof StorageError) return e.kind === 'quota' ? 'quota' : 'internal';
  // one that reached here unwrapped (a write at start-up) is still a full disk
  if (e instanceof DOMException && e.name === 'QuotaExceededError') return 'quota';
  if (e instanceof DeviceLostError) return 'device';
  if (e instanceof StoppedError) return 'stopped';
  if (INPUT.some((c) => e instanceof c)) return 'input';
  if (MODEL.some((c) => e instanceof c)) return 'model';
  return 'internal';
}

export function errorInfo(e: unknown): EngineErrorInfo {
  // browsers raise some DOMExceptions (IndexedDB's among them) with an empty message: the name is then all there is to say
  const message = e instanceof Error ? e.message || `${e.name} (the browser gave no message)` : String(e);
  const tokenFor = e instanceof HubError && e.kind === 'unauthorized' ? e.repo : undefined;
  return { kind: errorKind(e), message, ...(tokenFor ? { tokenFor } : {}) };
}
