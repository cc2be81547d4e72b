// Teacher labels as data: the frozen teacher's logits for every view a distillation will draw, made
// once (`promptkd label`, on as many machines as there are) and read by every student run that draws
// the same views. The layout is documented for other readers in docs/teacher-labels.md.
//
// A label file is a safetensors file. Its tensors, in file order (widest dtype first, so that every
// tensor starts aligned to its element size):
//   test_labels    I64 [T]          class index of each labelled test image   (only with a test folder)
//   class_features F32 [C,D]        the teacher's unit class text features: the student's classifier
//   test_logits    F32 [T,C]        the teacher's logits of each test image's centre view
//   logits         F32|F16 [N,V,C]  view v of image n: the crop of view epoch v (distill.ts), or the
//                                   centre view (V = 1) when augmentation is off
//   image_sha256   U8 [N,32]        SHA-256 of each image file's bytes
//   test_sha256    U8 [T,32]
//   image_ids      U8 [bytes]       UTF-8 ids (paths relative to the unlabeled folder) joined by '\n'
//   test_ids       U8 [bytes]       the same for the test folder
// __metadata__: {format: LABELS_FORMAT, labels: JSON of LabelHeader}.
//
// A label *set* is one or more such files that tile the folder's listing: the shards of one
// labelling (shard i of n covers a contiguous range of the listing, shardRange), or one merged file
// (shard 0 of 1). The chunks a shard commits while it runs are files of the same layout over smaller
// ranges. Joining files is concatenating their tensors in range order: no logit is read or rewritten,
// so a merge of shards is byte for byte the file a single machine would have written.
import {
  readSafetensorsHeader,
  type SafetensorsHeader,
  safetensorsBlob,
  SafetensorsError,
  type SafetensorsEntry,
  type SafetensorsPart,
} from '../clip/safetensors.ts';
import { halfToFloat32 } from '../graph/half.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { classesMismatch, recipeMismatch, type LabelRecipe, type ViewDemand } from './label-recipe.ts';

export { classesMismatch, recipeMismatch, type LabelRecipe, type ViewDemand };

export const LABELS_FORMAT = 'promptkd-teacher-labels/1';

export class TeacherLabelError extends Error {
  override name = 'TeacherLabelError';
}

