// Where downloaded Hub files live between sessions, and the small records beside them.
//
// A file is kept under its final key, `owner/name@<commit>/<file>`, from its first byte on; its
// record (`record:<key>`) says whether it is still partial (and the ETag its bytes came with, so a
// resume can ask for the rest of the same file) or complete (with the SHA-256 it was verified to
// have, which each load checks again). A ref (`ref:owner/name@main`) remembers the commit a branch
// named when it was last asked, so that a model loads offline and the Storage panel can tell an
// older revision from the newest.

/** a store of named byte files (OPFS in the browser, a folder for the CLI, memory for tests) */
export interface HubCache {
  /** the bytes kept under `name` (partial or whole); undefined when there are none */
  get(name: string): Promise<Blob | undefined>;
  /**
   * Keeps the first `offset` bytes of `name` and writes `body` after them (offset 0 starts the file
   * anew). Bytes are kept as they arrive: when `body` fails, what came before the failure stays.
   */
  write(name: string, offset: number, body: ReadableStream<Uint8Array>): Promise<void>;
  delete(name: string): Promise<void>;
  keys(): Promise<string[]>;
}

/**
 * Reads `body` to its end, each chunk to `write` in turn; a write that fails cancels the body, so that
 * the download under it stops instead of holding its connection open. Every HubCache writes with it.
 */
export async function drain(body: ReadableStream<Uint8Array>, write: (chunk: Uint8Array) => unknown): Promise<void> {
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    try {
      await write(value);
    } catch (e) {
      await reader.cancel(e).catch(() => undefined);
      throw e;
    }
  }
}

export interface FileRecord {
  readonly state: 'partial' | 'complete';
  /** the size the Hub's tree gives */
  readonly size: number;
  /** the SHA-256 the Hub's tree gives (LFS files); null for small files, checked by size */
  readonly expected: string | null;
  /** the SHA-256 of the kept bytes once complete: every load checks the file against it */
  readonly sha256: string | null;
  /** the ETag the partial bytes came with (a resume sends it as If-Range) */
  readonly etag: string | null;
  /** the branch or tag the file was asked for by ('main'), or the commit itself */
  readonly revision: string;
}

const RECORD = 'record:';
const REF = 'ref:';

export const fileKey = (repo: string, commit: string, file: string): string => `${repo}@${commit}/${file}`;

export function parseFileKey(key: string): { repo: string; commit: string; file: string } | undefined {
  const m = /^([^:@]+)@([0-9a-f]{40})\/(.+)$/.exec(key);
  return m ? { repo: m[1]!, commit: m[2]!, file: m[3]! } : undefined;
}

export const isRecordKey = (name: string): boolean => name.startsWith(RECORD);

const refKey = (repo: string, revision: string) => `${REF}${repo}@${encodeURIComponent(revision)}`;

export function parseRefKey(key: string): { repo: string; revision: string } | undefined {
  const m = /^ref:([^@]+)@(.+)$/.exec(key);
  return m ? { repo: m[1]!, revision: decodeURIComponent(m[2]!) } : undefined;
}

async function readJson<T>(cache: HubCache, name: string): Promise<T | undefined> {
  const blob = await cache.get(name);
  if (!blob) return undefined;
  try {
    return JSON.parse(await blob.text()) as T;
  } catch {
    // a record cut off mid-write reads as none: its file is fetched again
    return undefined;
  }
}

const writeJson = (cache: HubCache, name: string, value: unknown) => cache.write(name, 0, new Blob([JSON.stringify(value)]).stream());

export const readRecord = (cache: HubCache, key: string) => readJson<FileRecord>(cache, RECORD + key);
export const writeRecord = (cache: HubCache, key: string, record: FileRecord) => writeJson(cache, RECORD + key, record);

/** removes a file and its record (the record first: a file without one is never taken as complete) */
export async function deleteFile(cache: HubCache, key: string): Promise<void> {
  await cache.delete(RECORD + key);
  await cache.delete(key);
}

/** the commit `revision` of `repo` named when it was last asked */
export const readRef = async (cache: HubCache, repo: string, revision: string) =>
  (await readJson<{ commit: string }>(cache, refKey(repo, revision)))?.commit;
export const writeRef = (cache: HubCache, repo: string, revision: string, commit: string) =>
  writeJson(cache, refKey(repo, revision), { commit });
export const deleteRef = (cache: HubCache, repo: string, revision: string) => cache.delete(refKey(repo, revision));

const FLUSH_BYTES = 16 * 1024 * 1024;

/** In-memory files (tests, and the browser's fallback when its storage refuses a file). */
export class MemoryHubCache implements HubCache {
  private readonly files = new Map<string, Blob>();
  async get(name: string) {
    return this.files.get(name);
  }
  async write(name: string, offset: number, body: ReadableStream<Uint8Array>) {
    const blobs: Blob[] = [(this.files.get(name) ?? new Blob([])).slice(0, offset)];
    // chunks go into a Blob every few MB: the browser then holds the bytes in its blob storage, and
    // a 1.7 GB file is never also 1.7 GB of chunks in the worker's heap (the browser's fallback when
    // its storage refuses a file runs through here)
    let chunks: Uint8Array<ArrayBuffer>[] = [];
    let pending = 0;
    const flush = () => {
      blobs.push(new Blob(chunks));
      chunks = [];
      pending = 0;
    };
    try {
      await drain(body, (value) => {
        chunks.push(value as Uint8Array<ArrayBuffer>);
        pending += value.byteLength;
        if (pending >= FLUSH_BYTES) flush();
      });
    } finally {
      // what arrived before a failure is kept, as a disk's file keeps it
      flush();
      this.files.set(name, new Blob(blobs));
    }
  }
  async delete(name: string) {
    this.files.delete(name);
  }
  async keys() {
    return [...this.files.keys()];
  }
}
