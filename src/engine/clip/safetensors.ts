// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}, then
// the data section. Offsets are relative to the data section.
//
// Model files are large (ViT-L/14 is 1.7 GB) and come from the network or the user's disk, so the
// reader validates the whole header before it allocates anything the size of a tensor, and reads
// each requested tensor with its own Blob slice: the file itself is never read whole.
import type { DType } from '../graph/graph.ts';
import { halfToFloat32 } from '../graph/half.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U8' | 'BOOL';

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, BOOL: 1 };

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** byte range inside the data section, end exclusive */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** absolute byte offset of the data section in the file (8 + header length) */
  readonly dataOffset: number;
  /** tensors in file order (ascending offsets) */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A header larger than this is not a model header but a hostile or corrupt file. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const REDOWNLOAD = 'the file is truncated or not a safetensors file; download it again';

const isDType = (d: unknown): d is SafetensorsDType => typeof d === 'string' && Object.hasOwn(BYTES, d);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export async function readSafetensorsHeader(blob: Blob): Promise<SafetensorsHeader> {
  if (blob.size < 8) {
    throw new SafetensorsError(`the file has ${blob.size} bytes, fewer than the 8-byte header length: ${REDOWNLOAD}`);
  }
  const lengthBytes = new DataView(await blob.slice(0, 8).arrayBuffer());
  const declared = lengthBytes.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`the header claims ${declared} bytes, more than the ${MAX_HEADER_BYTES}-byte limit: ${REDOWNLOAD}`);
  }
  const headerLength = Number(declared);
  if (headerLength > blob.size - 8) {
    throw new SafetensorsError(`the header claims ${headerLength} bytes but only ${blob.size - 8} follow the length: ${REDOWNLOAD}`);
  }
  const dataOffset = 8 + headerLength;
  const headerBytes = new Uint8Array(await blob.slice(8, dataOffset).arrayBuffer());

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsError(`the header is not valid UTF-8 JSON (${(e as Error).message}): ${REDOWNLOAD}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError(`the header is not a JSON object: ${REDOWNLOAD}`);
  }

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SafetensorsError(`__metadata__ must be an object of strings: ${REDOWNLOAD}`);
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string: ${REDOWNLOAD}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, raw));
  }

  // The format requires the tensors to tile the data section exactly: sorted by offset, each one
  // starts where the previous ended, and the last ends at the end of the file.
  const dataSize = blob.size - dataOffset;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.end > dataSize) {
      throw new SafetensorsError(
        `tensor '${e.name}' ends at byte ${e.end} of the data section, which has only ${dataSize} bytes: ${REDOWNLOAD}`,
      );
    }
    if (e.begin < expected) {
      throw new SafetensorsError(
        `tensor '${e.name}' (bytes ${e.begin}..${e.end}) overlaps the previous tensor, which ends at ${expected}: ${REDOWNLOAD}`,
      );
    }
    if (e.begin > expected) {
      throw new SafetensorsError(`bytes ${expected}..${e.begin} before tensor '${e.name}' belong to no tensor: ${REDOWNLOAD}`);
    }
    expected = e.end;
  }
  if (expected !== dataSize) {
    throw new SafetensorsError(`the tensors cover ${expected} bytes but the data section has ${dataSize}: ${REDOWNLOAD}`);
  }
  return { dataOffset, tensors: new Map(entries.map((e) => [e.name, e])), metadata };
}

function parseEntry(name: string, raw: unknown): SafetensorsEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(`tensor '${name}' has no {dtype, shape, data_offsets} record: ${REDOWNLOAD}`);
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw new SafetensorsError(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new SafetensorsError(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of non-negative integers: ${REDOWNLOAD}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(
      `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with begin <= end: ${REDOWNLOAD}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const bytes = (shape as number[]).reduce((a, b) => a * b, BYTES[dtype]);
  if (bytes !== end - begin) {
    throw new SafetensorsError(
      `tensor '${name}' (${dtype} [${shape.join(',')}]) needs ${bytes} bytes but its data_offsets span ${end - begin}: ${REDOWNLOAD}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/**
 * Reads the named tensors (all when `names` is omitted). F16 and BF16 become float32, U8 becomes
 * int32 (HostTensor has no uint8), BOOL stays bool, I64 stays int64.
 */
export async function loadSafetensors(blob: Blob, names?: readonly string[]): Promise<Map<string, HostTensor>> {
  const header = await readSafetensorsHeader(blob);
  const wanted = names ?? [...header.tensors.keys()];
  const missing = wanted.filter((n) => !header.tensors.has(n));
  if (missing.length > 0) {
    throw new SafetensorsError(
      `the file has no tensor named ${missing.map((n) => `'${n}'`).join(', ')} ` +
        `(it holds ${header.tensors.size} tensors); check that it is the right model file`,
    );
  }
  const out = new Map<string, HostTensor>();
  for (const name of wanted) {
    const e = header.tensors.get(name)!;
    const bytes = await blob.slice(header.dataOffset + e.begin, header.dataOffset + e.end).arrayBuffer();
    if (bytes.byteLength !== e.end - e.begin) {
      throw new SafetensorsError(`tensor '${name}': read ${bytes.byteLength} of ${e.end - e.begin} bytes: ${REDOWNLOAD}`);
    }
    out.set(name, decodeTensor(e, bytes));
  }
  return out;
}

// Typed-array views below assume a little-endian host, as the format does; every platform that
// runs WebGPU or onnxruntime is little-endian.
function decodeTensor(e: SafetensorsEntry, bytes: ArrayBuffer): HostTensor {
  switch (e.dtype) {
    case 'F32':
      return hostTensor('float32', e.shape, new Float32Array(bytes));
    case 'F64':
      return hostTensor('float64', e.shape, new Float64Array(bytes));
    case 'I64':
      return hostTensor('int64', e.shape, new BigInt64Array(bytes));
    case 'I32':
      return hostTensor('int32', e.shape, new Int32Array(bytes));
    case 'U8':
      return hostTensor('int32', e.shape, Int32Array.from(new Uint8Array(bytes)));
    case 'BOOL':
      return hostTensor('bool', e.shape, new Uint8Array(bytes));
    case 'F16':
      return hostTensor('float32', e.shape, halfToFloat32(new Uint16Array(bytes)));
    case 'BF16':
      return hostTensor('float32', e.shape, bfloat16ToFloat32(new Uint16Array(bytes)));
  }
}

/** bfloat16 is the top half of a float32. */
export function bfloat16ToFloat32(h: Uint16Array): Float32Array {
  const bits = new Uint32Array(h.length);
  for (let i = 0; i < h.length; i++) bits[i] = h[i]! << 16;
  return new Float32Array(bits.buffer);
}

const WRITE_DTYPE: Record<DType, SafetensorsDType> = {
  float32: 'F32',
  float16: 'F16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  bool: 'BOOL',
};

/** one tensor of a file being written: its bytes in memory, or a (lazy) Blob such as a slice of another file */
export interface SafetensorsPart {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly data: ArrayBufferView<ArrayBuffer> | Blob;
}

const byteLength = (d: ArrayBufferView | Blob) => (d instanceof Blob ? d.size : d.byteLength);

/**
 * The 8-byte length and the JSON header of tensors laid out in the given order, the header padded
 * with spaces so that the data section starts on an 8-byte boundary.
 */
function headerBytes(parts: readonly SafetensorsPart[], metadata?: Readonly<Record<string, string>>): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const p of parts) {
    if (p.name === '__metadata__') throw new SafetensorsError(`'__metadata__' is reserved and cannot name a tensor`);
    if (Object.hasOwn(header, p.name)) throw new SafetensorsError(`tensor '${p.name}' is named twice`);
    const bytes = p.shape.reduce((a, b) => a * b, BYTES[p.dtype]),
      got = byteLength(p.data);
    if (got !== bytes)
      throw new SafetensorsError(`tensor '${p.name}' (${p.dtype} [${p.shape.join(',')}]) needs ${bytes} bytes but has ${got}`);
    header[p.name] = { dtype: p.dtype, shape: [...p.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length);
  return out;
}

/**
 * A safetensors file of `parts`, in that order, as a Blob that only refers to its parts: slices of
 * other files stay unread until the Blob is read (streamed to disk, say), so files far larger than
 * memory can be joined.
 */
export function safetensorsBlob(parts: readonly SafetensorsPart[], metadata?: Readonly<Record<string, string>>): Blob {
  return new Blob([headerBytes(parts, metadata), ...parts.map((p) => p.data)]);
}

const partOf = (name: string, t: HostTensor): SafetensorsPart => {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n)
    throw new SafetensorsError(`tensor '${name}' has ${t.data.length} elements but shape [${t.shape.join(',')}] needs ${n}`);
  return {
    name,
    dtype: WRITE_DTYPE[t.dtype],
    shape: t.shape,
    data: new Uint8Array(t.data.buffer as ArrayBuffer, t.data.byteOffset, t.data.byteLength),
  };
};

/** Serializes tensors (data in name order) with the header padded by spaces to an 8-byte boundary. */
export function writeSafetensors(
  tensors: Readonly<Record<string, HostTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array<ArrayBuffer> {
  const parts = Object.keys(tensors)
    .sort()
    .map((name) => partOf(name, tensors[name]!));
  const header = headerBytes(parts, metadata);
  const out = new Uint8Array(header.length + parts.reduce((a, p) => a + byteLength(p.data), 0));
  out.set(header);
  let at = header.length;
  for (const p of parts) {
    const d = p.data as ArrayBufferView;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}
