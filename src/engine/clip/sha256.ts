// SHA-256 over a stream of chunks, for verifying downloads against the Hub's `lfs.oid` and stored
// files against the hash recorded when they were kept. WebCrypto's digest takes one whole buffer,
// which a 1.7 GB file must never become: hash-wasm hashes chunk by chunk (about 200 MB/s on one core
// of the 2-core test machine, in Node; docs/downloads.md has the browser's numbers).
import { createSHA256 } from 'hash-wasm';

export interface Sha256 {
  update(chunk: Uint8Array): void;
  /** lowercase hex, as the Hub writes `lfs.oid` */
  hex(): string;
}

/** a fresh SHA-256; platforms with a faster native one (Node's crypto) pass theirs to the Hub client */
export type Sha256Factory = () => Promise<Sha256>;

export const wasmSha256: Sha256Factory = async () => {
  const h = await createSHA256();
  h.init();
  return {
    update: (chunk) => void h.update(chunk),
    hex: () => h.digest('hex'),
  };
};

/** bytes read per slice when hashing a stored file: large enough to keep the hasher busy, small enough not to matter in memory */
const SLICE = 16 * 1024 * 1024;

/** Feeds `hash` the bytes [from, to) of `blob` by slices; `onBytes` hears the end of each slice. */
export async function hashBlob(
  hash: Sha256,
  blob: Blob,
  from = 0,
  to = blob.size,
  onBytes?: (end: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (let at = from; at < to; at += SLICE) {
    signal?.throwIfAborted();
    const end = Math.min(to, at + SLICE);
    hash.update(new Uint8Array(await blob.slice(at, end).arrayBuffer()));
    onBytes?.(end);
  }
}
