import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHub, serveFakeHub, type ServedHub } from '../../../e2e/fake-hub.ts';
import { parseClipConfig } from './config.ts';
import { drain, fileKey, readRecord, writeRecord } from './hub-cache.ts';
import { DirectoryHubCache } from './hub-cache-node.ts';
import { retryAfterSeconds } from './hub-http.ts';
import {
  checkNewest,
  deleteCachedModel,
  downloadClipModel,
  HubError,
  listCachedModels,
  MemoryHubCache,
  type DownloadProgress,
  type HubCache,
  type HubOptions,
} from './hub.ts';
import { loadSafetensors } from './safetensors.ts';
import { nodeSha256 } from './sha256-node.ts';
import { ClipTokenizer } from './tokenizer.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const VOCAB = JSON.stringify({ '<|startoftext|>': 49406, '<|endoftext|>': 49407, c: 0, a: 1, 't</w>': 2, 'at</w>': 3, 'cat</w>': 4 });
const MERGES = '#version: 0.2\na t</w>\nc at</w>\n';
const BASE = 'http://hub.test';
const REPO = 'test-org/clip-tiny-a';

let config: Uint8Array<ArrayBuffer>, weights: Uint8Array<ArrayBuffer>;
const files = () => ({ 'config.json': new Blob([config]), 'model.safetensors': new Blob([weights]) });

/** a fresh Hub with the fixture as test-org/clip-tiny-a (and its tokenizer files) */
async function hubWithFixture(): Promise<{ hub: FakeHub; commit: string }> {
  const hub = new FakeHub();
  const commit = await hub.commit(REPO, { ...files(), 'vocab.json': new Blob([VOCAB]), 'merges.txt': new Blob([MERGES]) });
  return { hub, commit };
}

/** options for `hub`, with the waits between retries recorded instead of slept */
function optionsFor(hub: FakeHub, extra: HubOptions = {}): HubOptions & { waits: number[] } {
  const waits: number[] = [];
  return { baseUrl: BASE, fetch: hub.fetch, sleep: async (ms) => void waits.push(ms), waits, ...extra };
}

