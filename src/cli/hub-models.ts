// Hub ids where the CLI takes a model folder (--teacher, --student): `owner/name` or
// `owner/name@revision`, when no folder of that name exists, is downloaded into the CLI's cache
// folder as the studio downloads it (engine/clip/hub.ts: resumable, verified against the Hub's
// SHA-256, pinned to the commit the revision names), and loaded from there.
// The token for gated and private repos: --hub-token, else HF_TOKEN (as huggingface_hub reads it);
// the server: HF_ENDPOINT (likewise), default https://huggingface.co.
import os from 'node:os';
import path from 'node:path';
import { DirectoryHubCache } from '../engine/clip/hub-cache-node.ts';
import { downloadClipModel, HubError } from '../engine/clip/hub.ts';
import { nodeSha256 } from '../engine/clip/sha256-node.ts';

export const HUB_ID = /^([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;

/** where downloads are kept: PROMPTKD_HUB_CACHE, else the user's cache folder */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PROMPTKD_HUB_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'promptkd', 'hub');
}

export interface HubModelFiles {
  config: string;
  weights: Blob;
  /** `owner/name@commit`: the exact files used */
  pinned: string;
}

/** Downloads (or takes from the cache, checked) the CLIP `id` names; progress goes to stderr. */
export async function hubModelFiles(id: string, token: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<HubModelFiles> {
  const [, repo, revision] = HUB_ID.exec(id)!;
  let shown = -1;
  try {
    const model = await downloadClipModel(repo!, {
      ...(revision ? { revision } : {}),
      ...(env.HF_ENDPOINT ? { baseUrl: env.HF_ENDPOINT } : {}),
      ...((token ?? env.HF_TOKEN) ? { token: token ?? env.HF_TOKEN } : {}),
      cache: new DirectoryHubCache(hubCacheDir(env)),
      sha256: nodeSha256,
      onProgress: (p) => {
        // a line per tenth of a large file, not per chunk
        const tenth = p.total > 0 ? Math.floor((10 * p.loaded) / p.total) : 10;
        if (p.total < 1e7 || tenth === shown) return;
        shown = tenth;
        process.stderr.write(
          `${repo} ${p.file}: ${p.cached ? 'checked' : 'downloaded'} ${(p.loaded / 1e6).toFixed(0)} of ${(p.total / 1e6).toFixed(0)} MB\n`,
        );
      },
    });
    return { config: JSON.stringify(model.rawConfig), weights: model.weights, pinned: `${repo}@${model.commit}` };
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    throw new HubError(
      e.kind,
      e.kind === 'unauthorized' && !token && !env.HF_TOKEN ? `${e.message} (with --hub-token or HF_TOKEN)` : e.message,
      e.url,
    );
  }
}
