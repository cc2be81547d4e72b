// The PyTorch checkpoint reader and writer without PyTorch: files made by our own writer and by
// hand-assembled pickles and zips, including hostile and broken ones. pytorch.test.ts checks the
// same code against files from (and for) real PyTorch.
import { describe, expect, it } from 'vitest';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { looksLikeTorchCheckpoint, readTorchCheckpoint, TorchCheckpointError, writeDasslCheckpoint } from './checkpoint.ts';
import {
  PickleCall,
  PickleDictOut,
  PickleError,
  PickleGlobalOut,
  PicklePersistent,
  type PyDict,
  pickle,
  unpickle,
  type PickleOut,
} from './pickle.ts';
import { CountingBlob } from './torch.testkit.ts';
import { readZipDirectory, writeStoredZip } from './zip.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const blob = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>]);
const f32 = (shape: number[], values: number[]) => hostTensor('float32', shape, Float32Array.from(values));

/** `_rebuild_tensor_v2` of a view of storage `key` */
function tensorOut(key: string, storage: string, numel: number, offset: number, shape: number[], stride: number[]): PickleCall {
  const id = new PicklePersistent(['storage', new PickleGlobalOut('torch', storage), key, 'cpu', numel]);
  return new PickleCall('torch._utils', '_rebuild_tensor_v2', [id, offset, shape, stride, false, new PickleDictOut([], true)]);
}

/** a torch.save-shaped zip around a pickle and raw storages */
function archive(
  root: PickleOut | Uint8Array,
  storages: Record<string, Uint8Array> = {},
  extra: { name: string; data: Uint8Array }[] = [],
): Uint8Array {
  return writeStoredZip([
    { name: 'archive/data.pkl', data: root instanceof Uint8Array ? root : pickle(root) },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
    ...extra,
    { name: 'archive/version', data: enc('3\n') },
  ]);
}

const bytesOf = (a: Float32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const read = async (file: Uint8Array, names: string[]) => (await readTorchCheckpoint(blob(file))).read(names);
const values = (t: HostTensor) => Array.from(t.data as Float32Array);

describe('writing and reading a Dassl checkpoint', () => {
  const sd = new Map<string, HostTensor>([
    ['image_encoder.VPT', f32([2, 3], [1, -2, 3.5, 4, 5, -6e-7])],
    ['VPT_image_trans.conv1.1.num_batches_tracked', hostTensor('int64', [], BigInt64Array.of(123456789012n))],
    ['empty', f32([0, 4], [])],
  ]);
  const file = writeDasslCheckpoint(sd, 20);

  it('round-trips tensors and the Dassl keys', async () => {
    const ckpt = await readTorchCheckpoint(blob(file));
    const root = ckpt.root as PyDict;
    expect([...root.map.keys()]).toEqual(['state_dict', 'epoch', 'optimizer', 'scheduler']);
    expect(root.map.get('epoch')).toBe(20);
    expect(root.map.get('optimizer')).toBeNull();
    expect((root.map.get('state_dict') as PyDict).type).toBe('collections.OrderedDict');
    expect([...ckpt.tensors.keys()]).toEqual([...sd.keys()]);
    const t = await ckpt.read([...sd.keys()]);
    expect(t.get('image_encoder.VPT')).toEqual(sd.get('image_encoder.VPT'));
    expect(t.get('VPT_image_trans.conv1.1.num_batches_tracked')).toEqual({
      dtype: 'int64',
      shape: [],
      data: BigInt64Array.of(123456789012n),
    });
    expect(t.get('empty')!.shape).toEqual([0, 4]);
  });

  it("aligns every entry's data to 64 bytes, as torch does", async () => {
    const src = blob(file);
    const dir = await readZipDirectory(src);
    expect(dir.entries.map((e) => e.name)).toEqual([
      'archive/data.pkl',
      'archive/byteorder',
      'archive/data/0',
      'archive/data/1',
      'archive/data/2',
      'archive/version',
    ]);
    const view = new DataView(file.buffer, file.byteOffset);
    for (const e of dir.entries) {
      const start = e.headerOffset + 30 + view.getUint16(e.headerOffset + 26, true) + view.getUint16(e.headerOffset + 28, true);
      expect(start % 64, e.name).toBe(0);
    }
  });

  it('tells checkpoints from other files by their first bytes', () => {
    expect(looksLikeTorchCheckpoint(file)).toBe(true);
    expect(looksLikeTorchCheckpoint(enc('{"__metadata__"'))).toBe(false);
  });
});

describe('views, strides and 16-bit floats', () => {
  const base = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3); // [4,6]
  const at = (r: number, c: number) => base[r * 6 + c]!;

  it('reads views with offsets and strides of one shared storage', async () => {
    const root = new PickleDictOut(
      [
        ['t', tensorOut('0', 'FloatStorage', 24, 0, [6, 4], [1, 6])],
        ['slice', tensorOut('0', 'FloatStorage', 24, 8, [3, 3], [6, 1])],
        ['column', tensorOut('0', 'FloatStorage', 24, 1, [4], [6])],
        ['strided', tensorOut('0', 'FloatStorage', 24, 0, [2, 2], [12, 3])],
        ['scalar', tensorOut('0', 'FloatStorage', 24, 23, [], [])],
      ],
      true,
    );
    const t = await read(archive(root, { 0: bytesOf(base) }), ['t', 'slice', 'column', 'strided', 'scalar']);
    expect(values(t.get('t')!)).toEqual([0, 1, 2, 3, 4, 5].flatMap((c) => [0, 1, 2, 3].map((r) => at(r, c))));
    expect(values(t.get('slice')!)).toEqual([1, 2, 3].flatMap((r) => [2, 3, 4].map((c) => at(r, c))));
    expect(values(t.get('column')!)).toEqual([0, 1, 2, 3].map((r) => at(r, 1)));
    expect(values(t.get('strided')!)).toEqual([at(0, 0), at(0, 3), at(2, 0), at(2, 3)]);
    expect(t.get('scalar')).toEqual({ dtype: 'float32', shape: [], data: Float32Array.of(8.5) });
  });

  it('widens fp16 and bf16 storages to float32, exactly', async () => {
    // half: 1, -2, 65504 (largest), 2^-24 (smallest subnormal); bf16: 1, 3.140625, -0.5, 1e38-ish
    const half = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001);
    const bf16 = Uint16Array.of(0x3f80, 0x4049, 0xbf00, 0x7e96);
    const root = new PickleDictOut([
      ['half', tensorOut('0', 'HalfStorage', 4, 0, [2, 2], [1, 2])],
      ['bf16', tensorOut('1', 'BFloat16Storage', 4, 1, [3], [1])],
    ]);
    const t = await read(archive(root, { 0: bytesOf(half), 1: bytesOf(bf16) }), ['half', 'bf16']);
    expect(t.get('half')!.dtype).toBe('float32');
    expect(values(t.get('half')!)).toEqual([1, 65504, -2, 2 ** -24]);
    expect(values(t.get('bf16')!)).toEqual([3.140625, -0.5, new Float32Array(Uint32Array.of(0x7e960000).buffer)[0]]);
  });
});

