// What a repo holds at one commit, from the Hub's tree API (`GET /api/models/{repo}/tree/{rev}`,
// listed with @huggingface/hub's listFiles, which follows its pagination), and which commit a
// branch or tag names now (the `X-Repo-Commit` header of a file's HEAD).
import { listFiles } from '@huggingface/hub';
import { HubError, isAbort } from './hub-error.ts';
import { hubFetch, type HubContext } from './hub-http.ts';

/** one file of the tree: its size, and the SHA-256 of its content when it lives in LFS */
export interface TreeFile {
  readonly size: number;
  readonly sha256: string | null;
}

export const COMMIT = /^[0-9a-f]{40}$/;

export const resolveUrl = (ctx: HubContext, revision: string, file: string): string =>
  `${ctx.baseUrl}/${ctx.repo}/resolve/${encodeURIComponent(revision)}/${file}`;

/** The commit `revision` (a branch, a tag or a commit) names now, from the HEAD of `probe`. */
export async function resolveCommit(ctx: HubContext, revision: string, probe: string): Promise<string> {
  if (COMMIT.test(revision)) return revision;
  const url = resolveUrl(ctx, revision, probe);
  const response = await hubFetch(ctx, url, { what: probe, revision }, { method: 'HEAD' });
  const commit = response.headers.get('x-repo-commit');
  if (!commit || !COMMIT.test(commit)) {
    throw new HubError(
      'http',
      `${new URL(ctx.baseUrl).host} did not say which commit ${revision} of ${ctx.repo} is (no X-Repo-Commit header on ${url}), so its ` +
        'files cannot be pinned: use the Hub or a mirror that sends it (and exposes it to pages through CORS)',
      url,
    );
  }
  return commit;
}

/** The files at the top of the repo at `commit`, by name. */
export async function repoTree(ctx: HubContext, commit: string): Promise<Map<string, TreeFile>> {
  const files = new Map<string, TreeFile>();
  const about = { what: 'the file list (tree API)', revision: commit };
  let body = '';
  try {
    for await (const entry of listFiles({
      repo: { type: 'model', name: ctx.repo },
      revision: commit,
      hubUrl: ctx.baseUrl,
      // this client's request: the token to the Hub's origin only, retries, the Hub's refusals in words
      fetch: async (input, init) => {
        const response = await hubFetch(ctx, String(input), about, init);
        body = response.headers.get('content-type') ?? '';
        return response;
      },
    })) {
      if (entry.type === 'file') files.set(entry.path, { size: entry.size, sha256: entry.lfs?.oid ?? null });
    }
  } catch (e) {
    if (e instanceof HubError || isAbort(e)) throw e;
    // listFiles read a body that is not the tree's JSON list
    throw new HubError(
      'http',
      `${new URL(ctx.baseUrl).host} did not answer the Hub's tree API for ${ctx.repo} (${(e as Error).message}${body ? `; it sent ${body}` : ''}): ` +
        'without it the files cannot be verified; use the Hub or a mirror that serves /api/models/{repo}/tree/{revision}',
    );
  }
  return files;
}
