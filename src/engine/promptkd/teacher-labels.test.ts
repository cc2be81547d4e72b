// The label file on its own: what is written reads back, chunks join into the file written whole,
// and a label set names why it cannot serve a run.
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../clip/safetensors.ts';
import { float32ToHalf, halfToFloat32 } from '../graph/half.ts';
import { rng } from '../random.ts';
import { hostTensor } from '../graph/tensor.ts';
import {
  joinLabelParts,
  labelsMismatch,
  mergeLabelShards,
  readLabelPart,
  shardRange,
  TeacherLabelError,
  TeacherLabels,
  writeLabelFile,
  type LabelHeader,
  type LabelTest,
} from './teacher-labels.ts';

const C = 3,
  D = 4,
  V = 2;
const classes = ['bag', 'dress', 'sneaker'];
const ids = ['a.png', 'b.png', 'sub/c.png', 'sub/d.png', 'e.png'];
const sha = (i: number) => i.toString(16).padStart(64, '0');
const r = rng(1);
const logits = Float32Array.from({ length: ids.length * V * C }, () => 10 * r.normal());
const features = hostTensor(
  'float32',
  [C, D],
  Float32Array.from({ length: C * D }, () => r.normal()),
);
const test: LabelTest = {
  ids: ['t/0.png', 't/1.png'],
  labels: [2, 0],
  sha256: [sha(90), sha(91)],
  logits: hostTensor(
    'float32',
    [2, C],
    Float32Array.from({ length: 2 * C }, (_, i) => i),
  ),
};

const header = (over: Partial<LabelHeader> = {}): LabelHeader => ({
  classes,
  teacher: { id: 'clip-demo', promptState: 'zero-shot-1-abc', logitScale: 100 },
  recipe: { seed: 3, epochs: 2, augment: true, views: V, inputSize: 32 },
  shard: { index: 0, count: 1 },
  files: 6,
  range: { from: 0, to: 6 },
  skipped: [{ file: 'notes.txt', reason: 'not an image' }],
  logits: 'F32',
  ...over,
});

/** files [from, to) of the listing (ids a, b, notes.txt, sub/c, sub/d, e): images and the skipped note */
function chunk(from: number, to: number, withTest = false) {
  const listing = ['a.png', 'b.png', 'notes.txt', 'sub/c.png', 'sub/d.png', 'e.png'].slice(from, to);
  const rows = listing.filter((f) => f !== 'notes.txt').map((f) => ids.indexOf(f));
  const data = new Float32Array(rows.length * V * C);
  rows.forEach((row, k) => {
    data.set(logits.subarray(row * V * C, (row + 1) * V * C), k * V * C);
  });
  return writeLabelFile(
    header({ range: { from, to }, skipped: listing.includes('notes.txt') ? [{ file: 'notes.txt', reason: 'not an image' }] : [] }),
    {
      classFeatures: features,
      ids: rows.map((i) => ids[i]!),
      sha256: rows.map(sha),
      logits: data,
      test: withTest ? test : null,
    },
  );
}

const whole = () => writeLabelFile(header(), { classFeatures: features, ids, sha256: ids.map((_, i) => sha(i)), logits, test });
const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
const open = async (...blobs: Blob[]) => TeacherLabels.open(await Promise.all(blobs.map((b, i) => readLabelPart(b, `part${i}`))));