export interface LabelTeacher {
  /** the teacher's weights (Teacher.modelId) */
  id: string;
  /** its prompts (Teacher.promptState) */
  promptState: string;
  /** exp(logit_scale): the logits are this times the cosine similarities */
  logitScale: number;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

/** the metadata of one label file */
export interface LabelHeader {
  /** class names in label order */
  classes: string[];
  teacher: LabelTeacher;
  recipe: LabelRecipe;
  shard: { index: number; count: number };
  /** files in the unlabeled folder's listing (every shard's listing agrees) */
  files: number;
  /** the files [from, to) of the listing that this file covers: each is an image below, or skipped */
  range: { from: number; to: number };
  /** files of the range that are not readable images */
  skipped: SkippedFile[];
  logits: 'F32' | 'F16';
}

/** the listing's files [from, to) of shard `index` of `count`: contiguous, sizes within one */
export function shardRange(index: number, count: number, files: number): { from: number; to: number } {
  return { from: Math.floor((index * files) / count), to: Math.floor(((index + 1) * files) / count) };
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function sha256Bytes(hexDigest: string): Uint8Array<ArrayBuffer> {
  if (!/^[0-9a-f]{64}$/.test(hexDigest)) throw new TeacherLabelError(`'${hexDigest}' is not a SHA-256 digest in hex`);
  return Uint8Array.from({ length: 32 }, (_, i) => parseInt(hexDigest.slice(2 * i, 2 * i + 2), 16));
}

/**
 * The message for a label file given where another file is expected (prompts, a checkpoint), from
 * its safetensors metadata; null when it is not a label file.
 */
export function misplacedLabels(metadata: Readonly<Record<string, string>>, source: string, expected: string): string | null {
  if (!metadata.format?.startsWith('promptkd-teacher-labels/')) return null;
  return `${source} is a teacher-label file (made by promptkd label), not ${expected}: distill from it with --teacher-labels, or in the studio with Import teacher labels…`;
}

/** the metadata fields that one label set shares in all its files */
const setKey = (h: LabelHeader) => JSON.stringify([h.classes, h.teacher, h.recipe, h.files, h.logits]);

// ---- writing ------------------------------------------------------------------------------------

export interface LabelTest {
  ids: readonly string[];
  labels: readonly number[];
  /** hex SHA-256 of each file */
  sha256: readonly string[];
  /** [T,C] */
  logits: HostTensor;
}

export interface LabelContents {
  /** [C,D] */
  classFeatures: HostTensor;
  ids: readonly string[];
  /** hex SHA-256 of each image file */
  sha256: readonly string[];
  /** [N,V,C] float32, written as the header's dtype */
  logits: Float32Array | Uint16Array;
  test: LabelTest | null;
}

const u8 = (d: ArrayBufferView) => new Uint8Array(d.buffer as ArrayBuffer, d.byteOffset, d.byteLength);
const idBytes = (ids: readonly string[]) => {
  const bad = ids.find((id) => id.includes('\n') || id.length === 0);
  if (bad !== undefined) throw new TeacherLabelError(`image id ${JSON.stringify(bad)} is empty or holds a line break; rename the file`);
  return new TextEncoder().encode(ids.join('\n'));
};
const digests = (sha: readonly string[]) => {
  const out = new Uint8Array(sha.length * 32);
  sha.forEach((h, i) => {
    out.set(sha256Bytes(h), i * 32);
  });
  return out;
};

/**
 * The tensors of a label file in their file order. `parts` supplies each tensor's bytes, so that a
 * join can hand in slices of other files.
 */
function labelParts(
  header: LabelHeader,
  n: number,
  idsBytes: number,
  t: number | null,
  testIdsBytes: number,
  data: (name: string) => ArrayBufferView<ArrayBuffer> | Blob,
  D: number,
): SafetensorsPart[] {
  const C = header.classes.length,
    V = header.recipe.views;
  const parts: SafetensorsPart[] = [];
  const add = (name: string, dtype: SafetensorsPart['dtype'], shape: number[]) => parts.push({ name, dtype, shape, data: data(name) });
  if (t !== null) add('test_labels', 'I64', [t]);
  add('class_features', 'F32', [C, D]);
  if (t !== null) add('test_logits', 'F32', [t, C]);
  add('logits', header.logits, [n, V, C]);
  add('image_sha256', 'U8', [n, 32]);
  if (t !== null) add('test_sha256', 'U8', [t, 32]);
  add('image_ids', 'U8', [idsBytes]);
  if (t !== null) add('test_ids', 'U8', [testIdsBytes]);
  return parts;
}

const metadataOf = (header: LabelHeader): Record<string, string> => ({ format: LABELS_FORMAT, labels: JSON.stringify(canonical(header)) });

/** the header with its keys in one order, so that equal headers are equal bytes */
function canonical(h: LabelHeader): LabelHeader {
  const { seed, epochs, augment, views, inputSize } = h.recipe;
  const { id, promptState, logitScale } = h.teacher;
  return {
    classes: [...h.classes],
    teacher: { id, promptState, logitScale },
    recipe: { seed, epochs, augment, views, inputSize },
    shard: { index: h.shard.index, count: h.shard.count },
    files: h.files,
    range: { from: h.range.from, to: h.range.to },
    skipped: h.skipped.map((s) => ({ file: s.file, reason: s.reason })),
    logits: h.logits,
  };
}

/** One label file (a chunk, a shard, or a whole set) from its contents. The same inputs give the same bytes. */
export function writeLabelFile(header: LabelHeader, c: LabelContents): Blob {
  const C = header.classes.length,
    V = header.recipe.views,
    N = c.ids.length;
  if (c.classFeatures.shape.length !== 2 || c.classFeatures.shape[0] !== C) {
    throw new TeacherLabelError(`class features [${c.classFeatures.shape.join(',')}] do not fit ${C} classes`);
  }
  if (c.logits.length !== N * V * C) throw new TeacherLabelError(`${c.logits.length} logits for ${N} images × ${V} views × ${C} classes`);
  if (c.logits instanceof Uint16Array !== (header.logits === 'F16'))
    throw new TeacherLabelError(`logits given as ${c.logits.constructor.name} for a ${header.logits} file`);
  if (c.sha256.length !== N) throw new TeacherLabelError(`${c.sha256.length} content hashes for ${N} images`);
  if (N + header.skipped.length !== header.range.to - header.range.from) {
    throw new TeacherLabelError(
      `${N} images and ${header.skipped.length} skipped files do not account for the ${header.range.to - header.range.from} files of the range`,
    );
  }
  const ids = idBytes(c.ids),
    test = c.test;
  const testIds = test ? idBytes(test.ids) : new Uint8Array(0);
  if (
    test &&
    (test.labels.length !== test.ids.length ||
      test.sha256.length !== test.ids.length ||
      test.logits.shape.join() !== [test.ids.length, C].join())
  ) {
    throw new TeacherLabelError(`the test labels do not fit ${test.ids.length} test images of ${C} classes`);
  }
  const bytes: Record<string, ArrayBufferView<ArrayBuffer>> = {
    class_features: u8(c.classFeatures.data),
    logits: u8(c.logits),
    image_sha256: digests(c.sha256),
    image_ids: ids,
    ...(test
      ? {
          test_labels: u8(BigInt64Array.from(test.labels, BigInt)),
          test_logits: u8(test.logits.data),
          test_sha256: digests(test.sha256),
          test_ids: testIds,
        }
      : {}),
  };
  const parts = labelParts(
    header,
    N,
    ids.length,
    test ? test.ids.length : null,
    testIds.length,
    (name) => bytes[name]!,
    c.classFeatures.shape[1]!,
  );
  return safetensorsBlob(parts, metadataOf(header));
}

// ---- reading ------------------------------------------------------------------------------------

/** one label file, its header and its small tensors read; the logits stay in the file */
export interface LabelPart {
  /** names the file in messages */
  readonly name: string;
  readonly blob: Blob;
  readonly header: LabelHeader;
  readonly ids: readonly string[];
  /** [N·32] */
  readonly sha256: Uint8Array;
  readonly test: { ids: string[]; labels: number[]; sha256: Uint8Array } | null;
  /** the file's tensors by name, with absolute byte offsets */
  readonly tensors: ReadonlyMap<string, { entry: SafetensorsEntry; at: number }>;
}

const REDO = 'label it again (promptkd label with the same flags finishes what is missing)';

async function bytesOf(blob: Blob, at: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(await blob.slice(at, at + length).arrayBuffer());
  if (buf.byteLength !== length) throw new TeacherLabelError(`read ${buf.byteLength} of ${length} bytes: the file is truncated`);
  return buf;
}

const splitIds = (bytes: Uint8Array) => (bytes.length === 0 ? [] : new TextDecoder('utf-8', { fatal: true }).decode(bytes).split('\n'));

/** what a file that is not a label file looks like, for the message */
function notLabels(name: string, meta: Readonly<Record<string, string>>, tensors: readonly string[]): TeacherLabelError {
  const looks = meta.format?.startsWith('promptkd-student')
    ? 'a student checkpoint'
    : tensors.some((t) => t.startsWith('prompt_learner.') || t.includes('VPT'))
      ? 'a prompt file'
      : tensors.some((t) => t.includes('vision_model.') || t.includes('text_model.'))
        ? 'model weights'
        : null;
  return new TeacherLabelError(
    `${name} is not a teacher-label file (\`promptkd label\` writes them)${looks ? `: it looks like ${looks}` : ''}; choose the labels' .safetensors file or their folder`,
  );
}

/** Reads a label file's header and small tensors, checking that they fit together. */
export async function readLabelPart(blob: Blob, name: string): Promise<LabelPart> {
  let st: SafetensorsHeader;
  try {
    st = await readSafetensorsHeader(blob);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new TeacherLabelError(`${name} is truncated or damaged (${e.message.split(':')[0]}); ${REDO}`);
    throw e;
  }
  if (st.metadata.format !== LABELS_FORMAT) {
    if (st.metadata.format?.startsWith('promptkd-teacher-labels/')) {
      throw new TeacherLabelError(
        `${name} is a teacher-label file of another version (${st.metadata.format}); this studio reads ${LABELS_FORMAT}`,
      );
    }
    throw notLabels(name, st.metadata, [...st.tensors.keys()]);
  }
  let header: LabelHeader;
  try {
    header = JSON.parse(st.metadata.labels ?? '') as LabelHeader;
  } catch {
    throw new TeacherLabelError(`${name}: its label metadata is not valid JSON; ${REDO}`);
  }
  const tensors = new Map([...st.tensors].map(([n, e]) => [n, { entry: e, at: st.dataOffset + e.begin }]));
  const C = header.classes?.length,
    V = header.recipe?.views;
  const shape = (n: string) => tensors.get(n)?.entry.shape.join(',');
  const need = (n: string, want: string) => {
    if (shape(n) !== want)
      throw new TeacherLabelError(
        `${name}: tensor '${n}' has shape [${shape(n) ?? 'absent'}], expected [${want}]; the file is damaged, ${REDO}`,
      );
  };
  const N = tensors.get('image_sha256')?.entry.shape[0] ?? -1;
  need('logits', `${N},${V},${C}`);
  need('image_sha256', `${N},32`);
  if (tensors.get('logits')!.entry.dtype !== header.logits)
    throw new TeacherLabelError(`${name}: logits are ${tensors.get('logits')!.entry.dtype}, the header says ${header.logits}`);
  const D = tensors.get('class_features')?.entry.shape[1] ?? -1;
  need('class_features', `${C},${D}`);
  const read = (n: string) => {
    const t = tensors.get(n)!;
    return bytesOf(blob, t.at, t.entry.end - t.entry.begin);
  };
  const ids = splitIds(await read('image_ids'));
  if (ids.length !== N)
    throw new TeacherLabelError(`${name}: ${ids.length} image ids for ${N} rows of logits; the file is damaged, ${REDO}`);
  const { from, to } = header.range;
  if (!(0 <= from && from <= to && to <= header.files) || N + header.skipped.length !== to - from) {
    throw new TeacherLabelError(
      `${name}: its range ${from}..${to} of ${header.files} files does not hold its ${N} images and ${header.skipped.length} skipped files; ${REDO}`,
    );
  }
  const { index, count } = header.shard;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count)) {
    throw new TeacherLabelError(`${name}: shard ${index}/${count} is not a shard index of 0..${count - 1}`);
  }
  let test: LabelPart['test'] = null;
  if (tensors.has('test_labels')) {
    const T = tensors.get('test_labels')!.entry.shape[0]!;
    need('test_logits', `${T},${C}`);
    need('test_sha256', `${T},32`);
    const testIds = splitIds(await read('test_ids'));
    if (testIds.length !== T)
      throw new TeacherLabelError(`${name}: ${testIds.length} test ids for ${T} test labels; the file is damaged, ${REDO}`);
    const labels = Array.from(new BigInt64Array((await read('test_labels')).slice().buffer), Number);
    test = { ids: testIds, labels, sha256: await read('test_sha256') };
  }
  return { name, blob, header, ids, sha256: await read('image_sha256'), test, tensors };
}

