// The zip container of `torch.save` (PyTorch ≥ 1.6): stored (uncompressed) entries under one folder,
// `<archive>/data.pkl`, `<archive>/data/<key>` storages, `<archive>/version`. torch writes sizes and
// CRCs only in the central directory (the local headers defer to data descriptors), pads local
// headers so that data starts on 64-byte boundaries, and always adds zip64 end records.
//
// A checkpoint can be gigabytes (a whole ViT-L/14 teacher) and comes from the user's disk, so the
// reader reads the central directory and then only the byte ranges asked for, each with its own
// `slice()`: a `File`/`Blob` (browser) or `fs.openAsBlob` (Node) is never read whole. Every size
// and offset is checked against the file's real size before anything is allocated.

/** What the reader needs of a Blob: its size and lazily read byte ranges. */
export interface ByteSource {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipEntry {
  readonly name: string;
  /** bytes of data (stored entries only: compressed size = size) */
  readonly size: number;
  readonly crc32: number;
  /** offset of the entry's local header */
  readonly headerOffset: number;
}

export interface ZipDirectory {
  /** entries in central-directory order */
  readonly entries: readonly ZipEntry[];
  readonly byName: ReadonlyMap<string, ZipEntry>;
  /** where the central directory starts: every entry's data ends before it */
  readonly directoryOffset: number;
}

const EOCD = 0x06054b50,
  ZIP64_LOCATOR = 0x07064b50,
  ZIP64_EOCD = 0x06064b50,
  CENTRAL = 0x02014b50,
  LOCAL = 0x04034b50;
const EOCD_BYTES = 22,
  CENTRAL_BYTES = 46,
  LOCAL_BYTES = 30,
  MAX_COMMENT = 0xffff;
/** A torch checkpoint has a few thousand entries (~100 bytes each); a larger directory is not one. */
export const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;

/** Reads exactly [start, end) or says the file ended early. */
export async function readRange(src: ByteSource, start: number, end: number, what: string): Promise<Uint8Array> {
  if (start < 0 || end < start || end > src.size) {
    throw new ZipError(`${what} lies at bytes ${start}..${end} but the file has ${src.size} bytes: the file is truncated or damaged`);
  }
  const bytes = new Uint8Array(await src.slice(start, end).arrayBuffer());
  if (bytes.length !== end - start)
    throw new ZipError(`${what}: read ${bytes.length} of ${end - start} bytes; the file changed or could not be read`);
  return bytes;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function u64(dv: DataView, at: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`the zip's ${what} is ${v}, beyond any real file: the file is damaged`);
  return Number(v);
}

/** Reads and checks the central directory. */
export async function readZipDirectory(src: ByteSource): Promise<ZipDirectory> {
  if (src.size < EOCD_BYTES) throw new ZipError(`the file has ${src.size} bytes, too few for a zip archive`);
  // the end record sits in the last 22 bytes plus an optional comment of at most 64 KiB; torch
  // writes no comment, so the last KiB is tried first
  let tailStart = 0,
    tail: Uint8Array = new Uint8Array(),
    eocd = -1;
  for (const want of [1024, EOCD_BYTES + MAX_COMMENT]) {
    tailStart = Math.max(0, src.size - want);
    tail = await readRange(src, tailStart, src.size, 'the end of the zip');
    const v = view(tail);
    for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
      // the comment length must reach exactly to the end of the file, so stray signature bytes
      // inside data or a comment are not taken for the record
      if (v.getUint32(i, true) === EOCD && i + EOCD_BYTES + v.getUint16(i + 20, true) === tail.length) {
        eocd = i;
        break;
      }
    }
    if (eocd >= 0 || tailStart === 0) break;
  }
  if (eocd < 0) throw new ZipError('no zip end record: the file is not a zip archive, or its end is missing (truncated download)');
  const tv = view(tail);
  let count = tv.getUint16(eocd + 10, true);
  let dirSize = tv.getUint32(eocd + 12, true);
  let dirOffset = tv.getUint32(eocd + 16, true);
  const eocdAt = tailStart + eocd;
  let dirEnd = eocdAt;
  if (eocd >= 20 && tv.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = u64(tv, eocd - 20 + 8, 'zip64 end record offset');
    const rec = view(await readRange(src, at, at + 56, 'the zip64 end record'));
    if (rec.getUint32(0, true) !== ZIP64_EOCD)
      throw new ZipError('the zip64 end record is missing where its locator points: the file is damaged');
    count = u64(rec, 32, 'entry count');
    dirSize = u64(rec, 40, 'central directory size');
    dirOffset = u64(rec, 48, 'central directory offset');
    dirEnd = at;
  }
  if (dirOffset + dirSize > dirEnd) {
    throw new ZipError(
      `the central directory (bytes ${dirOffset}..${dirOffset + dirSize}) runs past its end record at ${dirEnd}: the file is truncated or damaged`,
    );
  }
  if (dirSize > MAX_DIRECTORY_BYTES || count * CENTRAL_BYTES > dirSize) {
    throw new ZipError(`the zip claims ${count} entries in a ${dirSize}-byte directory: not a PyTorch checkpoint, or a damaged one`);
  }
  const dir = await readRange(src, dirOffset, dirOffset + dirSize, 'the central directory');
  const dv = view(dir);
  const entries: ZipEntry[] = [];
  const names = new TextDecoder('utf-8');
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + CENTRAL_BYTES > dir.length || dv.getUint32(p, true) !== CENTRAL) throw new ZipError(`central directory entry ${k} is damaged`);
    const flags = dv.getUint16(p + 8, true),
      method = dv.getUint16(p + 10, true);
    const crc32 = dv.getUint32(p + 16, true);
    let compressed = dv.getUint32(p + 20, true),
      size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true),
      extraLen = dv.getUint16(p + 30, true),
      commentLen = dv.getUint16(p + 32, true);
    let headerOffset = dv.getUint32(p + 42, true);
    if (p + CENTRAL_BYTES + nameLen + extraLen + commentLen > dir.length)
      throw new ZipError(`central directory entry ${k} runs past the directory`);
    const name = names.decode(dir.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLen));
    // zip64: the 32-bit fields that overflowed hold 0xffffffff and their real values follow, in
    // this order, in extra field 0x0001
    let x = p + CENTRAL_BYTES + nameLen;
    const extraEnd = x + extraLen;
    while (x + 4 <= extraEnd) {
      const id = dv.getUint16(x, true),
        len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const next = (what: string) => {
          if (q + 8 > x + 4 + len) throw new ZipError(`entry '${name}': its zip64 field lacks the ${what}`);
          const v = u64(dv, q, `${what} of '${name}'`);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressed === 0xffffffff) compressed = next('compressed size');
        if (headerOffset === 0xffffffff) headerOffset = next('header offset');
      }
      x += 4 + len;
    }
    if (flags & 1) throw new ZipError(`entry '${name}' is encrypted; a PyTorch checkpoint never is`);
    if (method !== 0 || compressed !== size) {
      throw new ZipError(
        `entry '${name}' is compressed (method ${method}); torch.save stores entries uncompressed, so the file was re-zipped: ` +
          'use the file torch.save wrote, or load it in PyTorch and save it again',
      );
    }
    if (headerOffset + LOCAL_BYTES + size > dirOffset) {
      throw new ZipError(
        `entry '${name}' (${size} bytes at ${headerOffset}) runs past the start of the central directory at ${dirOffset}: the file is damaged`,
      );
    }
    entries.push({ name, size, crc32, headerOffset });
    p += CENTRAL_BYTES + nameLen + extraLen + commentLen;
  }
  return { entries, byName: new Map(entries.map((e) => [e.name, e])), directoryOffset: dirOffset };
}

