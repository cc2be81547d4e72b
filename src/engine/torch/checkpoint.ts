// PyTorch checkpoints (`torch.save` since 1.6: a zip of data.pkl + one entry per storage), read
// lazily and safely, and written in the form Dassl (PromptSRC/PromptKD's trainer) saves.
//
// Reading unpickles data.pkl with the restricted interpreter of pickle.ts, which describes every
// tensor (dtype, shape, strides, storage and offset) without reading its data; a tensor asked for
// is then read with one slice of the file covering just its elements. Importing prompts from a
// teacher checkpoint that also holds a whole frozen ViT-L/14 thus reads kilobytes, not gigabytes.
import { bfloat16ToFloat32 } from '../clip/safetensors.ts';
import { halfToFloat32 } from '../graph/half.ts';
import type { DType } from '../graph/graph.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import {
  ITEM_BYTES,
  PickleCall,
  PickleDictOut,
  PickleError,
  PickleGlobalOut,
  PicklePersistent,
  PyDict,
  TorchTensor,
  pickle,
  unpickle,
  type PickleOut,
  type PyValue,
  type TorchDType,
} from './pickle.ts';
import {
  entryDataOffset,
  readEntry,
  readRange,
  readZipDirectory,
  writeStoredZip,
  ZipError,
  type ByteSource,
  type ZipEntry,
} from './zip.ts';

export class TorchCheckpointError extends Error {
  override name = 'TorchCheckpointError';
}

/** A checkpoint's pickle holds names and shapes only; one this large is not a checkpoint. */
export const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

/** torch.save before 1.6 (or with _use_new_zipfile_serialization=False) starts with a pickled magic number */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

const startsWith = (head: Uint8Array, magic: readonly number[]) => magic.every((b, i) => head[i] === b);

/** Whether a file's first bytes are a PyTorch checkpoint's (zip, or the legacy pickle format). */
export function looksLikeTorchCheckpoint(head: Uint8Array): boolean {
  return startsWith(head, ZIP_MAGIC) || startsWith(head, LEGACY_MAGIC);
}

export interface TorchCheckpoint {
  /** what torch.load would return, tensors as descriptions (nothing of their data read yet) */
  readonly root: PyValue;
  /** the state dict's tensors by name: root['state_dict'] of a Dassl checkpoint, else root itself */
  readonly tensors: ReadonlyMap<string, TorchTensor>;
  /** Reads the named tensors of the state dict; fp16/bf16 become float32, small ints int32. */
  read(names: readonly string[]): Promise<Map<string, HostTensor>>;
}

export async function readTorchCheckpoint(src: ByteSource): Promise<TorchCheckpoint> {
  const head = await readRange(src, 0, Math.min(src.size, LEGACY_MAGIC.length), 'the start of the file');
  if (startsWith(head, LEGACY_MAGIC)) {
    throw new TorchCheckpointError(
      "this checkpoint is in PyTorch's legacy format (saved by PyTorch before 1.6, or with " +
        '_use_new_zipfile_serialization=False); load it in PyTorch 1.6 or newer and save it again with torch.save(obj, path)',
    );
  }
  if (!startsWith(head, ZIP_MAGIC))
    throw new TorchCheckpointError('not a PyTorch checkpoint: files written by torch.save are zip archives (they start with "PK")');
  try {
    return await open(src);
  } catch (e) {
    if (e instanceof ZipError || e instanceof PickleError) throw new TorchCheckpointError(e.message);
    throw e;
  }
}

