// Downloads CLIP models from a Hugging Face Hub-layout server (`${base}/${repo}/resolve/${rev}/${file}`)
// into a persistent cache, resumable, verified and pinned to a commit (docs/downloads.md):
// - the branch asked for ('main') is resolved to a commit first, and every file is fetched and kept
//   under that commit, so files of two commits never mix;
// - sizes and SHA-256s come from the Hub's tree API, and a file is used only once it matches them;
// - a cut download continues where it stopped (hub-download.ts);
// - 401/403, 404, 429 and 5xx are told apart (hub-http.ts).
// Weights are kept as Blobs (the browser's cache, storage/model-files.ts, keeps them in the origin
// private file system on disk), and loadSafetensors reads tensors from them by slices.
import { ClipConfigError, parseClipConfig, type ClipConfig } from './config.ts';
import {
  deleteFile,
  deleteRef,
  fileKey,
  isRecordKey,
  MemoryHubCache,
  parseFileKey,
  parseRefKey,
  readRecord,
  readRef,
  writeRef,
  type HubCache,
} from './hub-cache.ts';
import { verifiedFile, type DownloadProgress } from './hub-download.ts';
import { HubError, isAbort } from './hub-error.ts';
import { sleep, type HubContext } from './hub-http.ts';
import { COMMIT, repoTree, resolveCommit, type TreeFile } from './hub-tree.ts';
import { wasmSha256, type Sha256Factory } from './sha256.ts';

export { HubError, type HubErrorKind } from './hub-error.ts';
export { MemoryHubCache, type HubCache } from './hub-cache.ts';
export type { DownloadProgress };

export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILES = ['vocab.json', 'merges.txt'] as const;

export interface HubOptions {
  /** server root, default https://huggingface.co (a mirror or a local test server also work) */
  readonly baseUrl?: string;
  /** the branch or tag to resolve (default 'main'), or a commit */
  readonly revision?: string;
  /** the commit to load, skipping the resolution of `revision` (a model chosen earlier, pinned) */
  readonly commit?: string;
  /** an access token for gated and private repos; sent to `baseUrl`'s origin only */
  readonly token?: string;
  readonly cache?: HubCache;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  /** for tests and custom transports; defaults to the global fetch */
  readonly fetch?: typeof fetch;
  /** the SHA-256 to verify with (default hash-wasm's; the CLI passes Node's) */
  readonly sha256?: Sha256Factory;
  /** tries per request for 429/5xx answers and cut connections (default 5) */
  readonly attempts?: number;
  /** waits between retries (tests pass a quicker one) */
  readonly sleep?: HubContext['sleep'];
  /** resolves when the network is back; a download waits on it instead of failing while offline */
  readonly waitForNetwork?: HubContext['waitForNetwork'];
  /**
   * a downloaded file the cache refused (a private window's limits, a full disk) is downloaded again
   * and used from memory; this hears the file, the browser's error and the file's size
   */
  readonly onNotKept?: (file: string, error: unknown, bytes: number) => void | Promise<void>;
  /** a kept file whose bytes no longer match the SHA-256 recorded for it: it is discarded and fetched again */
  readonly onChanged?: (file: string, recorded: string, found: string) => void;
}

export interface HubModel {
  readonly repo: string;
  /** the branch or tag asked for */
  readonly revision: string;
  /** the commit its files are from */
  readonly commit: string;
  readonly config: ClipConfig;
  /** config.json as parsed JSON */
  readonly rawConfig: unknown;
  /** model.safetensors; read it with loadSafetensors */
  readonly weights: Blob;
  /** vocab.json and merges.txt when asked for */
  readonly tokenizer?: { readonly vocab: Blob; readonly merges: Blob };
}

const REPO_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

function checkRepo(repo: string): void {
  if (!REPO_ID.test(repo) || repo.includes('..')) {
    throw new HubError('bad-request', `'${repo}' is not a Hub model id; expected 'owner/name', e.g. 'openai/clip-vit-base-patch16'`);
  }
}

function contextOf(repo: string, opts: HubOptions): HubContext {
  checkRepo(repo);
  return {
    baseUrl: (opts.baseUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, ''),
    repo,
    ...(opts.token ? { token: opts.token } : {}),
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    ...(opts.signal ? { signal: opts.signal } : {}),
    attempts: opts.attempts ?? 5,
    sleep: opts.sleep ?? sleep,
    ...(opts.waitForNetwork ? { waitForNetwork: opts.waitForNetwork } : {}),
  };
}

