// Downloads CLIP models from a Hugging Face Hub-layout server (`${base}/${repo}/resolve/${rev}/${file}`)
// into a persistent cache, streaming with per-file progress.
//
// A file is committed to the cache only once its whole body has arrived and matches the
// Content-Length, so an interrupted download never leaves a half file that would later load as a
// model. Weights are kept as Blobs (the browser's cache, storage/model-files.ts, keeps them in the
// origin private file system on disk), and loadSafetensors reads tensors from them by slices.
import { ClipConfigError, parseClipConfig, type ClipConfig } from './config.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILES = ['vocab.json', 'merges.txt'] as const;

export type HubErrorKind = 'not-found' | 'network' | 'truncated' | 'not-clip' | 'http' | 'bad-request';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly url?: string,
  ) {
    super(message);
  }
}

/** Where downloaded files live between sessions. Keys look like `owner/name@revision/file`. */
export interface HubCache {
  get(key: string): Promise<Blob | undefined>;
  /** Stores the stream's bytes under `key` if, and only if, the stream ends without error. */
  put(key: string, body: ReadableStream<Uint8Array>): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export interface DownloadProgress {
  readonly file: string;
  readonly loaded: number;
  /** from Content-Length; undefined when the server does not say */
  readonly total: number | undefined;
  readonly cached: boolean;
}

export interface HubOptions {
  /** server root, default https://huggingface.co (a mirror or a local test server also work) */
  readonly baseUrl?: string;
  readonly revision?: string;
  readonly cache?: HubCache;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  /** for tests and custom transports; defaults to the global fetch */
  readonly fetch?: typeof fetch;
  /**
   * a downloaded file the cache refused (a private window's limits, a full disk, a per-entry size
   * limit) is downloaded again and used from memory; this hears the file, the browser's error and
   * the file's size (0 when the server did not say)
   */
  readonly onNotKept?: (file: string, error: unknown, bytes: number) => void | Promise<void>;
}

export interface HubModel {
  readonly repo: string;
  readonly revision: string;
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

export const cacheKey = (repo: string, revision: string, file: string): string => `${repo}@${encodeURIComponent(revision)}/${file}`;

function parseKey(key: string): { repo: string; revision: string; file: string } | undefined {
  const m = /^(.+?)@([^/]+)\/(.+)$/.exec(key);
  return m ? { repo: m[1]!, revision: decodeURIComponent(m[2]!), file: m[3]! } : undefined;
}

export function fileUrl(repo: string, file: string, opts: Pick<HubOptions, 'baseUrl' | 'revision'> = {}): string {
  checkRepo(repo);
  const base = (opts.baseUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  return `${base}/${repo}/resolve/${encodeURIComponent(opts.revision ?? 'main')}/${file}`;
}

/** One file of a repo: from the cache when it is there, else downloaded (and cached). */
export async function hubFile(repo: string, file: string, opts: HubOptions = {}): Promise<Blob> {
  const revision = opts.revision ?? 'main';
  const key = cacheKey(repo, revision, file);
  const hit = await opts.cache?.get(key);
  if (hit) {
    opts.onProgress?.({ file, loaded: hit.size, total: hit.size, cached: true });
    return hit;
  }
  const url = fileUrl(repo, file, opts);
  let bytes = 0;
  const download = async () => {
    const response = await request(url, file, opts);
    bytes = Number(response.headers.get('content-length') ?? 0) || 0;
    return checkedBody(response, url, file, opts);
  };
  const inMemory = async () => new Response(await download()).blob().catch(rethrowHubError(url, file));
  if (!opts.cache) return inMemory();
  let refused: unknown;
  try {
    await opts.cache.put(key, await download());
    const stored = await opts.cache.get(key);
    if (stored) return stored;
    refused = new Error('the cache accepted it but does not hold it');
  } catch (e) {
    // a failed download is the download's error; anything else is the cache refusing the file
    if (e instanceof HubError || (e as Error).name === 'AbortError') throw e;
    refused = e;
  }
  await opts.onNotKept?.(file, refused, bytes);
  return inMemory();
}

async function request(url: string, file: string, opts: HubOptions): Promise<Response> {
  let response: Response;
  try {
    response = await (opts.fetch ?? fetch)(url, { signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new HubError(
      'network',
      `could not reach ${url} (${(e as Error).message}): you may be offline, or the server ` +
        'does not allow requests from this page (CORS)',
      url,
    );
  }
  // the Hub answers 401 for repositories that do not exist (or are private)
  if (response.status === 404 || response.status === 401) {
    await response.body?.cancel();
    throw new HubError(
      'not-found',
      `${file} was not found at ${url} (HTTP ${response.status}): check the model id and ` +
        'revision; private or gated models cannot be downloaded here',
      url,
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new HubError('http', `${url} answered HTTP ${response.status} ${response.statusText}; try again later`, url);
  }
  return response;
}

/** The response body, counting bytes for progress and failing if it ends short of Content-Length. */
function checkedBody(response: Response, url: string, file: string, opts: HubOptions): ReadableStream<Uint8Array> {
  const encoding = response.headers.get('content-encoding');
  const length = response.headers.get('content-length');
  // with compression, Content-Length counts the compressed bytes, not the ones we receive
  const total = length !== null && (!encoding || encoding === 'identity') ? Number(length) : undefined;
  let loaded = 0;
  const truncated = () =>
    new HubError(
      'truncated',
      `${file}: received ${loaded} of ${total ?? 'an unknown number of'} bytes; the download was cut off, try again`,
      url,
    );
  const reader = response.body!.getReader();
  // pull-based, so that a slow consumer (the cache writing to disk) holds back the network
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        // a dropped connection surfaces as a read error of the body
        controller.error((e as Error).name === 'AbortError' ? e : truncated());
        return;
      }
      if (chunk.done) {
        if (total !== undefined && loaded !== total) controller.error(truncated());
        else controller.close();
        return;
      }
      loaded += chunk.value.byteLength;
      if (total !== undefined && loaded > total) {
        controller.error(new HubError('truncated', `${file}: received more bytes than the ${total} announced; try again`, url));
        await reader.cancel();
        return;
      }
      controller.enqueue(chunk.value);
      opts.onProgress?.({ file, loaded, total, cached: false });
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

const rethrowHubError =
  (url: string, file: string) =>
  (e: unknown): never => {
    if (e instanceof HubError || (e as Error).name === 'AbortError') throw e;
    throw new HubError('network', `${file}: the download from ${url} failed (${(e as Error).message}); try again`, url);
  };

/** Downloads (or takes from the cache) a CLIP model: config.json first, checked, then the weights. */
export async function downloadClipModel(repo: string, opts: HubOptions & { tokenizer?: boolean } = {}): Promise<HubModel> {
  const revision = opts.revision ?? 'main';
  const configBlob = await hubFile(repo, CONFIG_FILE, opts);
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(await configBlob.text());
  } catch (e) {
    await opts.cache?.delete(cacheKey(repo, revision, CONFIG_FILE));
    throw new HubError('not-clip', `${repo}: config.json is not valid JSON (${(e as Error).message})`);
  }
  let config: ClipConfig;
  try {
    if ((rawConfig as { model_type?: unknown } | null)?.model_type !== 'clip') {
      throw new ClipConfigError(`model_type is ${JSON.stringify((rawConfig as { model_type?: unknown } | null)?.model_type)}, not "clip"`);
    }
    config = parseClipConfig(rawConfig);
  } catch (e) {
    if (!(e instanceof ClipConfigError)) throw e;
    throw new HubError(
      'not-clip',
      `${repo} is not a CLIP model this app can use: ${e.message}. ` +
        'Choose a Hugging Face CLIPModel repository such as openai/clip-vit-base-patch16',
    );
  }
  const weights = await hubFile(repo, WEIGHTS_FILE, opts);
  if (!opts.tokenizer) return { repo, revision, config, rawConfig, weights };
  const [vocab, merges] = [await hubFile(repo, TOKENIZER_FILES[0], opts), await hubFile(repo, TOKENIZER_FILES[1], opts)];
  return { repo, revision, config, rawConfig, weights, tokenizer: { vocab, merges } };
}

export interface CachedModel {
  readonly repo: string;
  readonly revision: string;
  readonly files: readonly { readonly file: string; readonly bytes: number }[];
  readonly bytes: number;
}

export async function listCachedModels(cache: HubCache): Promise<CachedModel[]> {
  const byModel = new Map<string, { repo: string; revision: string; files: { file: string; bytes: number }[] }>();
  for (const key of await cache.keys()) {
    const k = parseKey(key);
    const blob = k && (await cache.get(key));
    if (!k || !blob) continue;
    const id = `${k.repo}@${k.revision}`;
    if (!byModel.has(id)) byModel.set(id, { repo: k.repo, revision: k.revision, files: [] });
    byModel.get(id)!.files.push({ file: k.file, bytes: blob.size });
  }
  return [...byModel.values()]
    .map((m) => ({ ...m, files: m.files.sort((a, b) => a.file.localeCompare(b.file)), bytes: m.files.reduce((s, f) => s + f.bytes, 0) }))
    .sort((a, b) => `${a.repo}@${a.revision}`.localeCompare(`${b.repo}@${b.revision}`));
}

/** Removes every cached file of `repo` (of one revision, or all). */
export async function deleteCachedModel(cache: HubCache, repo: string, revision?: string): Promise<void> {
  for (const key of await cache.keys()) {
    const k = parseKey(key);
    if (k && k.repo === repo && (revision === undefined || k.revision === revision)) await cache.delete(key);
  }
}

/** In-memory cache (tests, Node runs that need no persistence). */
export class MemoryHubCache implements HubCache {
  private readonly files = new Map<string, Blob>();
  async get(key: string) {
    return this.files.get(key);
  }
  async put(key: string, body: ReadableStream<Uint8Array>) {
    // Response.blob() rejects if the stream errors, so only complete files reach the map
    this.files.set(key, await new Response(body).blob());
  }
  async delete(key: string) {
    this.files.delete(key);
  }
  async keys() {
    return [...this.files.keys()];
  }
}