async function open(src: ByteSource): Promise<TorchCheckpoint> {
  const dir = await readZipDirectory(src);
  const pickles = dir.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    throw new TorchCheckpointError(
      `a zip archive but not a PyTorch checkpoint: it has ${pickles.length === 0 ? 'no' : pickles.length} <archive>/data.pkl entries, torch.save writes one`,
    );
  }
  const prefix = pickles[0]!.name.slice(0, -'data.pkl'.length);
  if (dir.byName.has(`${prefix}constants.pkl`)) {
    throw new TorchCheckpointError(
      "this is a TorchScript model (torch.jit.save, like OpenAI's ViT-L-14.pt), not a checkpoint of tensors; " +
        'a model folder takes Hugging Face safetensors, prompt files take PromptSRC/PromptKD checkpoints',
    );
  }
  const order = dir.byName.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(await readEntry(src, dir, order)).trim() !== 'little') {
    throw new TorchCheckpointError(
      'this checkpoint was saved on a big-endian machine; load and save it again with PyTorch on a little-endian one (x86, ARM)',
    );
  }
  if (pickles[0]!.size > MAX_PICKLE_BYTES) {
    throw new TorchCheckpointError(
      `its data.pkl has ${pickles[0]!.size} bytes, more than the ${MAX_PICKLE_BYTES} a checkpoint's names and shapes need: not a checkpoint this reader takes`,
    );
  }
  const root = unpickle(await readEntry(src, dir, pickles[0]!));
  const sd = root instanceof PyDict && root.map.get('state_dict') instanceof PyDict ? (root.map.get('state_dict') as PyDict) : root;
  const tensors = new Map<string, TorchTensor>();
  if (sd instanceof PyDict) for (const [k, v] of sd.map) if (typeof k === 'string' && v instanceof TorchTensor) tensors.set(k, v);

  const dataOffsets = new Map<ZipEntry, Promise<number>>();
  const readTensor = async (name: string, t: TorchTensor): Promise<HostTensor> => {
    const s = t.storage,
      item = ITEM_BYTES[t.dtype];
    const numel = t.shape.reduce((a, b) => a * b, 1);
    // a tensor never holds more elements than its storage: this bounds every allocation by the
    // file's size (stride-0 views could otherwise expand a few bytes into gigabytes)
    if (numel > s.numel)
      throw new TorchCheckpointError(
        `tensor '${name}' [${t.shape.join(',')}] has ${numel} elements but its storage '${s.key}' holds ${s.numel}: the file is damaged`,
      );
    const out = outputOf(t.dtype, t.shape);
    if (numel === 0) return out.empty();
    const last = t.shape.reduce((at, n, i) => at + (n - 1) * t.stride[i]!, t.storageOffset);
    if (last >= s.numel) {
      throw new TorchCheckpointError(
        `tensor '${name}' reaches element ${last} of storage '${s.key}', which holds ${s.numel}: the file is damaged`,
      );
    }
    const entry = dir.byName.get(`${prefix}data/${s.key}`);
    if (!entry) throw new TorchCheckpointError(`storage '${s.key}' of tensor '${name}' is missing from the archive: the file is damaged`);
    if (entry.size < s.numel * item) {
      throw new TorchCheckpointError(
        `storage '${s.key}' of tensor '${name}' has ${entry.size} bytes but declares ${s.numel} ${s.dtype} elements ` +
          `(${s.numel * item} bytes): the file is truncated or damaged`,
      );
    }
    if (!dataOffsets.has(entry)) dataOffsets.set(entry, entryDataOffset(src, dir, entry));
    const start = await dataOffsets.get(entry)!;
    const bytes = await readRange(src, start + t.storageOffset * item, start + (last + 1) * item, `tensor '${name}'`);
    return out.from(bytes.buffer as ArrayBuffer, t.stride);
  };

  return {
    root,
    tensors,
    async read(names) {
      const missing = names.filter((n) => !tensors.has(n));
      if (missing.length > 0) {
        throw new TorchCheckpointError(
          `the checkpoint has no tensor ${missing.map((n) => `'${n}'`).join(', ')} (its state dict holds ${tensors.size} tensors)`,
        );
      }
      const out = new Map<string, HostTensor>();
      try {
        for (const n of names) out.set(n, await readTensor(n, tensors.get(n)!));
      } catch (e) {
        if (e instanceof ZipError) throw new TorchCheckpointError(e.message);
        throw e;
      }
      return out;
    },
  };
}

type Indexed = { [i: number]: number | bigint; readonly length: number };

