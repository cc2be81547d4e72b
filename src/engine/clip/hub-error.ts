// The ways a download from a Hugging Face Hub-layout server goes wrong, each with a message that says
// what was wrong and what to do.

export type HubErrorKind =
  /** no such repo, revision or file (HTTP 404) */
  | 'not-found'
  /** gated or private (HTTP 401/403): the user's token may open it */
  | 'unauthorized'
  /** still 429 or 5xx after the bounded retries */
  | 'unavailable'
  /** the server cannot be reached (offline, DNS, CORS) */
  | 'network'
  /** the body ended short of the size the Hub's tree gives (a cut connection): resumed with a Range */
  | 'truncated'
  /** the bytes arrived twice with a SHA-256 other than the tree's */
  | 'hash-mismatch'
  | 'not-clip'
  /** the repo has no model.safetensors */
  | 'no-safetensors'
  /** any other answer the Hub's protocol does not allow */
  | 'http'
  | 'bad-request';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly url?: string,
    /** the repo asked for, where the page can act on it (a token for an 'unauthorized' one) */
    readonly repo?: string,
  ) {
    super(message);
  }
}

export const isAbort = (e: unknown): boolean => (e as Error)?.name === 'AbortError';
