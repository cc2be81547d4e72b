// One request to a Hub-layout server, as the Hub's answers require: the user's token on requests
// to the Hub's own origin only, bounded retries with backoff for 429 and 5xx (honouring
// Retry-After) and for a connection that fails, and each refusal turned into a HubError that says
// what it means and what to do.
import { HubError, isAbort } from './hub-error.ts';

export interface HubContext {
  /** the server root, without a trailing slash */
  readonly baseUrl: string;
  readonly repo: string;
  /** an access token for gated and private repos; sent to `baseUrl`'s origin only */
  readonly token?: string;
  readonly fetch: typeof fetch;
  readonly signal?: AbortSignal;
  /** tries per request for 429/5xx answers and failed connections (the first included) */
  readonly attempts: number;
  /** waits `ms` (tests pass a quicker clock) */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * resolves when the network is back (the browser's `online` event); without it a failed
   * connection is retried after a backoff. Waiting for the network does not use up attempts.
   */
  readonly waitForNetwork?: (signal?: AbortSignal) => Promise<void>;
}

/** longest wait a Retry-After may ask for before the request is given up instead */
const MAX_RETRY_AFTER_S = 120;
const BACKOFF_MS = 1000;

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(t);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });

/** seconds to wait from a Retry-After header (seconds or an HTTP date); undefined when absent or unreadable */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

const sameOrigin = (a: string, b: string) => new URL(a).origin === new URL(b).origin;

/** what a request was for, in messages: 'config.json', 'the file list (tree API)' */
export interface RequestFor {
  readonly what: string;
  readonly revision: string;
}

/**
 * GETs (or HEADs) `url`; answers with the response of a 2xx (and 206), and throws a HubError for a
 * refusal. 429 and 5xx are retried up to `ctx.attempts` times in all.
 */
export async function hubFetch(ctx: HubContext, url: string, about: RequestFor, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  // fetch drops Authorization itself when a redirect leaves the origin (the Hub's CDN needs none)
  if (ctx.token && sameOrigin(url, ctx.baseUrl)) headers.set('authorization', `Bearer ${ctx.token}`);
  let failures = 0;
  for (;;) {
    ctx.signal?.throwIfAborted();
    let response: Response;
    try {
      response = await ctx.fetch(url, { ...init, headers, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (e) {
      if (isAbort(e)) throw e;
      if (++failures >= ctx.attempts) throw unreachable(url, e);
      await waitToRetry(ctx, BACKOFF_MS * 2 ** (failures - 1));
      continue;
    }
    if (response.ok) return response;
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    if (status === 429 || status >= 500) {
      const after = retryAfterSeconds(response.headers.get('retry-after'));
      if (++failures >= ctx.attempts || (after ?? 0) > MAX_RETRY_AFTER_S) throw busy(ctx, url, response, failures, after);
      await ctx.sleep(after !== undefined ? after * 1000 : BACKOFF_MS * 2 ** (failures - 1), ctx.signal);
      continue;
    }
    throw refused(ctx, url, about, response);
  }
}

/** before a retry after a failed connection: the network back (if the platform can tell), then a backoff */
export async function waitToRetry(ctx: HubContext, ms: number): Promise<void> {
  if (ctx.waitForNetwork) await ctx.waitForNetwork(ctx.signal);
  await ctx.sleep(ms, ctx.signal);
}

function unreachable(url: string, e: unknown): HubError {
  return new HubError(
    'network',
    `could not reach ${url} (${(e as Error).message}): you may be offline, or the server does not allow requests from this page (CORS); ` +
      'what has arrived is kept, and loading again continues from there',
    url,
  );
}

function busy(ctx: HubContext, url: string, response: Response, tries: number, after: number | undefined): HubError {
  const wait = after !== undefined && after > MAX_RETRY_AFTER_S ? ` and asked to wait ${Math.round(after)} s` : '';
  return new HubError(
    'unavailable',
    `${new URL(ctx.baseUrl).host} answered HTTP ${response.status} ${response.statusText} for ${ctx.repo} ${tries} time${tries > 1 ? 's' : ''}${wait}: ` +
      'the server is busy or down; try again in a few minutes (what has arrived is kept)',
    url,
  );
}

function refused(ctx: HubContext, url: string, about: RequestFor, response: Response): HubError {
  const said = response.headers.get('x-error-message');
  const why = `HTTP ${response.status}${said ? `: ${said}` : ''}`;
  const page = `${ctx.baseUrl}/${ctx.repo}`;
  if (response.status === 401 || response.status === 403) {
    return new HubError(
      'unauthorized',
      ctx.token
        ? `${ctx.repo} is gated or private, and the Hub refused the token given (${why} for ${about.what}): check that the token may read ` +
            `this repo and that its terms are accepted on ${page} with the token's account`
        : `${ctx.repo} is gated or private (${why} for ${about.what}): accept its terms on ${page} while logged in, then paste an ` +
            'access token (huggingface.co/settings/tokens, "read") and load again. A model id with a typo gets this answer too',
      url,
      ctx.repo,
    );
  }
  if (response.status === 404) {
    const code = response.headers.get('x-error-code');
    return new HubError(
      'not-found',
      code === 'RepoNotFound'
        ? `there is no model ${ctx.repo} on ${new URL(ctx.baseUrl).host} (${why}): check the model id`
        : `${about.what} was not found in ${ctx.repo} at revision ${about.revision} (${why} at ${url}): check the model id and revision`,
      url,
    );
  }
  return new HubError('http', `${url} answered ${why} ${response.statusText} for ${about.what}; try again later`, url);
}