/** the parts, sorted by range, as one contiguous cover of `range`; one line naming what does not fit */
function checkTiling(parts: readonly LabelPart[], range: { from: number; to: number }, what: string): LabelPart[] {
  const sorted = [...parts].sort((a, b) => a.header.range.from - b.header.range.from || a.header.range.to - b.header.range.to);
  const first = sorted[0];
  if (!first) throw new TeacherLabelError(`${what}: no label files`);
  for (const p of sorted) {
    if (setKey(p.header) !== setKey(first.header))
      throw new TeacherLabelError(
        `${p.name} and ${first.name} are labels of different runs (${differences(first.header, p.header)}); keep the files of one labelling together`,
      );
  }
  let at = range.from;
  for (const p of sorted) {
    if (p.header.range.from < at)
      throw new TeacherLabelError(`${p.name} overlaps the labels before it (files ${p.header.range.from}..${at - 1}); keep one of each`);
    if (p.header.range.from > at)
      throw new TeacherLabelError(`${what}: files ${at}..${p.header.range.from - 1} of the listing are in no label file; ${REDO}`);
    at = p.header.range.to;
  }
  if (at !== range.to) throw new TeacherLabelError(`${what}: files ${at}..${range.to - 1} of the listing are in no label file; ${REDO}`);
  if (sorted.filter((p) => p.test).length > 1)
    throw new TeacherLabelError(
      `${what}: ${sorted
        .filter((p) => p.test)
        .map((p) => p.name)
        .join(' and ')} both hold test labels; keep one`,
    );
  return sorted;
}