/** the commit `revision` names now on the Hub, remembered in `cache` as its ref */
async function resolveAndRemember(ctx: HubContext, cache: HubCache, revision: string): Promise<string> {
  const commit = await resolveCommit(ctx, revision, CONFIG_FILE);
  await writeRef(cache, ctx.repo, revision, commit);
  return commit;
}

/**
 * The commit to load: the one given, else the one `revision` names now (remembered as its ref); when
 * the server cannot be reached, the one it named when last asked, so that a kept model loads offline.
 */
async function pinnedCommit(ctx: HubContext, cache: HubCache, revision: string, commit: string | undefined): Promise<string> {
  if (commit) return commit;
  if (COMMIT.test(revision)) return revision;
  const known = await readRef(cache, ctx.repo, revision);
  try {
    // with a commit to fall back on, one try, and no waiting for the network to come back
    return await resolveAndRemember(known ? { ...ctx, attempts: 1, waitForNetwork: undefined } : ctx, cache, revision);
  } catch (e) {
    if (known && e instanceof HubError && (e.kind === 'network' || e.kind === 'unavailable')) return known;
    throw e;
  }
}

/** Downloads (or takes from the cache, checked) a CLIP model at one commit: config.json first, checked, then the weights. */
export async function downloadClipModel(repo: string, opts: HubOptions & { tokenizer?: boolean } = {}): Promise<HubModel> {
  const ctx = contextOf(repo, opts);
  const revision = opts.revision ?? 'main';
  const cache = opts.cache ?? new MemoryHubCache();
  const commit = await pinnedCommit(ctx, cache, revision, opts.commit);
  let tree: Promise<Map<string, TreeFile>> | undefined;
  const listed = () => (tree ??= repoTree(ctx, commit));
  const expected = async (file: string): Promise<TreeFile> => {
    const entry = (await listed()).get(file);
    if (entry) return entry;
    if (file === WEIGHTS_FILE) throw noSafetensors(ctx, commit, await listed());
    throw new HubError(
      'not-found',
      `${repo} has no ${file} at commit ${commit.slice(0, 10)} (its file list does not name it): check the model id`,
    );
  };
  const file = (name: string) => keptFile(ctx, cache, { commit, revision, file: name, expected: () => expected(name) }, opts);

  const configBlob = await file(CONFIG_FILE);
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(await configBlob.text());
  } catch (e) {
    await deleteFile(cache, fileKey(repo, commit, CONFIG_FILE));
    throw new HubError('not-clip', `${repo}: config.json is not valid JSON (${(e as Error).message})`);
  }
  const config = clipConfigOf(repo, rawConfig);
  const weights = await file(WEIGHTS_FILE);
  const model = { repo, revision, commit, config, rawConfig, weights };
  if (!opts.tokenizer) return model;
  const [vocab, merges] = [await file(TOKENIZER_FILES[0]), await file(TOKENIZER_FILES[1])];
  return { ...model, tokenizer: { vocab, merges } };
}

function clipConfigOf(repo: string, rawConfig: unknown): ClipConfig {
  try {
    if ((rawConfig as { model_type?: unknown } | null)?.model_type !== 'clip') {
      throw new ClipConfigError(`model_type is ${JSON.stringify((rawConfig as { model_type?: unknown } | null)?.model_type)}, not "clip"`);
    }
    return parseClipConfig(rawConfig);
  } catch (e) {
    if (!(e instanceof ClipConfigError)) throw e;
    throw new HubError(
      'not-clip',
      `${repo} is not a CLIP model this app can use: ${e.message}. ` +
        'Choose a Hugging Face CLIPModel repository such as openai/clip-vit-base-patch16',
    );
  }
}

/** the weights formats a repo may have instead, as the Hub names their files */
const OTHER_WEIGHTS = [
  'pytorch_model.bin',
  'model.safetensors.index.json',
  'tf_model.h5',
  'flax_model.msgpack',
  'open_clip_pytorch_model.bin',
];

function noSafetensors(ctx: HubContext, commit: string, files: Map<string, TreeFile>): HubError {
  const others = OTHER_WEIGHTS.filter((f) => files.has(f));
  return new HubError(
    'no-safetensors',
    `${ctx.repo} has no model.safetensors at commit ${commit.slice(0, 10)}${others.length ? ` (it has ${others.join(', ')})` : ''}: ` +
      "the studio reads single-file safetensors weights only. Convert the repo with the Hub's safetensors conversion " +
      '(huggingface.co/spaces/safetensors/convert opens a pull request with model.safetensors; load it with its revision, refs/pr/N), ' +
      'or choose another repo, such as openai/clip-vit-base-patch16',
  );
}