/** Copies a strided view (strides relative to the first element of `src`) into contiguous `out`. */
function gather<T extends Indexed>(src: T, out: T, shape: readonly number[], stride: readonly number[]): void {
  const nd = shape.length;
  if (nd === 0) {
    out[0] = src[0]!;
    return;
  }
  const inner = shape[nd - 1]!,
    innerStride = stride[nd - 1]!;
  const index = new Array<number>(nd).fill(0);
  let base = 0,
    o = 0;
  for (;;) {
    for (let j = 0; j < inner; j++) out[o++] = src[base + j * innerStride]!;
    let d = nd - 2;
    for (; d >= 0; d--) {
      index[d]!++;
      base += stride[d]!;
      if (index[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

const isContiguous = (shape: readonly number[], stride: readonly number[]) => {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
};

/** HostTensor has no 16-bit floats or small ints: they widen */
const HOST_DTYPE: Record<TorchDType, DType> = {
  float32: 'float32',
  float16: 'float32',
  bfloat16: 'float32',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  int16: 'int32',
  int8: 'int32',
  uint8: 'int32',
  bool: 'bool',
};

/** The element span of a view, read into the storage's own type, then made contiguous and widened. */
function outputOf(dtype: TorchDType, shape: readonly number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  const view = <T extends Indexed>(src: T, make: (n: number) => T, stride: readonly number[]): T => {
    if (isContiguous(shape, stride)) return src;
    const out = make(n);
    gather(src, out, shape, stride);
    return out;
  };
  const to = (d: DType, data?: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array) => hostTensor(d, shape, data);
  return {
    empty: () => to(HOST_DTYPE[dtype]),
    from(buf: ArrayBuffer, stride: readonly number[]): HostTensor {
      switch (dtype) {
        case 'float32':
          return to(
            'float32',
            view(new Float32Array(buf), (k) => new Float32Array(k), stride),
          );
        case 'float16':
          return to('float32', halfToFloat32(view(new Uint16Array(buf), (k) => new Uint16Array(k), stride)));
        case 'bfloat16':
          return to('float32', bfloat16ToFloat32(view(new Uint16Array(buf), (k) => new Uint16Array(k), stride)));
        case 'float64':
          return to(
            'float64',
            view(new Float64Array(buf), (k) => new Float64Array(k), stride),
          );
        case 'int64':
          return to(
            'int64',
            view(new BigInt64Array(buf), (k) => new BigInt64Array(k), stride),
          );
        case 'int32':
          return to(
            'int32',
            view(new Int32Array(buf), (k) => new Int32Array(k), stride),
          );
        case 'int16':
          return to('int32', Int32Array.from(view(new Int16Array(buf), (k) => new Int16Array(k), stride)));
        case 'int8':
          return to('int32', Int32Array.from(view(new Int8Array(buf), (k) => new Int8Array(k), stride)));
        case 'uint8':
          return to('int32', Int32Array.from(view(new Uint8Array(buf), (k) => new Uint8Array(k), stride)));
        case 'bool':
          return to(
            'bool',
            view(new Uint8Array(buf), (k) => new Uint8Array(k), stride),
          );
      }
    },
  };
}

// ---- writing ------------------------------------------------------------------------------------

const STORAGE_OF: Record<DType, string> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  float64: 'DoubleStorage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  bool: 'BoolStorage',
};

/**
 * Dassl's checkpoint layout, `{"state_dict": OrderedDict, "epoch": int, "optimizer": None,
 * "scheduler": None}`, as a torch.save zip: one storage per tensor, in state-dict order. The pickle
 * uses only what `torch.load(path, weights_only=True)` accepts, from PyTorch 1.13 on.
 */
export function writeDasslCheckpoint(stateDict: ReadonlyMap<string, HostTensor>, epoch: number): Uint8Array<ArrayBuffer> {
  const storages: Uint8Array[] = [];
  const entries = [...stateDict].map(([name, t]): [string, PickleOut] => {
    const key = String(storages.length);
    storages.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const storage = new PicklePersistent(['storage', new PickleGlobalOut('torch', STORAGE_OF[t.dtype]), key, 'cpu', t.data.length]);
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
    return [name, new PickleCall('torch._utils', '_rebuild_tensor_v2', [storage, 0, t.shape, stride, false, new PickleDictOut([], true)])];
  });
  const root = new PickleDictOut([
    ['state_dict', new PickleDictOut(entries, true)],
    ['epoch', epoch],
    ['optimizer', null],
    ['scheduler', null],
  ]);
  return writeStoredZip([
    { name: 'archive/data.pkl', data: pickle(root) },
    { name: 'archive/byteorder', data: new TextEncoder().encode('little') },
    ...storages.map((data, i) => ({ name: `archive/data/${i}`, data })),
    // the serialization format version torch.load checks
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
  ]);
}
