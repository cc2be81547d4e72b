// A Hugging Face Hub for tests, with faults on demand: the tree API (`/api/models/{repo}/tree/{rev}`,
// sizes and LFS SHA-256s), `/{repo}/resolve/{rev}/{file}` with X-Repo-Commit, ETag, Range and
// If-Range, branches that move to new commits, gated repos that want a token, and per-request faults
// (an HTTP status with headers, a connection cut or held at a byte, a flipped byte). It answers Web
// Requests, so unit tests call `hub.fetch` directly, and `serveFakeHub` puts it on a local port for
// the browser (e2e/downloads.spec.ts, e2e/storage.spec.ts, the real-size run).
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFileSource {
  readonly blob: Blob;
  /** given for large files, whose hash a test computes once and keeps */
  readonly sha256?: string;
}

interface HubFile {
  readonly blob: Blob;
  readonly sha256: string;
  /** the Hub keeps weights in LFS (the tree gives their SHA-256) and small text files in git */
  readonly lfs: boolean;
}

/** each fault names its file, and the repo too where several repos have a file of that name */
export type Fault = { readonly repo?: string } /** answers `status` (with `headers`) instead of the file */ & (
  | { readonly kind: 'status'; readonly file: string; readonly status: number; readonly headers?: Record<string, string> }
  /** sends the file up to byte `at` (of the whole file), then cuts the connection */
  | { readonly kind: 'cut'; readonly file: string; readonly at: number }
  /** sends the file up to byte `at`, then holds the connection open until `release` (or the client goes) */
  | { readonly kind: 'hold'; readonly file: string; readonly at: number; readonly release: Promise<void> }
  /** sends the file with byte `at` flipped */
  | { readonly kind: 'flip'; readonly file: string; readonly at: number }
);

export interface ServedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly ifRange: string | null;
  readonly token: string | null;
  status: number;
  /** body bytes the answer carried (cut short for a cut) */
  bytes: number;
}

const EXPOSED = 'X-Repo-Commit, ETag, Content-Range, Content-Length, Accept-Ranges, X-Error-Code, X-Error-Message, Retry-After, Link';
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSED,
  'cross-origin-resource-policy': 'cross-origin',
};

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

export class FakeHub {
  readonly requests: ServedRequest[] = [];
  private readonly repos = new Map<string, { commits: Map<string, Map<string, HubFile>>; refs: Map<string, string>; token?: string }>();
  private readonly faults: Fault[] = [];
  private commitCount = 0;