/** One file: from the cache, or downloaded into it; from memory when the cache refuses to keep it. */
async function keptFile(
  ctx: HubContext,
  cache: HubCache,
  at: { commit: string; revision: string; file: string; expected: () => Promise<TreeFile> },
  opts: HubOptions,
): Promise<Blob> {
  const job = {
    ctx,
    cache,
    ...at,
    sha256: opts.sha256 ?? wasmSha256,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.onChanged ? { onChanged: opts.onChanged } : {}),
  };
  let refused: unknown;
  try {
    return await verifiedFile(job);
  } catch (e) {
    // a failed or stopped download is the download's error (a stop keeps the part); anything else is the cache refusing the file
    if (e instanceof HubError || isAbort(e) || opts.signal?.aborted) throw e;
    refused = e;
  }
  await deleteFile(cache, fileKey(ctx.repo, at.commit, at.file)).catch(() => undefined);
  const bytes = (await at.expected()).size;
  await opts.onNotKept?.(at.file, refused, bytes);
  return verifiedFile({ ...job, cache: new MemoryHubCache() });
}

export interface CachedFile {
  readonly file: string;
  readonly bytes: number;
  /** false while its download is unfinished (paused, cut off, or going on) */
  readonly complete: boolean;
}

export interface CachedModel {
  readonly repo: string;
  /** the branch or tag it was asked for */
  readonly revision: string;
  readonly commit: string;
  /** the commit `revision` named when last asked; another than `commit` means this is an older revision */
  readonly newest: string | null;
  readonly files: readonly CachedFile[];
  readonly bytes: number;
}

/** The models in `cache`, one per repo and commit, with their files (complete or not). */
export async function listCachedModels(cache: HubCache): Promise<CachedModel[]> {
  const byModel = new Map<string, { repo: string; commit: string; revision: string; files: CachedFile[] }>();
  for (const key of await cache.keys()) {
    const k = parseFileKey(key);
    const [record, blob] = k ? [await readRecord(cache, key), await cache.get(key)] : [];
    if (!k || !record) continue;
    const id = `${k.repo}@${k.commit}`;
    if (!byModel.has(id)) byModel.set(id, { repo: k.repo, commit: k.commit, revision: record.revision, files: [] });
    byModel.get(id)!.files.push({ file: k.file, bytes: blob?.size ?? 0, complete: record.state === 'complete' });
  }
  const models = await Promise.all(
    [...byModel.values()].map(async (m) => ({
      ...m,
      newest: (await readRef(cache, m.repo, m.revision)) ?? null,
      files: m.files.sort((a, b) => a.file.localeCompare(b.file)),
      bytes: m.files.reduce((s, f) => s + f.bytes, 0),
    })),
  );
  return models.sort((a, b) => `${a.repo}@${a.commit}`.localeCompare(`${b.repo}@${b.commit}`));
}

/** Removes every kept file of `repo` (of one commit, or all, with the refs then too). */
export async function deleteCachedModel(cache: HubCache, repo: string, commit?: string): Promise<void> {
  for (const key of await cache.keys()) {
    const k = parseFileKey(key);
    if (k && k.repo === repo && (commit === undefined || k.commit === commit)) await deleteFile(cache, key);
    const ref = parseRefKey(key);
    if (ref && ref.repo === repo && commit === undefined) await deleteRef(cache, repo, ref.revision);
  }
}

/** Removes every file whose download did not finish (a download cancelled on the page). */
export async function deletePartialDownloads(cache: HubCache): Promise<void> {
  for (const key of await cache.keys()) {
    if (parseFileKey(key) && (await readRecord(cache, key))?.state !== 'complete') await deleteFile(cache, key);
  }
}

/**
 * Removes what a studio before pinning kept (`owner/name@main/file`, with no record): such files were
 * never verified, and files of two commits may have mixed among them. They are downloaded again, once.
 */
export async function deleteUnpinnedFiles(cache: HubCache): Promise<void> {
  for (const key of await cache.keys()) {
    if (!parseFileKey(key) && !isRecordKey(key) && !parseRefKey(key)) await cache.delete(key);
  }
}

/**
 * The commit `revision` of `repo` names now, remembered as its ref so that the Storage panel can
 * tell a kept older revision; null when the server cannot say (offline, say): a check, never a failure.
 */
export async function checkNewest(repo: string, opts: HubOptions & { cache: HubCache }): Promise<string | null> {
  const revision = opts.revision ?? 'main';
  if (COMMIT.test(revision)) return revision;
  try {
    return await resolveAndRemember({ ...contextOf(repo, opts), attempts: 1, waitForNetwork: undefined }, opts.cache, revision);
  } catch (e) {
    if (isAbort(e)) throw e;
    return null;
  }
}