/** Where an entry's data starts (after its local header, whose extra field differs from the central one). */
export async function entryDataOffset(src: ByteSource, dir: ZipDirectory, e: ZipEntry): Promise<number> {
  const h = view(await readRange(src, e.headerOffset, e.headerOffset + LOCAL_BYTES, `the local header of '${e.name}'`));
  if (h.getUint32(0, true) !== LOCAL) throw new ZipError(`entry '${e.name}' has no local header at ${e.headerOffset}: the file is damaged`);
  const start = e.headerOffset + LOCAL_BYTES + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + e.size > dir.directoryOffset) {
    throw new ZipError(
      `the data of '${e.name}' (${e.size} bytes at ${start}) runs into the central directory at ${dir.directoryOffset}: the file is damaged`,
    );
  }
  return start;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip stores it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Reads a whole entry and checks its CRC (for the small entries: data.pkl, version, byteorder). */
export async function readEntry(src: ByteSource, dir: ZipDirectory, e: ZipEntry): Promise<Uint8Array> {
  const start = await entryDataOffset(src, dir, e);
  const bytes = await readRange(src, start, start + e.size, `entry '${e.name}'`);
  if (crc32(bytes) !== e.crc32) throw new ZipError(`entry '${e.name}' fails its CRC check: the file is damaged`);
  return bytes;
}