  /** Commits `files` to `repo` and moves its `main` there; answers the new commit's id. */
  async commit(repo: string, files: Record<string, Blob | HubFileSource>): Promise<string> {
    const entry = this.repos.get(repo) ?? { commits: new Map(), refs: new Map() };
    this.repos.set(repo, entry);
    const kept = new Map<string, HubFile>();
    for (const [name, source] of Object.entries(files)) {
      const { blob, sha256 } = source instanceof Blob ? { blob: source, sha256: undefined } : source;
      kept.set(name, {
        blob,
        sha256: sha256 ?? hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())),
        lfs: !/\.(json|txt|md)$/.test(name),
      });
    }
    const seed = `${repo} ${++this.commitCount} ${[...kept].map(([n, f]) => `${n}:${f.sha256}`).join(' ')}`;
    const id = hex(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(seed)));
    entry.commits.set(id, kept);
    entry.refs.set('main', id);
    return id;
  }

  /** `repo` answers 401 to requests without `token` (a gated or private repo) */
  gate(repo: string, token: string): void {
    this.repos.get(repo)!.token = token;
  }

  /** the next GET of `fault.file` meets the fault (faults are used up in the order given) */
  fault(fault: Fault): void {
    this.faults.push(fault);
  }

  /** body bytes sent for `file` (of any repo and revision) */
  bytesServed(file: string): number {
    return this.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`)).reduce((n, r) => n + r.bytes, 0);
  }

  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => this.handle(new Request(input, init));

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    const seen: ServedRequest = {
      method: req.method,
      path,
      range: req.headers.get('range'),
      ifRange: req.headers.get('if-range'),
      token: req.headers.get('authorization')?.replace(/^Bearer /, '') ?? null,
      status: 0,
      bytes: 0,
    };
    if (req.method === 'OPTIONS') {
      return new Response(null, {
        status: 204,
        headers: { ...CORS, 'access-control-allow-headers': 'authorization, range, if-range', 'access-control-allow-methods': 'GET, HEAD' },
      });
    }
    this.requests.push(seen);
    const response = this.answer(req, path, seen);
    seen.status = response.status;
    return response;
  }

  private answer(req: Request, path: string, seen: ServedRequest): Response {
    const tree = /^\/api\/models\/([\w.-]+\/[\w.-]+)\/tree\/([^/]+)$/.exec(path);
    const resolve = /^\/([\w.-]+\/[\w.-]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const m = tree ?? resolve;
    const repo = m && this.repos.get(m[1]!);
    if (!m || !repo) return error(404, 'RepoNotFound', 'Repository not found');
    if (repo.token && seen.token !== repo.token) return error(401, 'GatedRepo', 'Access to this repository is restricted');
    const commit = repo.refs.get(m[2]!) ?? m[2]!;
    const files = repo.commits.get(commit);
    if (!files) return error(404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
    if (tree) {
      const list = [...files].map(([name, f]) => ({
        type: 'file',
        path: name,
        size: f.blob.size,
        oid: f.sha256.slice(0, 40),
        ...(f.lfs ? { lfs: { oid: f.sha256, size: f.blob.size, pointerSize: 134 } } : {}),
      }));
      return new Response(JSON.stringify(list), { headers: { ...CORS, 'content-type': 'application/json', 'x-repo-commit': commit } });
    }
    const name = resolve![3]!;
    const file = files.get(name);
    if (!file) return error(404, 'EntryNotFound', `${name} does not exist at this revision`);
    const fault = req.method === 'GET' ? this.takeFault(m[1]!, name) : undefined;
    if (fault?.kind === 'status') return new Response('fault', { status: fault.status, headers: { ...CORS, ...fault.headers } });
    const etag = `"${file.sha256}"`;
    const size = file.blob.size;
    const asked = /^bytes=(\d+)-(\d*)$/.exec(seen.range ?? '');
    const partial = asked && (!seen.ifRange || seen.ifRange === etag);
    const start = partial ? Number(asked[1]) : 0;
    const end = partial && asked[2] ? Number(asked[2]) + 1 : size;
    const headers: Record<string, string> = {
      ...CORS,
      'content-type': 'application/octet-stream',
      'content-length': String(end - start),
      'accept-ranges': 'bytes',
      etag,
      'x-repo-commit': commit,
      ...(partial ? { 'content-range': `bytes ${start}-${end - 1}/${size}` } : {}),
    };
    if (req.method === 'HEAD') return new Response(null, { status: 200, headers });
    return new Response(served(file.blob, start, end, fault, seen, req.signal), { status: partial ? 206 : 200, headers });
  }

  private takeFault(repo: string, file: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.file === file && (f.repo === undefined || f.repo === repo));
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }
}

function error(status: number, code: string, message: string): Response {
  return new Response(message, { status, headers: { ...CORS, 'x-error-code': code, 'x-error-message': message } });
}

/** bytes [start, end) of `blob`, in pieces, with the fault applied; `seen.bytes` counts what went out */
function served(
  blob: Blob,
  start: number,
  end: number,
  fault: Fault | undefined,
  seen: ServedRequest,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  // a client that aborts (called as a fetch) ends the body, as a browser's aborted fetch does
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  const PIECE = 256 * 1024;
  // where a cut or a hold stops the body
  let stop = fault?.kind === 'cut' || fault?.kind === 'hold' ? Math.min(end, Math.max(fault.at, start)) : end;
  let at = start;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at === stop && stop < end) {
        if (fault?.kind === 'cut') return controller.error(new Error(`the fake Hub cut the connection at byte ${at}`));
        if (fault?.kind === 'hold') await Promise.race([fault.release, aborted]);
        stop = end;
      }
      if (signal.aborted) return controller.error(signal.reason);
      if (at >= end) return controller.close();
      const to = Math.min(at + PIECE, stop);
      const piece = new Uint8Array(await blob.slice(at, to).arrayBuffer());
      if (fault?.kind === 'flip' && fault.at >= at && fault.at < to) piece[fault.at - at]! ^= 0xff;
      seen.bytes += piece.byteLength;
      at = to;
      controller.enqueue(piece);
    },
  });
}

export interface ServedHub {
  readonly url: string;
  close(): Promise<void>;
}

/** Puts `hub` on a port of 127.0.0.1; a body that fails (a cut) destroys the connection, as a dropped network does. */
export async function serveFakeHub(hub: FakeHub): Promise<ServedHub> {
  const server = http.createServer((req, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    void hub.handle(new Request(`http://127.0.0.1${req.url}`, { method: req.method!, headers })).then((response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (!response.body) return res.end();
      const reader = response.body.getReader();
      res.on('close', () => void reader.cancel().catch(() => undefined));
      void (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            // each piece handed to the socket before the next: a cut then drops the connection after them
            await new Promise((resolve) => res.write(value, resolve));
          }
          res.end();
        } catch {
          // a FIN, not a reset: the bytes sent arrive, then the body ends short of its Content-Length
          res.socket?.end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The demo's tiny CLIPs (models/demo-*) committed to `hub` as test/demo-student and test/demo-teacher; answers their commits. */
export async function commitDemoModels(hub: FakeHub): Promise<{ student: string; teacher: string }> {
  const commit = async (name: string) =>
    hub.commit(`test/${name}`, {
      'config.json': new Blob([new Uint8Array(await readFile(`models/${name}/config.json`))]),
      'model.safetensors': new Blob([new Uint8Array(await readFile(`models/${name}/model.safetensors`))]),
    });
  return { student: await commit('demo-student'), teacher: await commit('demo-teacher') };
}