/** what differs between two headers, in words */
function differences(a: LabelHeader, b: LabelHeader): string {
  const out: string[] = [];
  if (JSON.stringify(a.classes) !== JSON.stringify(b.classes)) out.push('other classes');
  if (JSON.stringify(a.teacher) !== JSON.stringify(b.teacher)) out.push('another teacher');
  for (const k of ['seed', 'epochs', 'augment', 'views', 'inputSize'] as const)
    if (a.recipe[k] !== b.recipe[k]) out.push(`${k} ${a.recipe[k]} vs ${b.recipe[k]}`);
  if (a.files !== b.files) out.push(`listings of ${a.files} and ${b.files} files`);
  if (a.logits !== b.logits) out.push(`${a.logits} and ${b.logits} logits`);
  return out.join(', ') || 'another labelling';
}

/**
 * Joins label files that tile `range` of the listing into one file, as shard `shard`: each tensor is
 * the parts' tensors one after another, as slices of their files (nothing is read but the headers).
 */
export function joinLabelParts(
  parts: readonly LabelPart[],
  shard: { index: number; count: number },
  range: { from: number; to: number },
  what: string,
): Blob {
  const sorted = checkTiling(parts, range, what);
  const h = sorted[0]!.header;
  const header: LabelHeader = { ...h, shard, range, skipped: sorted.flatMap((p) => p.header.skipped) };
  const test = sorted.find((p) => p.test) ?? null;
  const slice = (p: LabelPart, n: string) => {
    const t = p.tensors.get(n)!;
    return p.blob.slice(t.at, t.at + t.entry.end - t.entry.begin);
  };
  const joined = (n: string) => new Blob(sorted.map((p) => slice(p, n)));
  const ids = new Blob(
    sorted.filter((p) => p.ids.length > 0).flatMap((p, i) => (i === 0 ? [slice(p, 'image_ids')] : ['\n', slice(p, 'image_ids')])),
  );
  const data = (n: string): Blob => {
    if (n === 'class_features') return slice(sorted[0]!, n);
    if (n === 'image_ids') return ids;
    if (n.startsWith('test_')) return slice(test!, n);
    return joined(n);
  };
  const N = sorted.reduce((a, p) => a + p.ids.length, 0);
  const D = sorted[0]!.tensors.get('class_features')!.entry.shape[1]!;
  const T = test ? test.test!.ids.length : null;
  const parts2 = labelParts(header, N, ids.size, T, test ? test.tensors.get('test_ids')!.entry.shape[0]! : 0, data, D);
  return safetensorsBlob(parts2, metadataOf(header));
}

