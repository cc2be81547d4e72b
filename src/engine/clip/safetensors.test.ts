import { describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { loadSafetensors, readSafetensorsHeader, SafetensorsError, writeSafetensors } from './safetensors.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';

/** A Blob that records every byte range read from it, to prove that hostile files allocate nothing big. */
class SpyBlob extends Blob {
  bytesRequested = 0;
  override slice(start = 0, end = this.size): Blob {
    const s = Math.max(0, Math.min(start, this.size)),
      e = Math.max(s, Math.min(end, this.size));
    this.bytesRequested += e - s;
    return super.slice(start, end);
  }
}

/** A file from a literal header, with an optional lie in the 8-byte length field. */
function rawFile(
  header: string | Uint8Array<ArrayBuffer> | object,
  data: Uint8Array<ArrayBuffer> = new Uint8Array(0),
  declaredLength?: bigint,
): SpyBlob {
  const json =
    header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  return new SpyBlob([len, json, data]);
}

async function rejection(blob: Blob): Promise<SafetensorsError> {
  const err = await loadSafetensors(blob).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SafetensorsError);
  return err as SafetensorsError;
}

// toEqual walks typed arrays element by element, which takes seconds on an embedding table
const sameBytes = (a: HostTensor, b: HostTensor): boolean =>
  a.dtype === b.dtype &&
  a.shape.join() === b.shape.join() &&
  Buffer.compare(
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  ) === 0;

async function fixtureFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await fixtureFiles(p)));
    else if (d.name.endsWith('.safetensors')) out.push(p);
  }
  return out;
}

describe('writeSafetensors / loadSafetensors', () => {
  it('round-trips every host dtype, scalars, empty tensors and metadata', async () => {
    const tensors: Record<string, HostTensor> = {
      'a.f32': hostTensor('float32', [2, 3], Float32Array.from([1, -2, 3.5, 0, 1e-30, -7])),
      'b.f64': hostTensor('float64', [3], Float64Array.from([Math.PI, -1e300, 0])),
      'c.i64': hostTensor('int64', [2], BigInt64Array.from([-(2n ** 62n), 49407n])),
      'd.i32': hostTensor('int32', [1, 2], Int32Array.from([-5, 2 ** 31 - 1])),
      'e.bool': hostTensor('bool', [3], Uint8Array.from([1, 0, 1])),
      'f.scalar': hostTensor('float32', [], Float32Array.from([4.25])),
      'g.empty': hostTensor('float32', [0, 5], new Float32Array(0)),
    };
    const bytes = writeSafetensors(tensors, { format: 'pt', note: 'made by a test' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const blob = new Blob([bytes]);
    const header = await readSafetensorsHeader(blob);
    expect(header.metadata).toEqual({ format: 'pt', note: 'made by a test' });
    const back = await loadSafetensors(blob);
    expect([...back.keys()].sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.get(name)!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(b.data).toEqual(t.data);
    }
  });

  it('reads only the requested tensors', async () => {
    const bytes = writeSafetensors({
      x: hostTensor('float32', [1000], new Float32Array(1000).fill(1)),
      y: hostTensor('int32', [2], Int32Array.from([7, 8])),
    });
    const blob = new SpyBlob([bytes]);
    const got = await loadSafetensors(blob, ['y']);
    expect([...got.keys()]).toEqual(['y']);
    expect(got.get('y')!.data).toEqual(Int32Array.from([7, 8]));
    expect(blob.bytesRequested).toBeLessThanOrEqual(bytes.length - 4000);
  });

  it('names the missing tensor', async () => {
    const bytes = writeSafetensors({ x: hostTensor('float32', [1], Float32Array.from([1])) });
    await expect(loadSafetensors(new Blob([bytes]), ['x', 'nope'])).rejects.toThrow(/no tensor named 'nope'/);
  });

  it('converts F16, BF16 and U8 exactly', async () => {
    const half = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8400, 0x7c00, 0xfc00, 0x7e00, 0x3555]);
    const bf = Uint16Array.from([0x3f80, 0xc0a0, 0x0000, 0x8000]);
    const u8 = Uint8Array.from([0, 200, 255]);
    const data = new Uint8Array(half.byteLength + bf.byteLength + u8.byteLength);
    data.set(new Uint8Array(half.buffer), 0);
    data.set(new Uint8Array(bf.buffer), half.byteLength);
    data.set(u8, half.byteLength + bf.byteLength);
    const h = half.byteLength,
      b = h + bf.byteLength;
    const got = await loadSafetensors(
      rawFile(
        {
          h: { dtype: 'F16', shape: [9], data_offsets: [0, h] },
          b: { dtype: 'BF16', shape: [2, 2], data_offsets: [h, b] },
          u: { dtype: 'U8', shape: [3], data_offsets: [b, b + 3] },
        },
        data,
      ),
    );
    const hv = Array.from(got.get('h')!.data as Float32Array);
    expect(hv.slice(0, 7)).toEqual([1, -2, 65504, 2 ** -24, -(2 ** -14), Infinity, -Infinity]);
    expect(hv[7]).toBeNaN();
    expect(hv[8]).toBe(Math.fround(0.333251953125));
    expect(got.get('b')!.dtype).toBe('float32');
    expect(Array.from(got.get('b')!.data as Float32Array)).toEqual([1, -5, 0, -0]);
    expect(got.get('u')!.dtype).toBe('int32');
    expect(Array.from(got.get('u')!.data as Int32Array)).toEqual([0, 200, 255]);
  });
});