/** Data of each entry starts on this boundary, as torch aligns it (lets readers map storages in place). */
const ALIGN = 64;
/** extra-field id of our alignment padding: an id no zip tool assigns a meaning to, so readers skip it */
const PADDING_ID = 0x5050;
/** DOS date 1980-01-01: the zip epoch (a date of 0 names no day) */
const DOS_DATE = (1 << 5) | 1;

/**
 * A zip of stored entries, data aligned to 64 bytes, with sizes and CRCs in the local headers too.
 * Checkpoints we write are megabytes, so the classic (non-zip64) records suffice; larger is refused.
 */
export function writeStoredZip(files: readonly { name: string; data: Uint8Array }[]): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const items = files.map((f) => ({ name: enc.encode(f.name), data: f.data, crc: crc32(f.data), offset: 0, pad: 0 }));
  let size = 0;
  for (const it of items) {
    it.offset = size;
    const bare = size + LOCAL_BYTES + it.name.length;
    // the padding is an extra field, which needs a 4-byte header of its own
    it.pad = bare % ALIGN === 0 ? 0 : 4 + ((ALIGN - ((bare + 4) % ALIGN)) % ALIGN);
    size = bare + it.pad + it.data.length;
  }
  const dirOffset = size;
  for (const it of items) size += CENTRAL_BYTES + it.name.length;
  const dirSize = size - dirOffset;
  size += EOCD_BYTES;
  if (size > 0xfffffffe || items.length > 0xfffe)
    throw new ZipError(`a ${size}-byte archive of ${items.length} entries needs zip64, which this writer does not produce`);
  const out = new Uint8Array(size);
  const dv = view(out);
  const header = (at: number, sig: number, it: (typeof items)[number], central: boolean) => {
    dv.setUint32(at, sig, true);
    const o = central ? at + 2 : at; // the central record has "version made by" before the shared fields
    if (central) dv.setUint16(at + 4, 20, true);
    dv.setUint16(o + 4, 20, true); // version needed: 2.0
    dv.setUint16(o + 12, DOS_DATE, true);
    dv.setUint32(o + 14, it.crc, true);
    dv.setUint32(o + 18, it.data.length, true);
    dv.setUint32(o + 22, it.data.length, true);
    dv.setUint16(o + 26, it.name.length, true);
  };
  for (const it of items) {
    header(it.offset, LOCAL, it, false);
    dv.setUint16(it.offset + 28, it.pad, true);
    out.set(it.name, it.offset + LOCAL_BYTES);
    const extra = it.offset + LOCAL_BYTES + it.name.length;
    if (it.pad > 0) {
      dv.setUint16(extra, PADDING_ID, true);
      dv.setUint16(extra + 2, it.pad - 4, true);
    }
    out.set(it.data, extra + it.pad);
  }
  let at = dirOffset;
  for (const it of items) {
    header(at, CENTRAL, it, true);
    dv.setUint32(at + 42, it.offset, true);
    out.set(it.name, at + CENTRAL_BYTES);
    at += CENTRAL_BYTES + it.name.length;
  }
  dv.setUint32(at, EOCD, true);
  dv.setUint16(at + 8, items.length, true);
  dv.setUint16(at + 10, items.length, true);
  dv.setUint32(at + 12, dirSize, true);
  dv.setUint32(at + 16, dirOffset, true);
  return out;
}
