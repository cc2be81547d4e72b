import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitDemoModels, FakeHub, serveFakeHub, type ServedHub } from '../../e2e/fake-hub.ts';
import { hubCacheDir, hubModelFiles } from './hub-models.ts';
import { loadModelDir } from './promptkd-models.ts';

describe('Hub ids for --teacher and --student', () => {
  let hub: FakeHub, served: ServedHub, cache: string, commits: { student: string; teacher: string };
  const env = () => ({ HF_ENDPOINT: served.url, PROMPTKD_HUB_CACHE: cache });

  beforeAll(async () => {
    hub = new FakeHub();
    commits = await commitDemoModels(hub);
    hub.gate('test/demo-teacher', 'hf_cli_token');
    served = await serveFakeHub(hub);
    cache = await mkdtemp(join(tmpdir(), 'promptkd-hub-'));
  });
  afterAll(async () => {
    await served.close();
    await rm(cache, { recursive: true, force: true });
  });

  it('downloads into the cache folder, pinned to the commit, and a second run resumes nothing and fetches nothing', async () => {
    hub.fault({ kind: 'cut', repo: 'test/demo-student', file: 'model.safetensors', at: 1_000_000 });
    const first = await hubModelFiles('test/demo-student', undefined, env());
    expect(first.pinned).toBe(`test/demo-student@${commits.student}`);
    const weights = hub.requests.filter((r) => r.path.endsWith('model.safetensors'));
    expect(weights.map((r) => r.status)).toEqual([200, 206]);
    // the resume asks for the rest from what reached the cache: at the cut, or a little before it where
    // bytes in flight were lost with the connection (Node's fetch drops what it had not handed on)
    const from = Number(/^bytes=(\d+)-$/.exec(weights[1]!.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(500_000);
    expect(from).toBeLessThanOrEqual(1_000_000);
    expect(hub.bytesServed('model.safetensors')).toBe(first.weights.size + 1_000_000 - from);
    const served = hub.bytesServed('model.safetensors');
    const again = await hubModelFiles('test/demo-student', undefined, env());
    expect(hub.bytesServed('model.safetensors')).toBe(served);
    expect(again.weights.size).toBe(first.weights.size);
  });

  it('takes the token from --hub-token or HF_TOKEN, and says where to give one', async () => {
    await expect(hubModelFiles('test/demo-teacher', undefined, env())).rejects.toThrow(
      /test\/demo-teacher is gated or private \(HTTP 401.*\(with --hub-token or HF_TOKEN\)$/,
    );
    expect((await hubModelFiles('test/demo-teacher', undefined, { ...env(), HF_TOKEN: 'hf_cli_token' })).pinned).toBe(
      `test/demo-teacher@${commits.teacher}`,
    );
    expect((await hubModelFiles('test/demo-teacher@main', 'hf_cli_token', env())).pinned).toBe(`test/demo-teacher@${commits.teacher}`);
  });

  it('loadModelDir takes a Hub id where no such folder exists', async () => {
    process.env.HF_ENDPOINT = served.url;
    process.env.PROMPTKD_HUB_CACHE = cache;
    try {
      const w = await loadModelDir('test/demo-teacher', 'teacher', ['vision', 'text'], 'hf_cli_token');
      expect(w.config.vision.layers).toBeGreaterThan(0);
    } finally {
      delete process.env.HF_ENDPOINT;
      delete process.env.PROMPTKD_HUB_CACHE;
    }
  });

  it('keeps downloads in the user cache folder unless told otherwise', () => {
    expect(hubCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/c' })).toBe('/c/promptkd/hub');
    expect(hubCacheDir({ PROMPTKD_HUB_CACHE: '/x' })).toBe('/x');
  });
});
