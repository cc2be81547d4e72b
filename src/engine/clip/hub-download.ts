// One file of a repo at one commit, kept in a HubCache and verified against the Hub's tree.
//
// The bytes go to the cache as they arrive, under the file's final key, with a record that says
// they are partial. A cut connection, a reload or the next visit continues with
// `Range: bytes=<have>-` and `If-Range: <ETag>`: a server whose file changed since answers with
// the whole new file, which then starts the download over. The SHA-256 is computed while the bytes
// stream in (a resume first hashes the part already kept), and the file is complete only when its
// size and hash match the tree's; a mismatch discards it and fetches it once more. A complete file
// is hashed again on each load, so that one changed on disk is never used.
import { HubError, isAbort } from './hub-error.ts';
import { hubFetch, waitToRetry, type HubContext } from './hub-http.ts';
import { deleteFile, fileKey, readRecord, writeRecord, type FileRecord, type HubCache } from './hub-cache.ts';
import { resolveUrl, type TreeFile } from './hub-tree.ts';
import { hashBlob, type Sha256, type Sha256Factory } from './sha256.ts';

export interface DownloadProgress {
  readonly file: string;
  /** bytes there so far, a resumed download's earlier part included */
  readonly loaded: number;
  readonly total: number;
  /** from the cache: `loaded` counts the bytes checked against the recorded SHA-256 */
  readonly cached: boolean;
}

export interface FileJob {
  readonly ctx: HubContext;
  readonly cache: HubCache;
  readonly commit: string;
  /** the branch or tag asked for, kept in the record for the Storage panel */
  readonly revision: string;
  readonly file: string;
  /** its size and SHA-256 from the Hub's tree (asked only when the file is not kept whole) */
  readonly expected: () => Promise<TreeFile>;
  readonly sha256: Sha256Factory;
  readonly onProgress?: (p: DownloadProgress) => void;
  /** a kept file failed its check on load: it is discarded and downloaded again */
  readonly onChanged?: (file: string, recorded: string, found: string) => void;
}

/** a file whose SHA-256 is not the one expected */
class HashMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly found: string,
  ) {
    super('hash mismatch');
  }
}

/** The file from the cache (checked again) or downloaded (resumed where it stopped, verified). */
export async function verifiedFile(job: FileJob): Promise<Blob> {
  const key = fileKey(job.ctx.repo, job.commit, job.file);
  const record = await readRecord(job.cache, key);
  const kept = await job.cache.get(key);
  if (record?.state === 'complete' && kept) {
    const found = await checkKept(job, kept, record);
    if (found === null) return kept;
    // changed behind the studio's back: never used, fetched anew
    await deleteFile(job.cache, key);
    job.onChanged?.(job.file, record.sha256 ?? '(none)', found);
  }
  let first: HashMismatch | undefined;
  for (;;) {
    try {
      return await download(job, key);
    } catch (e) {
      if (!(e instanceof HashMismatch)) throw e;
      await deleteFile(job.cache, key);
      if (first) {
        throw new HubError(
          'hash-mismatch',
          `${job.file} of ${job.ctx.repo} (commit ${job.commit.slice(0, 10)}) arrived twice with the wrong content: its SHA-256 was ` +
            `${first.found}, then ${e.found}, and the Hub's file list says ${e.expected}. Nothing of it was kept or used; a proxy or ` +
            'the server may be altering downloads: try another network, or later',
          resolveUrl(job.ctx, job.commit, job.file),
        );
      }
      first = e;
    }
  }
}

/** null when the kept file still has its recorded size and SHA-256; else the SHA-256 found */
async function checkKept(job: FileJob, kept: Blob, record: FileRecord): Promise<string | null> {
  const hash = await job.sha256();
  const total = kept.size;
  await hashBlob(hash, kept, 0, total, (loaded) => job.onProgress?.({ file: job.file, loaded, total, cached: true }), job.ctx.signal);
  const found = hash.hex();
  if (total === 0) job.onProgress?.({ file: job.file, loaded: 0, total: 0, cached: true });
  return kept.size === record.size && found === record.sha256 && (record.expected === null || found === record.expected) ? null : found;
}

/** the part already kept for `key` (0 without a usable one), and a hash of it */
async function resumePoint(
  job: FileJob,
  key: string,
  expected: TreeFile,
  record: FileRecord | undefined,
): Promise<{ have: number; hash: Sha256 }> {
  const hash = await job.sha256();
  const kept = await job.cache.get(key);
  const usable = record?.state === 'partial' && kept && record.size === expected.size && record.expected === expected.sha256 && record.etag;
  if (!usable || kept.size > expected.size) return { have: 0, hash };
  // the part kept is hashed again, so that the finished file's hash covers every byte it holds
  const total = expected.size;
  await hashBlob(hash, kept, 0, kept.size, (loaded) => job.onProgress?.({ file: job.file, loaded, total, cached: false }), job.ctx.signal);
  return { have: kept.size, hash };
}