describe('teacher label files', () => {
  it("read back what was written: classes, features, every view's logits, the test set, the content hashes", async () => {
    const labels = await open(whole());
    expect(labels.classes).toEqual(classes);
    expect(labels.imageIds).toEqual(ids);
    expect(labels.skipped).toEqual([{ file: 'notes.txt', reason: 'not an image' }]);
    expect(Array.from((await labels.classFeatures()).data as Float32Array)).toEqual(Array.from(features.data as Float32Array));
    const got = await labels.logits([
      { imageId: 'sub/d.png', view: 1 },
      { imageId: 'a.png', view: 0 },
    ]);
    expect(Array.from(got.data as Float32Array)).toEqual([...logits.subarray((3 * V + 1) * C, (3 * V + 2) * C), ...logits.subarray(0, C)]);
    expect(labels.sha256Of('b.png')).toBe(sha(1));
    expect(Array.from((await labels.testLogits(['t/1.png'], [sha(91)]))!.data as Float32Array)).toEqual([3, 4, 5]);
    expect(await labels.testLogits(['t/1.png'], [sha(5)])).toBeNull(); // the test image changed
    expect(await labels.testLogits(['t/9.png'], [undefined])).toBeNull();
    await expect(labels.logits([{ imageId: 'z.png', view: 0 }])).rejects.toThrow('image z.png is not labelled');
    await expect(labels.logits([{ imageId: 'a.png', view: 2 }])).rejects.toThrow(
      'view 2 of a.png is not labelled (the labels hold 2 per image)',
    );
  });

  it('are the same bytes for the same inputs, and chunks joined are the file written whole', async () => {
    expect(await bytesOf(whole())).toEqual(await bytesOf(whole()));
    const parts = await Promise.all(
      [chunk(0, 0, true), chunk(0, 2), chunk(2, 5), chunk(5, 6)].map((b, i) => readLabelPart(b, `chunk${i}`)),
    );
    expect(await bytesOf(joinLabelParts(parts.reverse(), { index: 0, count: 1 }, { from: 0, to: 6 }, 'the chunks'))).toEqual(
      await bytesOf(whole()),
    );
    const gap = await Promise.all([chunk(0, 2), chunk(3, 6)].map((b, i) => readLabelPart(b, `c${i}`)));
    expect(() => joinLabelParts(gap, { index: 0, count: 1 }, { from: 0, to: 6 }, 'the chunks')).toThrow(
      'the chunks: files 2..2 of the listing are in no label file',
    );
  });

  it('merge shards into the one file, and say which shard is missing or there twice', async () => {
    const shard = (i: number, n: number, withTest: boolean) => {
      const { from, to } = shardRange(i, n, 6);
      // a chunk's header says shard 0 of 1: joined alone as shard i of n, it is what `promptkd label --shard i/n` writes
      return readLabelPart(chunk(from, to, withTest), `s${i}`).then((p) =>
        readLabelPart(joinLabelParts([p], { index: i, count: n }, { from, to }, 'shard'), `shard ${i}`),
      );
    };
    const shards = [await shard(0, 3, true), await shard(1, 3, false), await shard(2, 3, false)];
    expect(await bytesOf(mergeLabelShards([shards[2]!, shards[0]!, shards[1]!]))).toEqual(await bytesOf(whole()));
    expect(() => mergeLabelShards([shards[0]!, shards[2]!])).toThrow(
      'shard 1/3 is missing (found 0, 2); run promptkd label --shard 1/3 with the same flags',
    );
    expect(() => mergeLabelShards([shards[0]!, shards[1]!, shards[1]!, shards[2]!])).toThrow(
      'shard 1/3 is there twice (shard 1 and shard 1); keep one',
    );
  });

  it('store float16 logits at half the size, read back as float32', async () => {
    const half = writeLabelFile(header({ logits: 'F16' }), {
      classFeatures: features,
      ids,
      sha256: ids.map((_, i) => sha(i)),
      logits: float32ToHalf(logits),
      test: null,
    });
    const labels = await open(half);
    const got = await labels.logits([{ imageId: 'e.png', view: 1 }]);
    expect(Array.from(got.data as Float32Array)).toEqual(
      Array.from(halfToFloat32(float32ToHalf(logits.subarray((4 * V + 1) * C, (4 * V + 2) * C)))),
    );
    expect(half.size).toBeLessThan(whole().size - logits.byteLength / 2 + 200);
  });

  it('refuse a file that is not a label file, and a truncated one, in one line', async () => {
    const prompts = new Blob([writeSafetensors({ 'prompt_learner.ctx': hostTensor('float32', [2, 4]) })]);
    await expect(readLabelPart(prompts, 'p.safetensors')).rejects.toThrow(
      'p.safetensors is not a teacher-label file (`promptkd label` writes them): it looks like a prompt file',
    );
    const full = whole();
    await expect(readLabelPart(full.slice(0, full.size - 10), 'cut.safetensors')).rejects.toThrow(TeacherLabelError);
    await expect(readLabelPart(full.slice(0, full.size - 10), 'cut.safetensors')).rejects.toThrow(
      /^cut\.safetensors is truncated or damaged/,
    );
  });

  it('say why they cannot serve a run', async () => {
    const labels = await open(whole());
    const run = { classes, seed: 3, epochs: 2, augment: true, views: 0, imageIds: ids.slice(0, 3) };
    expect(labelsMismatch(labels, run)).toBeNull();
    expect(labelsMismatch(labels, { ...run, epochs: 5, views: 2 })).toBeNull(); // two crops reused over 5 epochs
    expect(labelsMismatch(labels, { ...run, classes: ['dress', 'bag', 'sneaker'] })).toContain('the same classes in another order');
    expect(labelsMismatch(labels, { ...run, classes: ['bag', 'coat'] })).toBe(
      "the labels are for other classes: 3 (bag, dress, sneaker), this run has 2 (bag, coat); label again with this run's classes",
    );
    expect(labelsMismatch(labels, { ...run, teacher: { id: 'clip-other', promptState: 'zero-shot-1-abc' } })).toContain(
      'the labels are from another teacher (clip-demo',
    );
    expect(labelsMismatch(labels, { ...run, seed: 4 })).toBe('the labels are for seed 3, this run uses seed 4');
    expect(labelsMismatch(labels, { ...run, epochs: 3 })).toContain('epochs 3 > 2 labelled');
    expect(labelsMismatch(labels, { ...run, views: 3, epochs: 3 })).toContain('views 3 > 2 labelled');
    expect(labelsMismatch(labels, { ...run, augment: false })).toContain(
      'the labels hold random crops and this run trains on centre views',
    );
    expect(labelsMismatch(labels, { ...run, imageIds: ['a.png', 'new.png', 'new2.png'] })).toBe(
      "image new.png is not labelled (nor 1 other of the run's 3); label this folder",
    );
    expect(labelsMismatch(labels, { ...run, sha256Of: (id) => (id === 'b.png' ? sha(7) : sha(ids.indexOf(id))) })).toContain(
      'image b.png has changed since it was labelled',
    );
  });
});