const gets = (hub: FakeHub, file: string) => hub.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`));

async function hubError(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

beforeAll(async () => {
  config = new Uint8Array(await readFile(join(FIXTURE, 'config.json')));
  weights = new Uint8Array(await readFile(join(FIXTURE, 'model.safetensors')));
});

describe('downloadClipModel against a fake Hub', () => {
  it('pins main to its commit, fetches the files there with progress, and the weights load', async () => {
    const { hub, commit } = await hubWithFixture();
    const progress: DownloadProgress[] = [];
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache: new MemoryHubCache(), onProgress: (p) => progress.push(p) });
    expect(model).toMatchObject({ repo: REPO, revision: 'main', commit });
    expect(model.config).toEqual(parseClipConfig(JSON.parse(new TextDecoder().decode(config))));
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `HEAD /${REPO}/resolve/main/config.json`,
      `GET /api/models/${REPO}/tree/${commit}`,
      `GET /${REPO}/resolve/${commit}/config.json`,
      `GET /${REPO}/resolve/${commit}/model.safetensors`,
    ]);
    const weightProgress = progress.filter((p) => p.file === 'model.safetensors');
    expect(weightProgress.length).toBeGreaterThan(2);
    expect(weightProgress.every((p, i) => p.total === weights.length && (i === 0 || p.loaded > weightProgress[i - 1]!.loaded))).toBe(true);
    expect(weightProgress.at(-1)!.loaded).toBe(weights.length);
    const name = 'vision_model.embeddings.patch_embedding.weight';
    const fromHub = (await loadSafetensors(model.weights, [name])).get(name)!;
    const local = (await loadSafetensors(new Blob([weights]), [name])).get(name)!;
    expect(Buffer.from(fromHub.data.buffer).equals(Buffer.from(local.data.buffer))).toBe(true);
  });

  it('loads a kept model with no download: the files are checked against their recorded SHA-256', async () => {
    const { hub } = await hubWithFixture();
    const cache = new MemoryHubCache();
    await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    const before = hub.requests.length;
    const progress: DownloadProgress[] = [];
    const again = await downloadClipModel(REPO, { ...optionsFor(hub), cache, onProgress: (p) => progress.push(p) });
    // one HEAD to see which commit main names now; no file is fetched
    expect(hub.requests.slice(before).map((r) => r.method)).toEqual(['HEAD']);
    expect(progress.every((p) => p.cached)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ file: 'model.safetensors', loaded: weights.length, total: weights.length });
    expect(again.weights.size).toBe(weights.length);
  });

  it('fetches tokenizer files when asked, and they load', async () => {
    const { hub } = await hubWithFixture();
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), tokenizer: true });
    const tok = ClipTokenizer.fromHubFiles(await model.tokenizer!.vocab.text(), await model.tokenizer!.merges.text());
    expect(tok.encode('Cat')).toEqual([4]);
  });

  it('resumes a connection cut at 50 % with a Range request from where it stopped, fetching no byte twice', async () => {
    const { hub } = await hubWithFixture();
    const half = Math.floor(weights.length / 2);
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: half });
    const progress: DownloadProgress[] = [];
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache: new MemoryHubCache(), onProgress: (p) => progress.push(p) });
    const [first, second] = gets(hub, 'model.safetensors');
    expect([first!.range, first!.bytes]).toEqual([null, half]);
    expect(second).toMatchObject({ range: `bytes=${half}-`, status: 206, bytes: weights.length - half });
    expect(second!.ifRange).toMatch(/^"[0-9a-f]{64}"$/);
    expect(hub.bytesServed('model.safetensors')).toBe(weights.length);
    // progress never went back: the resumed part counts as there
    const loaded = progress.filter((p) => p.file === 'model.safetensors').map((p) => p.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });

  it('keeps the part of a download that failed, and the next load (a reload) resumes it', async () => {
    const { hub } = await hubWithFixture();
    const cache = new MemoryHubCache();
    const part = Math.floor(weights.length * 0.3);
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: part });
    const e = await hubError(downloadClipModel(REPO, { ...optionsFor(hub), cache, attempts: 1 }));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(
      new RegExp(`model.safetensors: the connection to hub.test was cut 1 times in a row .*; ${part} of ${weights.length} bytes are kept`),
    );
    expect((await listCachedModels(cache))[0]!.files).toContainEqual({ file: 'model.safetensors', bytes: part, complete: false });
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    expect(gets(hub, 'model.safetensors').at(-1)).toMatchObject({ range: `bytes=${part}-`, status: 206 });
    expect(hub.bytesServed('model.safetensors')).toBe(weights.length);
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });

  it('a download stopped by its signal (Pause on the page) keeps what has arrived, and fails with the reason given', async () => {
    const { hub } = await hubWithFixture();
    const cache = new MemoryHubCache();
    let release!: () => void;
    hub.fault({ kind: 'hold', file: 'model.safetensors', at: 5000, release: new Promise((r) => (release = r)) });
    const stop = new AbortController();
    const loading = downloadClipModel(REPO, { ...optionsFor(hub), cache, signal: stop.signal });
    await vi.waitFor(() => expect(gets(hub, 'model.safetensors')[0]?.bytes).toBe(5000));
    const why = new Error('paused on the page');
    stop.abort(why);
    release();
    await expect(loading).rejects.toBe(why);
    expect((await listCachedModels(cache))[0]!.files).toContainEqual({ file: 'model.safetensors', bytes: 5000, complete: false });
  });

  it('starts over when the file changed since the part kept (If-Range does not match)', async () => {
    const { hub, commit } = await hubWithFixture();
    const cache = new MemoryHubCache();
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: 1000 });
    await hubError(downloadClipModel(REPO, { ...optionsFor(hub), cache, attempts: 1 }));
    const key = fileKey(REPO, commit, 'model.safetensors');
    await writeRecord(cache, key, { ...(await readRecord(cache, key))!, etag: '"an-older-file"' });
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    expect(gets(hub, 'model.safetensors').at(-1)).toMatchObject({ range: 'bytes=1000-', ifRange: '"an-older-file"', status: 200 });
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });

  it('finishes a load cut off after the last byte was kept but before the file was marked complete, with no request', async () => {
    const { hub, commit } = await hubWithFixture();
    const cache = new MemoryHubCache();
    await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    const key = fileKey(REPO, commit, 'model.safetensors');
    await writeRecord(cache, key, { ...(await readRecord(cache, key))!, state: 'partial', sha256: null });
    const asked = gets(hub, 'model.safetensors').length;
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    expect(gets(hub, 'model.safetensors')).toHaveLength(asked);
    expect((await readRecord(cache, key))!.state).toBe('complete');
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });

  it('asks for the whole file again when a resume is answered with another part than asked for', async () => {
    const { hub } = await hubWithFixture();
    const cache = new MemoryHubCache();
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: 1000 });
    await hubError(downloadClipModel(REPO, { ...optionsFor(hub), cache, attempts: 1 }));
    // a server that ignores Range but still says 206, with the part it sent: bytes 0-
    const fromZero: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      if (!headers.has('range')) return hub.fetch(input, init);
      headers.delete('range');
      headers.delete('if-range');
      const whole = await hub.fetch(input, { ...init, headers });
      const size = Number(whole.headers.get('content-length'));
      return new Response(whole.body, {
        status: 206,
        headers: { 'content-range': `bytes 0-${size - 1}/${size}`, etag: whole.headers.get('etag')! },
      });
    };
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache, fetch: fromZero });
    expect(gets(hub, 'model.safetensors').map((r) => r.range)).toEqual([null, null, null]);
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });

  it('catches one flipped byte by its hash, fetches the file again, and never uses the bad copy', async () => {
    const { hub } = await hubWithFixture();
    hub.fault({ kind: 'flip', file: 'model.safetensors', at: 12_345 });
    const cache = new MemoryHubCache();
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    expect(gets(hub, 'model.safetensors')).toHaveLength(2);
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
    expect((await listCachedModels(cache))[0]!.files).toContainEqual({ file: 'model.safetensors', bytes: weights.length, complete: true });
  });

  it('gives up after a second wrong copy, naming the file and the hashes, and keeps nothing of it', async () => {
    const { hub } = await hubWithFixture();
    hub.fault({ kind: 'flip', file: 'model.safetensors', at: 10 });
    hub.fault({ kind: 'flip', file: 'model.safetensors', at: 20 });
    const cache = new MemoryHubCache();
    const e = await hubError(downloadClipModel(REPO, { ...optionsFor(hub), cache }));
    expect(e.kind).toBe('hash-mismatch');
    expect(e.message).toMatch(
      /^model\.safetensors of test-org\/clip-tiny-a \(commit [0-9a-f]{10}\) arrived twice with the wrong content: its SHA-256 was [0-9a-f]{64}, then [0-9a-f]{64}, and the Hub's file list says [0-9a-f]{64}\. Nothing of it was kept/,
    );
    expect((await listCachedModels(cache))[0]!.files.map((f) => f.file)).toEqual(['config.json']);
  });

  it('retries a 429 after the Retry-After the Hub gives, and a 5xx with backoff, a bounded number of times', async () => {
    const { hub } = await hubWithFixture();
    hub.fault({ kind: 'status', file: 'model.safetensors', status: 429, headers: { 'retry-after': '1' } });
    const opts = optionsFor(hub);
    const model = await downloadClipModel(REPO, opts);
    expect(gets(hub, 'model.safetensors').map((r) => r.status)).toEqual([429, 200]);
    expect(opts.waits).toEqual([1000]);
    expect(model.weights.size).toBe(weights.length);

    for (let i = 0; i < 5; i++) hub.fault({ kind: 'status', file: 'config.json', status: 503 });
    const busy = optionsFor(hub);
    const e = await hubError(downloadClipModel(REPO, { ...busy, cache: new MemoryHubCache() }));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toBe(
      'hub.test answered HTTP 503  for test-org/clip-tiny-a 5 times: the server is busy or down; try again in a few minutes (what has arrived is kept)',
    );
    expect(busy.waits).toEqual([1000, 2000, 4000, 8000]);
  });

  it('says a 401 is a gated or private repo, and succeeds with a token, which goes to the Hub only', async () => {
    const { hub } = await hubWithFixture();
    hub.gate(REPO, 'hf_secret');
    const e = await hubError(downloadClipModel(REPO, optionsFor(hub)));
    expect(e.kind).toBe('unauthorized');
    expect(e.repo).toBe(REPO);
    expect(e.message).toMatch(
      /^test-org\/clip-tiny-a is gated or private \(HTTP 401: Access to this repository is restricted for config\.json\): accept its terms on http:\/\/hub\.test\/test-org\/clip-tiny-a while logged in, then paste an access token/,
    );
    const wrong = await hubError(downloadClipModel(REPO, optionsFor(hub, { token: 'hf_wrong' })));
    expect(wrong.message).toMatch(/the Hub refused the token given/);
    const sent: string[] = [];
    const model = await downloadClipModel(REPO, {
      ...optionsFor(hub, { token: 'hf_secret' }),
      fetch: (input, init) => {
        sent.push(`${new URL(String(input)).origin} ${new Headers(init?.headers).get('authorization')}`);
        return hub.fetch(input, init);
      },
    });
    expect(model.weights.size).toBe(weights.length);
    expect(new Set(sent)).toEqual(new Set(['http://hub.test Bearer hf_secret']));
    // a server of another origin (a redirect's target, say) never hears it
    const elsewhere: (string | null)[] = [];
    await downloadClipModel(REPO, {
      ...optionsFor(hub, { token: 'hf_secret', baseUrl: 'http://mirror.test' }),
      fetch: (input, init) => {
        elsewhere.push(new Headers(init?.headers).get('authorization'));
        return hub.fetch(String(input).replace('mirror.test', 'hub.test'), init);
      },
    }).catch(() => undefined);
    expect(elsewhere.every((h) => h === 'Bearer hf_secret')).toBe(true);
  });

  it('names the repo on a 404, and the repo and file when one file is missing', async () => {
    const { hub } = await hubWithFixture();
    const e = await hubError(downloadClipModel('test-org/no-such-model', optionsFor(hub)));
    expect(e.kind).toBe('not-found');
    expect(e.message).toBe('there is no model test-org/no-such-model on hub.test (HTTP 404: Repository not found): check the model id');
    const v = await hubError(downloadClipModel(REPO, optionsFor(hub, { revision: 'v9' })));
    expect(v.message).toMatch(/^config\.json was not found in test-org\/clip-tiny-a at revision v9 \(HTTP 404: Invalid rev id: v9 at /);
    await hub.commit('test-org/no-tokenizer', files());
    const t = await hubError(downloadClipModel('test-org/no-tokenizer', { ...optionsFor(hub), tokenizer: true }));
    expect(t.message).toMatch(/^test-org\/no-tokenizer has no vocab\.json at commit [0-9a-f]{10}/);
  });

  it('says what to do with a repo that has no model.safetensors', async () => {
    const hub = new FakeHub();
    await hub.commit('test-org/bin-only', { 'config.json': new Blob([config]), 'pytorch_model.bin': new Blob([weights]) });
    const e = await hubError(downloadClipModel('test-org/bin-only', optionsFor(hub)));
    expect(e.kind).toBe('no-safetensors');
    expect(e.message).toMatch(
      /^test-org\/bin-only has no model\.safetensors at commit [0-9a-f]{10} \(it has pytorch_model\.bin\): the studio reads single-file safetensors weights only\. Convert the repo with the Hub's safetensors conversion/,
    );
    expect(gets(hub, 'pytorch_model.bin')).toEqual([]);
  });

  it('rejects a non-CLIP config before downloading weights', async () => {
    const hub = new FakeHub();
    await hub.commit('test-org/bert', {
      'config.json': new Blob(['{"model_type": "bert", "hidden_size": 768}']),
      'model.safetensors': new Blob([weights]),
    });
    const e = await hubError(downloadClipModel('test-org/bert', optionsFor(hub)));
    expect(e.kind).toBe('not-clip');
    expect(e.message).toMatch(/test-org\/bert is not a CLIP model .*model_type is "bert"/);
    expect(gets(hub, 'model.safetensors')).toEqual([]);
  });

  it('notices main moving to a new commit: the new files are fetched there, kept apart from the old ones', async () => {
    const { hub, commit: old } = await hubWithFixture();
    const cache = new MemoryHubCache();
    await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    const changed = weights.slice();
    changed[changed.length - 1]! ^= 1;
    const now = await hub.commit(REPO, { 'config.json': new Blob([config]), 'model.safetensors': new Blob([changed]) });
    // the model chosen before loads as it was: pinned to its commit
    const pinned = await downloadClipModel(REPO, { ...optionsFor(hub), cache, commit: old });
    expect(Buffer.from(await pinned.weights.arrayBuffer()).equals(weights)).toBe(true);
    expect(await checkNewest(REPO, { ...optionsFor(hub), cache })).toBe(now);
    const listed = await listCachedModels(cache);
    expect(listed.map((m) => [m.commit, m.newest])).toEqual([[old, now]].sort());
    // main again: the new commit, every file from it
    const before = hub.requests.length;
    const moved = await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    expect(moved.commit).toBe(now);
    expect(Buffer.from(await moved.weights.arrayBuffer()).equals(changed)).toBe(true);
    expect(
      hub.requests
        .slice(before)
        .filter((r) => r.method === 'GET')
        .map((r) => r.path.split('/').slice(-2).join('/')),
    ).toEqual([`tree/${now}`, `${now}/config.json`, `${now}/model.safetensors`]);
    expect((await listCachedModels(cache)).map((m) => ({ commit: m.commit, older: m.newest !== m.commit }))).toEqual(
      [
        { commit: old, older: true },
        { commit: now, older: false },
      ].sort((a, b) => a.commit.localeCompare(b.commit)),
    );
  });

  it('catches a kept file changed behind its back on load, and fetches it again', async () => {
    const { hub, commit } = await hubWithFixture();
    const cache = new MemoryHubCache();
    await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    const tampered = weights.slice();
    tampered[500]! ^= 0x40;
    await cache.write(fileKey(REPO, commit, 'model.safetensors'), 0, new Blob([tampered]).stream());
    const heard: string[] = [];
    const model = await downloadClipModel(REPO, {
      ...optionsFor(hub),
      cache,
      onChanged: (file, was, now) => heard.push(`${file} ${was !== now}`),
    });
    expect(heard).toEqual(['model.safetensors true']);
    expect(gets(hub, 'model.safetensors')).toHaveLength(2);
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });

  it('loads a kept model when the server cannot be reached, from the commit main named last', async () => {
    const { hub, commit } = await hubWithFixture();
    const cache = new MemoryHubCache();
    await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    const offline: typeof fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), cache, fetch: offline });
    expect(model.commit).toBe(commit);
    const e = await hubError(downloadClipModel('test-org/never-seen', { ...optionsFor(hub), fetch: offline, attempts: 2 }));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(
      /could not reach .* \(Failed to fetch\): you may be offline, or the server does not allow requests from this page \(CORS\)/,
    );
  });

  it('waits for the network to come back instead of failing, when the platform can tell', async () => {
    const { hub } = await hubWithFixture();
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: 5000 });
    let waited = 0;
    const model = await downloadClipModel(REPO, { ...optionsFor(hub), attempts: 1 + 1, waitForNetwork: async () => void waited++ });
    expect(waited).toBe(1);
    expect(model.weights.size).toBe(weights.length);
  });

  it('uses a file the cache refuses from memory, and says why it was not kept', async () => {
    class RefusingCache extends MemoryHubCache {
      override async write(name: string, offset: number, body: ReadableStream<Uint8Array>) {
        if (!name.endsWith('model.safetensors')) return super.write(name, offset, body);
        await body.cancel();
        throw new DOMException('Unexpected internal error.', 'UnknownError');
      }
    }
    const { hub } = await hubWithFixture();
    const cache = new RefusingCache();
    const notKept: string[] = [];
    const model = await downloadClipModel(REPO, {
      ...optionsFor(hub),
      cache,
      onNotKept: (file, e, bytes) => {
        notKept.push(`${file}: ${(e as Error).name}: ${(e as Error).message} (${bytes})`);
      },
    });
    expect(notKept).toEqual([`model.safetensors: UnknownError: Unexpected internal error. (${weights.length})`]);
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
    expect((await listCachedModels(cache))[0]!.files.map((f) => f.file)).toEqual(['config.json']);
  });

  it('rejects malformed model ids before any request', async () => {
    const { hub } = await hubWithFixture();
    for (const bad of ['../etc/passwd', 'a/b/c', '', 'owner/na me']) {
      expect((await hubError(downloadClipModel(bad, optionsFor(hub)))).kind).toBe('bad-request');
    }
    expect(hub.requests).toEqual([]);
  });

  it('cancels the body under a cache write that fails (a full disk), so the download does not hold its connection open', async () => {
    let cancelled: unknown = null;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new Uint8Array(4)),
      cancel: (why) => {
        cancelled = why;
      },
    });
    const full = new DOMException('no room', 'QuotaExceededError');
    await expect(
      drain(body, () => {
        throw full;
      }),
    ).rejects.toBe(full);
    expect(cancelled).toBe(full);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterSeconds('1')).toBe(1);
    expect(retryAfterSeconds('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30);
    expect(retryAfterSeconds(null)).toBeUndefined();
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});

describe('over HTTP', () => {
  let hub: FakeHub, served: ServedHub;
  beforeAll(async () => {
    ({ hub } = await hubWithFixture());
    served = await serveFakeHub(hub);
  });
  afterAll(() => served.close());

  it('follows a redirect to a CDN, as the Hub does for LFS files, and resumes a real cut connection', async () => {
    const commit = await hub.commit(REPO, files());
    hub.fault({
      kind: 'status',
      file: 'model.safetensors',
      status: 302,
      headers: { location: `${served.url}/${REPO}/resolve/${commit}/model.safetensors` },
    });
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: 100_000 });
    const model = await downloadClipModel(REPO, { baseUrl: served.url, cache: new MemoryHubCache() });
    expect(gets(hub, 'model.safetensors').map((r) => [r.status, r.range])).toEqual([
      [302, null],
      [200, null],
      [206, 'bytes=100000-'],
    ]);
    expect(Buffer.from(await model.weights.arrayBuffer()).equals(weights)).toBe(true);
  });
});

describe('caches', () => {
  async function exercise(cache: HubCache, hub: FakeHub) {
    await downloadClipModel(REPO, { ...optionsFor(hub), cache });
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: 2000 });
    await hubError(downloadClipModel('test-org/cut-off', { ...optionsFor(hub), cache, attempts: 1 }));
    const listed = await listCachedModels(cache);
    expect(listed.map((m) => ({ repo: m.repo, revision: m.revision, bytes: m.bytes, files: m.files }))).toEqual([
      {
        repo: REPO,
        revision: 'main',
        bytes: config.length + weights.length,
        files: [
          { file: 'config.json', bytes: config.length, complete: true },
          { file: 'model.safetensors', bytes: weights.length, complete: true },
        ],
      },
      {
        repo: 'test-org/cut-off',
        revision: 'main',
        bytes: config.length + 2000,
        files: [
          { file: 'config.json', bytes: config.length, complete: true },
          { file: 'model.safetensors', bytes: 2000, complete: false },
        ],
      },
    ]);
    await deleteCachedModel(cache, 'test-org/cut-off');
    expect((await listCachedModels(cache)).map((m) => m.repo)).toEqual([REPO]);
    expect((await cache.keys()).some((k) => k.includes('cut-off'))).toBe(false);
  }

  it('MemoryHubCache lists and deletes models, partial downloads included', async () => {
    const { hub } = await hubWithFixture();
    await hub.commit('test-org/cut-off', files());
    await exercise(new MemoryHubCache(), hub);
  });

  it('DirectoryHubCache keeps partial downloads across instances (a CLI run killed and started again)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-'));
    try {
      const { hub } = await hubWithFixture();
      await hub.commit('test-org/cut-off', files());
      await exercise(new DirectoryHubCache(dir), hub);
      hub.fault({ kind: 'cut', file: 'model.safetensors', at: 3000 });
      await hubError(
        downloadClipModel('test-org/cut-off', { ...optionsFor(hub), cache: new DirectoryHubCache(dir), attempts: 1, sha256: nodeSha256 }),
      );
      const again = await downloadClipModel('test-org/cut-off', {
        ...optionsFor(hub),
        cache: new DirectoryHubCache(dir),
        sha256: nodeSha256,
      });
      expect(gets(hub, 'model.safetensors').at(-1)).toMatchObject({ range: 'bytes=3000-', status: 206 });
      expect((await loadSafetensors(again.weights)).size).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