describe('fixture files', () => {
  it('every fixture safetensors file loads, and rewrites to the same tensors', async () => {
    const files = await fixtureFiles(FIXTURE);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const blob = await openAsBlob(f);
      const tensors = await loadSafetensors(blob);
      expect(tensors.size, f).toBeGreaterThan(0);
      const again = await loadSafetensors(new Blob([writeSafetensors(Object.fromEntries(tensors))]));
      for (const [name, t] of tensors) expect(sameBytes(again.get(name)!, t), `${f} ${name}`).toBe(true);
    }
  });

  it('model.safetensors shapes agree with config.json', async () => {
    const config = JSON.parse(await readFile(join(FIXTURE, 'config.json'), 'utf8'));
    const v = config.vision_config,
      t = config.text_config;
    const m = await loadSafetensors(await openAsBlob(join(FIXTURE, 'model.safetensors')), [
      'vision_model.embeddings.patch_embedding.weight',
      'text_model.embeddings.token_embedding.weight',
    ]);
    expect(m.get('vision_model.embeddings.patch_embedding.weight')!.shape).toEqual([v.hidden_size, 3, v.patch_size, v.patch_size]);
    expect(m.get('text_model.embeddings.token_embedding.weight')!.shape).toEqual([t.vocab_size, t.hidden_size]);
  });

  it('io.safetensors input_ids are int32 [n, 77] starting with the start token', async () => {
    const io = await loadSafetensors(await openAsBlob(join(FIXTURE, 'io.safetensors')), ['input_ids']);
    const ids = io.get('input_ids')!;
    expect(ids.dtype).toBe('int32');
    expect(ids.shape[1]).toBe(77);
    for (let r = 0; r < ids.shape[0]!; r++) expect(ids.data[r * 77]).toBe(49406);
  });
});

