import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClipConfig } from './config.ts';
import { DirectoryHubCache } from './hub-cache-node.ts';
import {
  deleteCachedModel,
  downloadClipModel,
  fileUrl,
  HubError,
  hubFile,
  listCachedModels,
  MemoryHubCache,
  type DownloadProgress,
  type HubCache,
} from './hub.ts';
import { loadSafetensors } from './safetensors.ts';
import { ClipTokenizer } from './tokenizer.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const VOCAB = JSON.stringify({ '<|startoftext|>': 49406, '<|endoftext|>': 49407, c: 0, a: 1, 't</w>': 2, 'at</w>': 3, 'cat</w>': 4 });
const MERGES = '#version: 0.2\na t</w>\nc at</w>\n';

let server: Server;
let base: string;
const requests: string[] = [];

/** Serves the fixture under the Hub's URL layout, plus misbehaving repos. */
async function route(path: string): Promise<{ status: number; body?: Buffer; cut?: boolean; location?: string }> {
  const m = /^\/test-org\/([\w.-]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
  if (!m) return { status: 404 };
  const [, repo, revision, file] = m;
  if (revision !== 'main') return { status: 404 };
  const fixtureFile = async () => (['config.json', 'model.safetensors'].includes(file!) ? readFile(join(FIXTURE, file!)) : undefined);
  switch (repo) {
    case 'clip-tiny-a': {
      if (file === 'vocab.json') return { status: 200, body: Buffer.from(VOCAB) };
      if (file === 'merges.txt') return { status: 200, body: Buffer.from(MERGES) };
      const body = await fixtureFile();
      return body ? { status: 200, body } : { status: 404 };
    }
    case 'moved':
      return { status: 302, location: `/test-org/clip-tiny-a/resolve/main/${file}` };
    case 'cut-off': {
      const body = await fixtureFile();
      return body ? { status: 200, body, cut: file === 'model.safetensors' } : { status: 404 };
    }
    case 'bert':
      return file === 'config.json' ? { status: 200, body: Buffer.from('{"model_type": "bert", "hidden_size": 768}') } : { status: 404 };
    case 'broken-server':
      return { status: 500 };
    default:
      return { status: 404 };
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url!);
    void route(req.url!).then(({ status, body, cut, location }) => {
      if (location) {
        res.writeHead(status, { location });
        res.end();
        return;
      }
      if (!body) {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('Entry not found');
        return;
      }
      res.writeHead(status, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      if (cut) {
        // announce the full length, send 40 %, then drop the connection
        res.write(body.subarray(0, Math.floor(body.length * 0.4)), () => res.destroy());
        return;
      }
      // several chunks, so that progress is reported more than once
      const step = Math.ceil(body.length / 4);
      for (let i = 0; i < body.length; i += step) res.write(body.subarray(i, i + step));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function hubError(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

describe('downloadClipModel against a local Hub-layout server', () => {
  it('downloads config and weights with progress, and the weights load', async () => {
    const cache = new MemoryHubCache();
    const progress: DownloadProgress[] = [];
    const model = await downloadClipModel('test-org/clip-tiny-a', { baseUrl: base, cache, onProgress: (p) => progress.push(p) });
    const localConfig = JSON.parse(await readFile(join(FIXTURE, 'config.json'), 'utf8'));
    expect(model.config).toEqual(parseClipConfig(localConfig));
    const size = (await readFile(join(FIXTURE, 'model.safetensors'))).length;
    expect(model.weights.size).toBe(size);
    const weightProgress = progress.filter((p) => p.file === 'model.safetensors');
    expect(weightProgress.length).toBeGreaterThan(1);
    expect(weightProgress.every((p, i) => p.total === size && !p.cached && (i === 0 || p.loaded > weightProgress[i - 1]!.loaded))).toBe(
      true,
    );
    expect(weightProgress.at(-1)!.loaded).toBe(size);
    const name = 'vision_model.embeddings.patch_embedding.weight';
    const fromHub = (await loadSafetensors(model.weights, [name])).get(name)!;
    const local = (await loadSafetensors(new Blob([await readFile(join(FIXTURE, 'model.safetensors'))]), [name])).get(name)!;
    expect(fromHub.shape).toEqual(local.shape);
    expect(Buffer.from(fromHub.data.buffer).equals(Buffer.from(local.data.buffer))).toBe(true);
  });

  it('serves the second load from the cache without requests', async () => {
    const cache = new MemoryHubCache();
    await downloadClipModel('test-org/clip-tiny-a', { baseUrl: base, cache });
    const before = requests.length;
    const progress: DownloadProgress[] = [];
    const again = await downloadClipModel('test-org/clip-tiny-a', { baseUrl: base, cache, onProgress: (p) => progress.push(p) });
    expect(requests.length).toBe(before);
    expect(progress.map((p) => [p.file, p.cached])).toEqual([
      ['config.json', true],
      ['model.safetensors', true],
    ]);
    expect(again.weights.size).toBeGreaterThan(0);
  });

  it('fetches tokenizer files when asked, and they load', async () => {
    const model = await downloadClipModel('test-org/clip-tiny-a', { baseUrl: base, tokenizer: true });
    const tok = ClipTokenizer.fromHubFiles(await model.tokenizer!.vocab.text(), await model.tokenizer!.merges.text());
    expect(tok.encode('Cat')).toEqual([4]);
  });

  it('follows redirects, as the Hub does to its CDN', async () => {
    const model = await downloadClipModel('test-org/moved', { baseUrl: `${base}/` });
    expect(model.weights.size).toBe((await readFile(join(FIXTURE, 'model.safetensors'))).length);
  });

  it('reports a missing repo or revision as not-found with the URL', async () => {
    const e = await hubError(downloadClipModel('test-org/no-such-model', { baseUrl: base }));
    expect(e.kind).toBe('not-found');
    expect(e.url).toBe(`${base}/test-org/no-such-model/resolve/main/config.json`);
    expect(e.message).toMatch(/config.json was not found at .* \(HTTP 404\): check the model id/);
    expect((await hubError(hubFile('test-org/clip-tiny-a', 'config.json', { baseUrl: base, revision: 'v9' }))).kind).toBe('not-found');
  });

  it('rejects a cut-off download as truncated and caches nothing of it', async () => {
    const cache = new MemoryHubCache();
    const e = await hubError(downloadClipModel('test-org/cut-off', { baseUrl: base, cache }));
    expect(e.kind).toBe('truncated');
    expect(e.message).toMatch(/model.safetensors: received \d+ of \d+ bytes; the download was cut off, try again/);
    expect(await cache.keys()).toEqual(['test-org/cut-off@main/config.json']);
  });

  it('uses a file the cache refuses from memory, downloading it again, and says why it was not kept', async () => {
    // Chromium's Cache Storage in a private window refuses entries of 300 MB and more this way
    class RefusingCache extends MemoryHubCache {
      override async put(key: string, body: ReadableStream<Uint8Array>) {
        if (!key.endsWith('model.safetensors')) return super.put(key, body);
        await body.cancel();
        throw new DOMException('Unexpected internal error.', 'UnknownError');
      }
    }
    const cache = new RefusingCache();
    const notKept: string[] = [];
    const before = requests.length;
    const model = await downloadClipModel('test-org/clip-tiny-a', {
      baseUrl: base,
      cache,
      onNotKept: (file, e) => {
        notKept.push(`${file}: ${(e as Error).name}: ${(e as Error).message}`);
      },
    });
    expect(notKept).toEqual(['model.safetensors: UnknownError: Unexpected internal error.']);
    expect(model.weights.size).toBe((await readFile(join(FIXTURE, 'model.safetensors'))).length);
    expect(requests.slice(before).filter((r) => r.endsWith('model.safetensors'))).toHaveLength(2);
    expect(await cache.keys()).toEqual(['test-org/clip-tiny-a@main/config.json']);
  });

  it('rejects a non-CLIP config before downloading weights', async () => {
    const before = requests.length;
    const e = await hubError(downloadClipModel('test-org/bert', { baseUrl: base }));
    expect(e.kind).toBe('not-clip');
    expect(e.message).toMatch(/test-org\/bert is not a CLIP model .*model_type is "bert"/);
    expect(requests.slice(before)).toEqual(['/test-org/bert/resolve/main/config.json']);
  });

  it('reports unreachable servers as network errors and other statuses as http', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e = await hubError(downloadClipModel('test-org/clip-tiny-a', { baseUrl: `http://127.0.0.1:${port}` }));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(/could not reach .* you may be offline, or the server does not allow requests from this page \(CORS\)/);
    expect((await hubError(downloadClipModel('test-org/broken-server', { baseUrl: base }))).kind).toBe('http');
  });

  it('rejects malformed model ids before any request', async () => {
    for (const bad of ['../etc/passwd', 'a/b/c', '', 'owner/na me']) {
      expect((await hubError(downloadClipModel(bad, { baseUrl: base }))).kind).toBe('bad-request');
    }
    expect(fileUrl('openai/clip-vit-base-patch16', 'config.json')).toBe(
      'https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/config.json',
    );
  });
});

describe('caches', () => {
  async function exercise(cache: HubCache) {
    await downloadClipModel('test-org/clip-tiny-a', { baseUrl: base, cache });
    await hubFile('test-org/clip-tiny-a', 'config.json', { baseUrl: base, cache, revision: 'main' });
    await hubError(downloadClipModel('test-org/cut-off', { baseUrl: base, cache }));
    const listed = await listCachedModels(cache);
    const weights = (await readFile(join(FIXTURE, 'model.safetensors'))).length;
    const config = (await readFile(join(FIXTURE, 'config.json'))).length;
    expect(listed).toEqual([
      {
        repo: 'test-org/clip-tiny-a',
        revision: 'main',
        files: [
          { file: 'config.json', bytes: config },
          { file: 'model.safetensors', bytes: weights },
        ],
        bytes: config + weights,
      },
      { repo: 'test-org/cut-off', revision: 'main', files: [{ file: 'config.json', bytes: config }], bytes: config },
    ]);
    await deleteCachedModel(cache, 'test-org/cut-off');
    expect((await listCachedModels(cache)).map((m) => m.repo)).toEqual(['test-org/clip-tiny-a']);
  }

  it('MemoryHubCache lists and deletes models', () => exercise(new MemoryHubCache()));

  it('DirectoryHubCache persists across instances and leaves no partial files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-'));
    try {
      await exercise(new DirectoryHubCache(dir));
      expect((await readdir(dir)).some((n) => n.includes('partial'))).toBe(false);
      const before = requests.length;
      const again = await downloadClipModel('test-org/clip-tiny-a', { baseUrl: base, cache: new DirectoryHubCache(dir) });
      expect(requests.length).toBe(before);
      expect((await loadSafetensors(again.weights)).size).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
