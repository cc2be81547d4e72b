import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { downloadClipModel, listCachedModels } from '../engine/clip/hub.ts';
import { loadSafetensors, readSafetensorsHeader, writeSafetensors } from '../engine/clip/safetensors.ts';
import { hostTensor } from '../engine/graph/tensor.ts';
import { LocalModelStore, OpfsFiles } from './model-files.ts';
import { FakeHub } from '../../e2e/fake-hub.ts';
import { fakeOpfs } from './memory-opfs.testkit.ts';

const bytesOf = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
/** a stream of `data` in `piece`-byte chunks that fails after `failAfter` chunks */
function streamOf(data: Uint8Array, piece: number, failAfter = Infinity): ReadableStream<Uint8Array> {
  let at = 0,
    sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent++ >= failAfter) return c.error(new TypeError('network error'));
      if (at >= data.length) return c.close();
      c.enqueue(data.slice(at, at + piece));
      at += piece;
    },
  });
}

describe('OpfsFiles', () => {
  it('writes a stream as one file and reads it back by slices', async () => {
    const files = new OpfsFiles('hub-models', fakeOpfs().root);
    const data = bytesOf(10_000);
    await files.put('a/b@main/model.safetensors', streamOf(data, 777));
    const file = (await files.get('a/b@main/model.safetensors'))!;
    expect(file.size).toBe(10_000);
    expect(new Uint8Array(await file.slice(4000, 4100).arrayBuffer())).toEqual(data.slice(4000, 4100));
    expect(await files.keys()).toEqual(['a/b@main/model.safetensors']);
    await files.delete('a/b@main/model.safetensors');
    await files.delete('never-there');
    expect(await files.get('a/b@main/model.safetensors')).toBeUndefined();
    expect(await files.keys()).toEqual([]);
  });

  it('reads, lists and deletes without creating its directory: a disk over its quota refuses even that', async () => {
    const { root } = fakeOpfs();
    const refusing = async () => {
      const dir = await root();
      return new Proxy(dir, {
        get: (t, k) =>
          k === 'getDirectoryHandle'
            ? (name: string, o: { create?: boolean } = {}) =>
                o.create ? Promise.reject(new DOMException('over quota', 'QuotaExceededError')) : t.getDirectoryHandle(name, o)
            : Reflect.get(t, k),
      }) as FileSystemDirectoryHandle;
    };
    const files = new OpfsFiles('hub-models', refusing);
    expect(await files.keys()).toEqual([]);
    expect(await files.get('a')).toBeUndefined();
    await files.delete('a');
    await expect(files.put('a', streamOf(bytesOf(10), 5))).rejects.toThrow('over quota');
  });

  it('keeps nothing of a stream that fails, and the previous file of that key stays whole', async () => {
    const files = new OpfsFiles('hub-models', fakeOpfs().root);
    await expect(files.put('new', streamOf(bytesOf(5000), 1000, 2))).rejects.toThrow('network error');
    expect(await files.get('new')).toBeUndefined();
    expect(await files.keys()).toEqual([]);
    await files.put('old', streamOf(bytesOf(300, 7), 100));
    await expect(files.put('old', streamOf(bytesOf(5000), 1000, 3))).rejects.toThrow('network error');
    expect(new Uint8Array(await (await files.get('old'))!.arrayBuffer())).toEqual(bytesOf(300, 7));
  });

  it("a write past the quota fails with the browser's QuotaExceededError and leaves nothing", async () => {
    const { root, disk } = fakeOpfs(4000);
    const files = new OpfsFiles('hub-models', root);
    const e = await files.put('big', streamOf(bytesOf(5000), 1000)).catch((x: unknown) => x as DOMException);
    expect(e).toMatchObject({ name: 'QuotaExceededError' });
    expect(await files.keys()).toEqual([]);
    expect(disk.used()).toBe(0);
  });
});