describe('hostile files', () => {
  const f32 = (n: number) => new Uint8Array(n * 4);

  it('rejects a file shorter than the length field', async () => {
    expect((await rejection(new Blob([new Uint8Array(5)]))).message).toMatch(/fewer than the 8-byte header length.*download it again/);
  });

  it('rejects an absurd header length (2^40) after reading 8 bytes', async () => {
    const blob = rawFile({}, new Uint8Array(0), 2n ** 40n);
    expect((await rejection(blob)).message).toMatch(/header claims 1099511627776 bytes, more than/);
    expect(blob.bytesRequested).toBe(8);
  });

  it('rejects a header length larger than the file', async () => {
    const blob = rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1), 5000n);
    expect((await rejection(blob)).message).toMatch(/header claims 5000 bytes but only \d+ follow/);
    expect(blob.bytesRequested).toBe(8);
  });

  it('rejects bad JSON and non-object headers', async () => {
    expect((await rejection(rawFile('{"x": {"dtype": "F32",'))).message).toMatch(/not valid UTF-8 JSON/);
    expect((await rejection(rawFile('[1,2]'))).message).toMatch(/not a JSON object/);
    expect((await rejection(rawFile(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])))).message).toMatch(/not valid UTF-8 JSON/);
  });

  it('rejects an unknown dtype, naming the tensor', async () => {
    const err = await rejection(rawFile({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4)));
    expect(err.message).toMatch(/tensor 'w' has dtype "F8_E4M3"; supported: F32, F16/);
  });

  it('rejects a shape whose size disagrees with the byte range', async () => {
    const err = await rejection(rawFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, f32(5)));
    expect(err.message).toMatch(/tensor 'w' \(F32 \[2,3\]\) needs 24 bytes but its data_offsets span 20/);
  });

  it('rejects malformed shapes and offsets', async () => {
    expect((await rejection(rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)))).message).toMatch(
      /tensor 'w' has shape \[-1\]/,
    );
    expect((await rejection(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, f32(2)))).message).toMatch(
      /tensor 'w' has data_offsets \[8,4\]/,
    );
    expect((await rejection(rawFile({ w: 3 }, f32(1)))).message).toMatch(/tensor 'w' has no \{dtype/);
  });

  it('rejects an offset past the end of the file without reading it', async () => {
    const blob = rawFile({ w: { dtype: 'F32', shape: [2 ** 28], data_offsets: [0, 2 ** 30] } }, f32(4));
    expect((await rejection(blob)).message).toMatch(
      /tensor 'w' ends at byte 1073741824 of the data section, which has only 16 bytes.*truncated/,
    );
    expect(blob.bytesRequested).toBeLessThanOrEqual(blob.size);
  });

  it('rejects overlapping tensors', async () => {
    const err = await rejection(
      rawFile(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        f32(3),
      ),
    );
    expect(err.message).toMatch(/tensor 'b' \(bytes 4..12\) overlaps the previous tensor/);
  });

  it('rejects holes and trailing bytes', async () => {
    expect((await rejection(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)))).message).toMatch(
      /bytes 0..4 before tensor 'a' belong to no tensor/,
    );
    expect((await rejection(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)))).message).toMatch(
      /cover 4 bytes but the data section has 8/,
    );
  });

  it('rejects non-string metadata', async () => {
    expect((await rejection(rawFile({ __metadata__: { n: 1 } }))).message).toMatch(/__metadata__.n is not a string/);
  });
});

describe('large files', () => {
  it('reads one small tensor from a sparse 1.7 GB file without reading the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'st-'));
    try {
      const path = join(dir, 'big.safetensors');
      const big = 425_000_000; // float32 elements: 1.7 GB
      const header = new TextEncoder().encode(
        JSON.stringify({
          big: { dtype: 'F32', shape: [big], data_offsets: [0, big * 4] },
          small: { dtype: 'F32', shape: [3], data_offsets: [big * 4, big * 4 + 12] },
        }),
      );
      const len = new Uint8Array(8);
      new DataView(len.buffer).setBigUint64(0, BigInt(header.length), true);
      const fh = await open(path, 'w');
      await fh.write(len, 0, 8, 0);
      await fh.write(header, 0, header.length, 8);
      const small = new Uint8Array(Float32Array.from([1.5, -2, 3]).buffer);
      await fh.write(small, 0, 12, 8 + header.length + big * 4);
      await fh.close();
      const blob = await openAsBlob(path);
      expect(blob.size).toBeGreaterThan(1.7e9);
      const got = await loadSafetensors(blob, ['small']);
      expect(Array.from(got.get('small')!.data as Float32Array)).toEqual([1.5, -2, 3]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
