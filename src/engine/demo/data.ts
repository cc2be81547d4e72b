// The embedded demo's dataset: a Fashion-MNIST subset shipped in public/demo/ as raw bytes.
//
// Each split is one file of n·28·28 uint8 pixels (row-major, 0 = background) and, where labels
// may be known, one file of n uint8 labels; index.json names the files and the classes. The
// unlabeled train split has a labels file too, but only analysis reads it: distillation never
// sees it. Reading goes through a `DemoReader`, so the same code runs with fetch in the browser
// and with fs in Node.
import { rgbImage, type RgbImage } from '../clip/image.ts';
import { augmentView } from '../clip/augment.ts';
import { clipPreprocess, normalizeToChw, stackImages } from '../clip/preprocess.ts';
import { rng, type Rng } from '../random.ts';
import type { HostTensor } from '../graph/tensor.ts';

export const DEMO_IMAGE_SIZE = 28;
const PIXELS = DEMO_IMAGE_SIZE * DEMO_IMAGE_SIZE;

export type DemoSplitName = 'train' | 'test' | 'shots';

export interface DemoSplitEntry {
  readonly count: number;
  /** file name of count·28·28 uint8 pixels */
  readonly images: string;
  /** file name of count uint8 labels */
  readonly labels: string;
  /** whether these labels may be used for training (false: analysis only) */
  readonly labelsForTraining: boolean;
}

export interface DemoIndex {
  readonly format: 'promptkd-demo/1';
  readonly source: string;
  readonly license: string;
  readonly imageSize: number;
  /** by label */
  readonly classNames: readonly string[];
  /** labels of the base classes (the first half by label) and of the new ones */
  readonly baseClasses: readonly number[];
  readonly newClasses: readonly number[];
  readonly seed: number;
  readonly splits: Readonly<Record<DemoSplitName, DemoSplitEntry>>;
}

export interface DemoSplit {
  readonly count: number;
  /** [count, 28, 28] uint8 */
  readonly images: Uint8Array;
  /** [count] uint8 class labels */
  readonly labels: Uint8Array;
}

export interface DemoData {
  readonly index: DemoIndex;
  readonly splits: Readonly<Record<DemoSplitName, DemoSplit>>;
}

/** Reads one file of the demo folder by name. */
export type DemoReader = (file: string) => Promise<Uint8Array>;

export class DemoDataError extends Error {
  override name = 'DemoDataError';
}

/** A reader over `base` (e.g. '/demo/') with fetch: the studio's path. */
export function fetchDemoReader(base: string, fetchFn: typeof fetch = fetch): DemoReader {
  const root = base.endsWith('/') ? base : `${base}/`;
  return async (file) => {
    const res = await fetchFn(`${root}${file}`);
    if (!res.ok) throw new DemoDataError(`demo file ${root}${file}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

const SPLITS: readonly DemoSplitName[] = ['train', 'test', 'shots'];

function checkIndex(json: unknown): DemoIndex {
  const i = json as DemoIndex;
  if (typeof json !== 'object' || json === null || i.format !== 'promptkd-demo/1') {
    throw new DemoDataError(`demo index.json: format is ${JSON.stringify(i?.format)}, expected "promptkd-demo/1"`);
  }
  if (i.imageSize !== DEMO_IMAGE_SIZE) throw new DemoDataError(`demo index.json: imageSize ${i.imageSize}, expected ${DEMO_IMAGE_SIZE}`);
  if (!Array.isArray(i.classNames) || i.classNames.length === 0) throw new DemoDataError('demo index.json: classNames is missing');
  for (const s of SPLITS) {
    const e = i.splits?.[s];
    if (!e || !Number.isSafeInteger(e.count) || e.count <= 0 || typeof e.images !== 'string' || typeof e.labels !== 'string') {
      throw new DemoDataError(`demo index.json: split '${s}' is missing or malformed`);
    }
  }
  return i;
}

export async function loadDemoData(read: DemoReader): Promise<DemoData> {
  const index = checkIndex(JSON.parse(new TextDecoder().decode(await read('index.json'))));
  const load = async (name: DemoSplitName): Promise<DemoSplit> => {
    const e = index.splits[name];
    const [images, labels] = await Promise.all([read(e.images), read(e.labels)]);
    if (images.length !== e.count * PIXELS) {
      throw new DemoDataError(`demo ${e.images}: ${images.length} bytes, ${e.count} images of 28×28 need ${e.count * PIXELS}`);
    }
    if (labels.length !== e.count) throw new DemoDataError(`demo ${e.labels}: ${labels.length} labels, expected ${e.count}`);
    const bad = labels.findIndex((l) => l >= index.classNames.length);
    if (bad >= 0) throw new DemoDataError(`demo ${e.labels}: label ${labels[bad]} at ${bad} is not a class index`);
    return { count: e.count, images, labels };
  };
  const [train, test, shots] = await Promise.all(SPLITS.map(load));
  return { index, splits: { train: train!, test: test!, shots: shots! } };
}

/**
 * The name of image `i` of a split, as a file of the demo's folders would be called
 * (`promptkd demo-folders` writes it there): the crops are keyed on it, so the studio's demo, the
 * CLI's demo and labels made from those folders all draw the same views.
 */
export const demoImageName = (split: DemoSplitName, i: number): string =>
  `${split}/${String(i).padStart(split === 'train' ? 5 : 4, '0')}.png`;

/** Image `i` of a split as an RGB image, grey replicated into the three channels (as PIL's convert('RGB')). */
export function demoImage(split: DemoSplit, i: number): RgbImage {
  if (!Number.isInteger(i) || i < 0 || i >= split.count) throw new RangeError(`demo image ${i} is out of range 0..${split.count - 1}`);
  const grey = split.images.subarray(i * PIXELS, (i + 1) * PIXELS);
  const rgb = new Uint8Array(PIXELS * 3);
  for (let p = 0; p < PIXELS; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = grey[p]!;
  return rgbImage(DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE, rgb);
}

/**
 * Images `indices` of a split through CLIP's preprocessing (Pillow-exact bicubic resize of the
 * shortest edge to `size`, center crop, CLIP normalisation), as a real photo would go:
 * float32 [n, 3, size, size].
 */
export function demoPixels(split: DemoSplit, indices: readonly number[], size: number): HostTensor {
  return stackImages(indices.map((i) => clipPreprocess(demoImage(split, i), { size })));
}

/**
 * Pixels of images `indices`: the test view (as demoPixels) or, with `random`, PromptKD's random
 * training view (RandomResizedCrop + flip, augment.ts) of each: float32 [n, 3, size, size].
 */
export function demoViews(split: DemoSplit, indices: readonly number[], size: number, random: Rng | null): HostTensor {
  if (!random) return demoPixels(split, indices, size);
  return stackImages(indices.map((i) => normalizeToChw(augmentView(demoImage(split, i), random, { size }).image)));
}

/**
 * Pixels of one view per entry: with a seed, the random training view drawn from rng(seed) (so the
 * teacher and the student, rendering the same seed, see the same crop and flip); with null, the test
 * view: float32 [n, 3, size, size].
 */
export function demoSeededViews(split: DemoSplit, views: readonly { index: number; seed: number | null }[], size: number): HostTensor {
  return stackImages(
    views.map(({ index, seed }) =>
      seed === null
        ? clipPreprocess(demoImage(split, index), { size })
        : normalizeToChw(augmentView(demoImage(split, index), rng(seed), { size }).image),
    ),
  );
}