describe('the pickle writer', () => {
  it('writes integers of every width, strings, None, bools and tuples that read back', () => {
    const ints = [
      0,
      255,
      256,
      65535,
      65536,
      -1,
      -129,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 40,
      -(2 ** 40),
      2 ** 53 - 1,
      -(2 ** 53 - 1),
    ];
    const root = unpickle(
      pickle(
        new PickleDictOut([
          ['ints', ints],
          ['text', 'prompt_learner.ctx ü'],
          ['none', null],
          ['yes', true],
          ['no', false],
          ['long', [1, 2, 3, 4, 5]],
        ]),
      ),
    ) as PyDict;
    expect(root.map.get('ints')).toEqual(ints);
    expect(root.map.get('text')).toBe('prompt_learner.ctx ü');
    expect([root.map.get('none'), root.map.get('yes'), root.map.get('no')]).toEqual([null, true, false]);
    expect(root.map.get('long')).toEqual([1, 2, 3, 4, 5]);
  });

  it("refuses floats, which torch 1.13's weights_only loader cannot read", () => {
    expect(() => pickle(new PickleDictOut([['lr', 0.005]]))).toThrow(/cannot pickle 0.005: only integers are written/);
  });
});

/** hand-assembled protocol-2 pickle: bytes and latin-1 text */
const raw = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('hostile pickles', () => {
  const refused = async (pkl: Uint8Array, message: RegExp) => {
    await expect(readTorchCheckpoint(blob(archive(pkl)))).rejects.toThrow(message);
    expect(() => unpickle(pkl)).toThrow(PickleError);
  };

  it('refuses os.system, builtins.eval and subprocess.Popen by name, before any call', async () => {
    // {'state_dict': posix.system('touch /tmp/x')}
    await refused(
      raw(
        [0x80, 2, 0x7d, 0x28],
        'X',
        [10, 0, 0, 0],
        'state_dict',
        'cposix\nsystem\n',
        'X',
        [13, 0, 0, 0],
        'touch /tmp/x',
        [0x85, 0x52, 0x75, 0x2e],
      ),
      /^the pickle names the Python global 'posix\.system', which a checkpoint never needs; refusing the file \(nothing in it was run\)$/,
    );
    await refused(raw([0x80, 2], 'c__builtin__\neval\n', 'X', [1, 0, 0, 0], '1', [0x85, 0x52, 0x2e]), /Python global '__builtin__\.eval'/);
    await refused(raw([0x80, 2], 'csubprocess\nPopen\n', ']', [0x85, 0x52, 0x2e]), /Python global 'subprocess\.Popen'/);
    await refused(raw([0x80, 2], 'cos\nsystem\n', [0x2e]), /Python global 'os\.system'/);
  });

  it('refuses a global built on the stack (protocol 4) just the same', async () => {
    await refused(
      raw([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'exec', [0x93], [0x8c, 1], '1', [0x85, 0x52, 0x2e]),
      /Python global 'builtins\.exec'/,
    );
  });

  it('says which storage types it takes when a tensor has another', async () => {
    const root = new PickleDictOut([['z', tensorOut('0', 'ComplexFloatStorage', 1, 0, [1], [1])]]);
    await expect(readTorchCheckpoint(blob(archive(root, { 0: new Uint8Array(8) })))).rejects.toThrow(
      /storage type torch\.ComplexFloatStorage, which this reader does not take \(it takes float32, float16, bfloat16, /,
    );
  });

  it('refuses calling an allowed name that is not a function, and the text-mode INST opcode', async () => {
    await refused(raw([0x80, 2], 'c__builtin__\ndict\n', [0x29, 0x52, 0x2e]), /__builtin__\.dict cannot be called/);
    await refused(raw([0x80, 2, 0x28], 'iposix\nsystem\n', [0x2e]), /opcode 0x69 'i' at byte 3: this opcode is not one torch\.save uses/);
  });

  it('says where a pickle is cut short', () => {
    expect(() => unpickle(raw([0x80, 2, 0x58, 100, 0, 0, 0], 'abc'))).toThrow(
      /needs 100 more bytes but the pickle ends at byte 10: the file is truncated/,
    );
    expect(() => unpickle(raw([0x80, 2, 0x68, 7, 0x2e]))).toThrow(/memo slot 7 was never filled/);
  });
});

describe('broken and foreign files', () => {
  const good = archive(new PickleDictOut([['w', tensorOut('0', 'FloatStorage', 4, 0, [4], [1])]]), {
    0: bytesOf(Float32Array.of(1, 2, 3, 4)),
  });

  it('refuses a truncated zip wherever it is cut', async () => {
    for (const n of [0, 3, 30, good.length >> 1, good.length - 1]) {
      await expect(readTorchCheckpoint(blob(good.subarray(0, n))), `cut at ${n}`).rejects.toThrow(TorchCheckpointError);
    }
    await expect(readTorchCheckpoint(blob(good.subarray(0, good.length - 1)))).rejects.toThrow(/no zip end record: .*truncated download/);
  });

  it('refuses not-a-zip, a zip without data.pkl, the legacy format and TorchScript with what to do', async () => {
    await expect(readTorchCheckpoint(blob(enc('hello, not a checkpoint')))).rejects.toThrow(
      /not a PyTorch checkpoint: files written by torch\.save are zip archives/,
    );
    await expect(readTorchCheckpoint(blob(writeStoredZip([{ name: 'notes.txt', data: enc('hi') }])))).rejects.toThrow(
      /no <archive>\/data\.pkl entries/,
    );
    const legacy = raw([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    expect(looksLikeTorchCheckpoint(legacy)).toBe(true);
    await expect(readTorchCheckpoint(blob(legacy))).rejects.toThrow(/legacy format .* save it again with torch\.save\(obj, path\)/);
    const script = archive(new PickleDictOut([]), {}, [{ name: 'archive/constants.pkl', data: pickle([]) }]);
    await expect(readTorchCheckpoint(blob(script))).rejects.toThrow(/TorchScript model \(torch\.jit\.save/);
  });

  it('refuses compressed entries and sizes the file cannot hold (zip-bomb-like headers)', async () => {
    const dir = await readZipDirectory(blob(good));
    const cd = new DataView(good.buffer.slice(0) as ArrayBuffer);
    const central = (name: string) => {
      // walk the central directory to the named entry's record
      const dirStart = cd.getUint32(good.length - 22 + 16, true);
      let p = dirStart;
      for (;;) {
        const n = new TextDecoder().decode(new Uint8Array(cd.buffer, p + 46, cd.getUint16(p + 28, true)));
        if (n === name) return p;
        p += 46 + cd.getUint16(p + 28, true) + cd.getUint16(p + 30, true) + cd.getUint16(p + 32, true);
      }
    };
    const patched = (f: (v: DataView) => void) => {
      const v = new DataView(good.buffer.slice(0) as ArrayBuffer);
      f(v);
      return blob(new Uint8Array(v.buffer));
    };
    const storage = central('archive/data/0');
    await expect(readTorchCheckpoint(patched((v) => v.setUint16(storage + 10, 8, true)))).rejects.toThrow(
      /entry 'archive\/data\/0' is compressed \(method 8\); torch\.save stores entries uncompressed/,
    );
    await expect(
      readTorchCheckpoint(
        patched((v) => {
          v.setUint32(storage + 20, 0xfffffff0, true);
          v.setUint32(storage + 24, 0xfffffff0, true);
        }),
      ),
    ).rejects.toThrow(/entry 'archive\/data\/0' \(4294967280 bytes at \d+\) runs past the start of the central directory/);
    await expect(readTorchCheckpoint(patched((v) => v.setUint16(good.length - 22 + 10, 60000, true)))).rejects.toThrow(
      /claims 60000 entries in a \d+-byte directory/,
    );
    expect(dir.entries).toHaveLength(3);
  });

  it('refuses storages shorter than their tensors, views past their storage and absurd sizes, without allocating them', async () => {
    const one = (t: PickleCall, storage: Uint8Array) => read(archive(new PickleDictOut([['w', t]]), { 0: storage }), ['w']);
    await expect(one(tensorOut('0', 'FloatStorage', 6, 0, [6], [1]), bytesOf(Float32Array.of(1, 2, 3)))).rejects.toThrow(
      `storage '0' of tensor 'w' has 12 bytes but declares 6 float32 elements (24 bytes): the file is truncated or damaged`,
    );
    await expect(one(tensorOut('0', 'FloatStorage', 3, 1, [3], [1]), bytesOf(Float32Array.of(1, 2, 3)))).rejects.toThrow(
      `tensor 'w' reaches element 3 of storage '0', which holds 3: the file is damaged`,
    );
    await expect(
      one(tensorOut('0', 'FloatStorage', 2 ** 40, 0, [2 ** 20, 2 ** 20], [2 ** 20, 1]), bytesOf(Float32Array.of(1))),
    ).rejects.toThrow(/storage '0' of tensor 'w' has 4 bytes but declares 1099511627776 float32 elements/);
    // a stride-0 view would expand 4 bytes into 4 GB
    await expect(one(tensorOut('0', 'FloatStorage', 1, 0, [1e9], [0]), bytesOf(Float32Array.of(1)))).rejects.toThrow(
      `tensor 'w' [1000000000] has 1000000000 elements but its storage '0' holds 1: the file is damaged`,
    );
    await expect(read(archive(new PickleDictOut([['w', tensorOut('7', 'FloatStorage', 1, 0, [1], [1])]])), ['w'])).rejects.toThrow(
      `storage '7' of tensor 'w' is missing from the archive`,
    );
  });

  it('says so when the file is cut short after it was opened', async () => {
    // the file shrinks between opening it and reading a tensor (a network drive, an overwritten file)
    let shrunk = false;
    const ckpt = await readTorchCheckpoint({ size: good.length, slice: (a, b) => blob(good.subarray(a, shrunk ? a : b)) });
    shrunk = true;
    await expect(ckpt.read(['w'])).rejects.toThrow(
      /^the local header of 'archive\/data\/0': read 0 of 30 bytes; the file changed or could not be read$/,
    );
    await expect(ckpt.read(['w'])).rejects.toThrow(TorchCheckpointError);
  });

  it('names tensors asked for that the state dict lacks', async () => {
    await expect(read(good, ['w', 'image_encoder.VPT'])).rejects.toThrow(
      `the checkpoint has no tensor 'image_encoder.VPT' (its state dict holds 1 tensors)`,
    );
  });
});

describe('lazy reading', () => {
  it('reads only the tensors asked for: a few hundred bytes of prompts beside 8 MB of frozen weights', async () => {
    const sd = new Map<string, HostTensor>([
      ['image_encoder.conv1.weight', hostTensor('float32', [2048, 1024])],
      [
        'image_encoder.VPT',
        f32(
          [4, 8],
          Array.from({ length: 32 }, (_, i) => i),
        ),
      ],
      ['image_encoder.transformer.resblocks.0.mlp.c_fc.weight', hostTensor('float32', [1024, 1024])],
    ]);
    const file = new CountingBlob([writeDasslCheckpoint(sd, 1)]);
    const ckpt = await readTorchCheckpoint(file);
    const opened = file.read;
    const t = await ckpt.read(['image_encoder.VPT']);
    expect(values(t.get('image_encoder.VPT')!)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(file.size).toBeGreaterThan(12e6);
    expect(opened).toBeLessThan(4096); // the file's end, its directory, data.pkl
    expect(file.read - opened).toBe(30 + 128); // the local header and the prompt's 128 bytes
  });
});