/** the shards of one labelling, checked to be complete: every shard of n there once, one recipe */
function completeShards(parts: readonly LabelPart[]): LabelPart[] {
  const first = parts[0];
  if (!first) throw new TeacherLabelError('no label files were given');
  const n = first.header.shard.count;
  const other = parts.find((p) => p.header.shard.count !== n);
  if (other)
    throw new TeacherLabelError(
      `${first.name} is shard ${first.header.shard.index} of ${n} but ${other.name} is shard ${other.header.shard.index} of ${other.header.shard.count}; keep the shards of one labelling together`,
    );
  const byIndex = new Map<number, LabelPart[]>();
  for (const p of parts) byIndex.set(p.header.shard.index, [...(byIndex.get(p.header.shard.index) ?? []), p]);
  const twice = [...byIndex].find(([, ps]) => ps.length > 1);
  if (twice) throw new TeacherLabelError(`shard ${twice[0]}/${n} is there twice (${twice[1].map((p) => p.name).join(' and ')}); keep one`);
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new TeacherLabelError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (found ${[...byIndex.keys()].sort((a, b) => a - b).join(', ')}); run promptkd label --shard ${missing[0]}/${n} with the same flags`,
    );
  }
  for (const p of parts) {
    const want = shardRange(p.header.shard.index, n, p.header.files);
    if (p.header.range.from !== want.from || p.header.range.to !== want.to) {
      throw new TeacherLabelError(
        `${p.name} covers files ${p.header.range.from}..${p.header.range.to} but shard ${p.header.shard.index}/${n} is files ${want.from}..${want.to}; it is not a whole shard (label it again)`,
      );
    }
  }
  return checkTiling(parts, { from: 0, to: first.header.files }, 'the shards');
}

/** Merges the shards of one labelling into one file (shard 0 of 1). A pure function of the shards. */
export function mergeLabelShards(parts: readonly LabelPart[]): Blob {
  const shards = completeShards(parts);
  return joinLabelParts(shards, { index: 0, count: 1 }, { from: 0, to: shards[0]!.header.files }, 'the shards');
}

/** a view of an image to look up: view 0 is the centre view, or the crop of view epoch `view` */
export interface LabelView {
  imageId: string;
  view: number;
}

/** A complete label set (one merged file, or every shard of one labelling), read as the teacher. */
export class TeacherLabels {
  private readonly where = new Map<string, { part: LabelPart; row: number }>();

  private constructor(readonly parts: readonly LabelPart[]) {
    for (const part of parts) {
      part.ids.forEach((id, row) => {
        const seen = this.where.get(id);
        if (seen)
          throw new TeacherLabelError(
            `image ${id} is labelled twice, in ${seen.part.name} and ${part.name}; keep the files of one labelling`,
          );
        this.where.set(id, { part, row });
      });
    }
  }

  /** the label files of one set: checked to be complete and of one labelling */
  static open(parts: readonly LabelPart[]): TeacherLabels {
    return new TeacherLabels(completeShards(parts));
  }

  get header(): LabelHeader {
    return this.parts[0]!.header;
  }
  get classes(): readonly string[] {
    return this.header.classes;
  }
  get teacher(): LabelTeacher {
    return this.header.teacher;
  }
  get recipe(): LabelRecipe {
    return this.header.recipe;
  }
  get imageCount(): number {
    return this.where.size;
  }
  /** D of the class features [C,D]: the teacher's embedding width */
  get featureDim(): number {
    return this.parts[0]!.tensors.get('class_features')!.entry.shape[1]!;
  }
  get skipped(): SkippedFile[] {
    return this.parts.flatMap((p) => p.header.skipped);
  }
  /** the label set's ids in listing order */
  get imageIds(): string[] {
    return this.parts.flatMap((p) => p.ids);
  }
  get test(): { ids: readonly string[]; labels: readonly number[] } | null {
    return this.testPart?.test ?? null;
  }
  private get testPart(): LabelPart | undefined {
    return this.parts.find((p) => p.test);
  }

  has(imageId: string): boolean {
    return this.where.has(imageId);
  }

  /** the hex SHA-256 the image had when it was labelled */
  sha256Of(imageId: string): string | undefined {
    const w = this.where.get(imageId);
    return w && hex(w.part.sha256.subarray(w.row * 32, w.row * 32 + 32));
  }

  /** the teacher's class features [C,D] */
  async classFeatures(): Promise<HostTensor> {
    const t = this.parts[0]!.tensors.get('class_features')!;
    const data = await bytesOf(this.parts[0]!.blob, t.at, t.entry.end - t.entry.begin);
    return hostTensor('float32', [...t.entry.shape], new Float32Array(data.slice().buffer));
  }

  /** teacher logits [M,C] of these views, read from the files */
  async logits(views: readonly LabelView[]): Promise<HostTensor> {
    const C = this.classes.length,
      V = this.recipe.views,
      wide = this.header.logits === 'F32' ? 4 : 2;
    const out = new Float32Array(views.length * C);
    await Promise.all(
      views.map(async (v, i) => {
        const w = this.where.get(v.imageId);
        if (!w) throw new TeacherLabelError(`image ${v.imageId} is not labelled`);
        if (!(v.view >= 0 && v.view < V))
          throw new TeacherLabelError(`view ${v.view} of ${v.imageId} is not labelled (the labels hold ${V} per image)`);
        const t = w.part.tensors.get('logits')!;
        const row = await bytesOf(w.part.blob, t.at + (w.row * V + v.view) * C * wide, C * wide);
        out.set(wide === 4 ? new Float32Array(row.slice().buffer) : halfToFloat32(new Uint16Array(row.slice().buffer)), i * C);
      }),
    );
    return hostTensor('float32', [views.length, C], out);
  }

  /**
   * The teacher's logits [n,C] of a test set's images, when the labels hold all of them as they are
   * now (ids and content hashes); null otherwise.
   */
  async testLogits(ids: readonly string[], sha256: readonly (string | undefined)[]): Promise<HostTensor | null> {
    const part = this.testPart;
    if (!part) return null;
    const row = new Map(part.test!.ids.map((id, i) => [id, i]));
    const rows = ids.map((id) => row.get(id));
    if (rows.some((r) => r === undefined)) return null;
    if (sha256.some((h, i) => h !== undefined && h !== hex(part.test!.sha256.subarray(rows[i]! * 32, rows[i]! * 32 + 32)))) return null;
    const C = this.classes.length,
      t = part.tensors.get('test_logits')!;
    const all = new Float32Array((await bytesOf(part.blob, t.at, t.entry.end - t.entry.begin)).slice().buffer);
    const out = new Float32Array(ids.length * C);
    rows.forEach((r, i) => {
      out.set(all.subarray(r! * C, (r! + 1) * C), i * C);
    });
    return hostTensor('float32', [ids.length, C], out);
  }
}

/** why the labels lack some of a run's images, or hold other versions of them; null when they hold them all */
export function imagesMismatch(
  labels: TeacherLabels,
  imageIds: readonly string[],
  sha256Of?: (imageId: string) => string | undefined,
): string | null {
  const missing = imageIds.filter((id) => !labels.has(id));
  if (missing.length) {
    return `image ${missing[0]} is not labelled${missing.length > 1 ? ` (nor ${missing.length - 1} other${missing.length > 2 ? 's' : ''} of the run's ${imageIds.length})` : ''}; label this folder`;
  }
  if (!sha256Of) return null;
  const changed = imageIds.filter((id) => {
    const now = sha256Of(id);
    return now !== undefined && now !== labels.sha256Of(id);
  });
  return changed.length
    ? `image ${changed[0]} has changed since it was labelled (its content hash differs${changed.length > 1 ? `, and ${changed.length - 1} more` : ''}); label the folder again`
    : null;
}

/** what a run asks of the labels */
export interface LabelDemand extends ViewDemand {
  classes: readonly string[];
  /** the run's unlabeled images */
  imageIds: readonly string[];
  /** the hex SHA-256 of an image now, where known */
  sha256Of?(imageId: string): string | undefined;
  /** the teacher the run names, where it names one */
  teacher?: Pick<LabelTeacher, 'id' | 'promptState'>;
}

/** One line naming why these labels cannot serve this run; null when they can. */
export function labelsMismatch(labels: TeacherLabels, run: LabelDemand): string | null {
  const teacher =
    run.teacher && (run.teacher.id !== labels.teacher.id || run.teacher.promptState !== labels.teacher.promptState)
      ? `the labels are from another teacher (${labels.teacher.id}, prompts ${labels.teacher.promptState}), this run's is ${run.teacher.id} (prompts ${run.teacher.promptState})`
      : null;
  return (
    classesMismatch(labels.classes, run.classes) ??
    teacher ??
    recipeMismatch(labels.recipe, run) ??
    imagesMismatch(labels, run.imageIds, run.sha256Of)
  );
}
