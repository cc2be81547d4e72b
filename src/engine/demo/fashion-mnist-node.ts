// Node only: Fashion-MNIST as Debian's dataset-fashion-mnist installs it (gzipped IDX files).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export interface IdxArray {
  readonly dims: number[];
  readonly data: Uint8Array;
}

/** An IDX file: big-endian magic 0x0000_08_DD (uint8 data, DD dimensions), the sizes, the data. */
export function readIdx(file: string, dir = FASHION_MNIST_DIR): IdxArray {
  const path = join(dir, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: apt-get install dataset-fashion-mnist`);
  const buf = gunzipSync(readFileSync(path));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (magic >>> 8 !== 0x08) throw new Error(`${file}: not a uint8 IDX file (magic ${magic.toString(16)})`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length < 4 + 4 * rank + n) throw new Error(`${file}: truncated (${buf.length} bytes for ${dims.join('×')})`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * rank, n) };
}

/** images [n, 28, 28] and labels [n] of the 'train' (60 000) or 't10k' (10 000) split */
export function readFashionMnist(split: 'train' | 't10k'): { images: IdxArray; labels: IdxArray } {
  const images = readIdx(`${split}-images-idx3-ubyte.gz`),
    labels = readIdx(`${split}-labels-idx1-ubyte.gz`);
  if (images.dims[1] !== 28 || images.dims[2] !== 28 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`Fashion-MNIST ${split}: unexpected shapes ${images.dims.join('×')} / ${labels.dims.join('×')}`);
  }
  return { images, labels };
}