async function download(job: FileJob, key: string): Promise<Blob> {
  const { ctx, file } = job;
  const expected = await job.expected();
  const url = resolveUrl(ctx, job.commit, file);
  const about = { what: file, revision: job.commit };
  let record = await readRecord(job.cache, key);
  let { have, hash } = await resumePoint(job, key, expected, record);
  let cuts = 0;
  job.onProgress?.({ file, loaded: have, total: expected.size, cached: false });
  for (;;) {
    // every byte was kept before the load was cut off (the last write done, the record not yet
    // complete): nothing to ask for, only to check
    if (have > 0 && have === expected.size) break;
    const resuming = have > 0 && !!record?.etag;
    if (!resuming && have > 0) ({ have, hash } = { have: 0, hash: await job.sha256() });
    const response = await hubFetch(ctx, url, about, resuming ? { headers: { range: `bytes=${have}-`, 'if-range': record!.etag! } } : {});
    if (resuming && response.status === 206 && rangeStart(response) !== have) {
      // another part than asked for: what was kept is dropped, and the file asked for whole
      await response.body?.cancel().catch(() => undefined);
      await deleteFile(job.cache, key);
      [record, have, hash] = [undefined, 0, await job.sha256()];
      continue;
    }
    // not a 206 to a resume: the file changed since (If-Range did not match), and this is all of the new one
    if (resuming && response.status !== 206) ({ have, hash } = { have: 0, hash: await job.sha256() });
    record = {
      state: 'partial',
      size: expected.size,
      expected: expected.sha256,
      sha256: null,
      etag: strongEtag(response.headers.get('etag')),
      revision: job.revision,
    };
    // the record first: bytes without a partial record are never mistaken for a complete file
    await writeRecord(job.cache, key, record);
    let received = 0;
    const start = have;
    try {
      await job.cache.write(
        key,
        start,
        counted(response, url, expected.size - start, (chunk) => {
          hash.update(chunk);
          received += chunk.byteLength;
          job.onProgress?.({ file, loaded: start + received, total: expected.size, cached: false });
        }),
      );
      have = start + received;
      break;
    } catch (e) {
      have = start + received;
      if (isAbort(e) || !(e instanceof HubError) || e.kind !== 'truncated') throw e;
      // a cut connection: the bytes so far are kept, and the rest is asked for with a Range
      // bounded: tries in a row that bring nothing new
      cuts = received > 0 ? 1 : cuts + 1;
      if (cuts >= ctx.attempts) {
        throw new HubError(
          'network',
          `${file}: the connection to ${new URL(url).host} was cut ${cuts} times in a row (${e.message}); ${have} of ${expected.size} bytes ` +
            'are kept, and loading again continues from there',
          url,
        );
      }
      await waitToRetry(ctx, 1000 * 2 ** (cuts - 1));
      const kept = (await job.cache.get(key))?.size ?? 0;
      if (kept !== have) ({ have, hash } = await resumePoint(job, key, expected, record));
    }
  }
  const kept = (await job.cache.get(key)) ?? new Blob([]);
  if (kept.size !== expected.size) {
    throw new HubError(
      'truncated',
      `${file}: ${kept.size} bytes arrived where the Hub's file list says ${expected.size}; load again to retry`,
      url,
    );
  }
  const found = hash.hex();
  if (expected.sha256 !== null && found !== expected.sha256) throw new HashMismatch(expected.sha256, found);
  await writeRecord(job.cache, key, { ...record!, state: 'complete', sha256: found });
  return kept;
}

/** the first byte of a 206's Content-Range ("bytes 100-199/200"), or -1 */
function rangeStart(response: Response): number {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return m ? Number(m[1]) : -1;
}

/** If-Range needs a strong validator: a weak ETag (W/"…") resumes nothing */
const strongEtag = (etag: string | null): string | null => (etag && !etag.startsWith('W/') ? etag : null);

/**
 * The response body, each chunk seen by `onChunk` before it goes on; a read that fails (a cut
 * connection) or a body that ends short becomes a HubError('truncated'), which resumes; a body longer
 * than `expected` a HubError('http'), which does not.
 */
function counted(response: Response, url: string, expected: number, onChunk: (c: Uint8Array) => void): ReadableStream<Uint8Array> {
  if (!response.body) return new Blob([]).stream();
  const reader = response.body.getReader();
  let received = 0;
  const short = (why: string) => new HubError('truncated', `${url}: ${why} after ${received} of ${expected} bytes`, url);
  // pull-based, so that a slow consumer (the cache writing to disk) holds back the network; no chunk
  // read ahead (highWaterMark 0): a chunk counted is one the cache took, so a cut keeps every byte
  // counted and the resume needs no rehash of what was kept
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          controller.error(isAbort(e) ? e : short(`the connection was cut (${(e as Error).message})`));
          return;
        }
        if (chunk.done) {
          if (received < expected) controller.error(short('the body ended'));
          else controller.close();
          return;
        }
        if (received + chunk.value.byteLength > expected) {
          await reader.cancel();
          controller.error(new HubError('http', `${url} sent more than the ${expected} bytes the Hub's file list gives`, url));
          return;
        }
        received += chunk.value.byteLength;
        onChunk(chunk.value);
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