describe('Hub downloads in OPFS', () => {
  const weights = writeSafetensors({
    w: hostTensor(
      'float32',
      [256, 64],
      Float32Array.from({ length: 256 * 64 }, (_, i) => i),
    ),
  });
  const config = JSON.stringify({
    model_type: 'clip',
    projection_dim: 8,
    vision_config: { hidden_size: 8, intermediate_size: 32, num_attention_heads: 1, num_hidden_layers: 1, image_size: 8, patch_size: 8 },
    text_config: { hidden_size: 8, intermediate_size: 32, num_attention_heads: 1, num_hidden_layers: 1 },
  });
  const hubWith = async () => {
    const hub = new FakeHub();
    await hub.commit('o/m', { 'config.json': new Blob([config]), 'model.safetensors': new Blob([weights]) });
    return hub;
  };

  it('keeps a file larger than its chunks as one file, and a second load reads it from the store', async () => {
    const hub = await hubWith();
    const cache = new OpfsFiles('hub-models', fakeOpfs().root);
    const first = await downloadClipModel('o/m', { cache, fetch: hub.fetch });
    expect(first.weights).toBeInstanceOf(File);
    const again = await downloadClipModel('o/m', { cache, fetch: hub.fetch });
    expect(hub.bytesServed('model.safetensors')).toBe(weights.byteLength);
    expect(Array.from((await loadSafetensors(again.weights, ['w'])).get('w')!.data as Float32Array).slice(0, 3)).toEqual([0, 1, 2]);
    expect((await readSafetensorsHeader(again.weights)).tensors.get('w')!.shape).toEqual([256, 64]);
    expect((await listCachedModels(cache))[0]).toMatchObject({ repo: 'o/m', bytes: weights.byteLength + config.length });
  });

  it('keeps the part of a cut download in place, and a new studio (a reload) resumes it', async () => {
    const hub = await hubWith();
    const { root } = fakeOpfs();
    hub.fault({ kind: 'cut', file: 'model.safetensors', at: 40_000 });
    await expect(downloadClipModel('o/m', { cache: new OpfsFiles('hub-models', root), fetch: hub.fetch, attempts: 1 })).rejects.toThrow(
      /40000 of \d+ bytes are kept/,
    );
    const model = await downloadClipModel('o/m', { cache: new OpfsFiles('hub-models', root), fetch: hub.fetch });
    expect(hub.requests.at(-1)).toMatchObject({ range: 'bytes=40000-', status: 206 });
    expect(hub.bytesServed('model.safetensors')).toBe(weights.byteLength);
    expect(new Uint8Array(await model.weights.arrayBuffer())).toEqual(weights);
  });

  it("uses weights the store refuses from memory and hears the browser's error and the file size", async () => {
    const hub = await hubWith();
    const cache = new OpfsFiles('hub-models', fakeOpfs(weights.byteLength - 1).root);
    const heard: [string, string, number][] = [];
    const model = await downloadClipModel('o/m', {
      cache,
      fetch: hub.fetch,
      onNotKept: (file, e, bytes) => {
        heard.push([file, (e as Error).name, bytes]);
      },
    });
    expect(heard).toEqual([['model.safetensors', 'QuotaExceededError', weights.byteLength]]);
    expect(model.weights.size).toBe(weights.byteLength);
    expect((await listCachedModels(cache))[0]!.files.map((f) => f.file)).toEqual(['config.json']);
  });
});

describe('LocalModelStore', () => {
  it("keeps a role's config and weights together; a refused write leaves the role absent", async () => {
    const { root, disk } = fakeOpfs(20_000);
    const store = new LocalModelStore(root);
    await store.save('teacher', { name: 't.safetensors', config: '{"a":1}', weights: new Blob([bytesOf(10_000)]) });
    const got = (await store.get('teacher'))!;
    expect([got.name, got.config, got.weights.size]).toEqual(['t.safetensors', '{"a":1}', 10_000]);
    // hashed on the way in, for the check on each load
    expect(got.sha256).toBe(createHash('sha256').update(bytesOf(10_000)).digest('hex'));
    expect(
      await store.save('student', { name: 's', config: '{}', weights: new Blob([bytesOf(15_000)]) }).catch((e: DOMException) => e.name),
    ).toBe('QuotaExceededError');
    expect(await store.get('student')).toBeUndefined();
    await store.delete('teacher');
    expect(await store.get('teacher')).toBeUndefined();
    expect(disk.used()).toBe(0);
  });
});
