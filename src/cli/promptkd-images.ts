// Image files → pixel batches for the student and the teacher. Each view is decoded from disk when
// a batch needs it (a folder of photos does not fit in memory as float tensors), at the size of
// the model that will see it, so teacher and student can differ in input size yet see the same view.
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../engine/clip/decode-node.ts';
import { augmentView } from '../engine/clip/augment.ts';
import type { RgbImage } from '../engine/clip/image.ts';
import { clipPreprocess, normalizeToChw, stackImages } from '../engine/clip/preprocess.ts';
import { rng } from '../engine/random.ts';
import type { HostTensor } from '../engine/graph/tensor.ts';
import type { JobTestSet } from '../engine/promptkd/job.ts';
import type { LabeledFolder } from './promptkd-folders.ts';

export interface ViewFile {
  /** relative to the folder */
  file: string;
  /** null: resize + centre crop (CLIP's test transform); a number seeds a random crop and flip */
  augmentSeed: number | null;
}

/**
 * One view of a decoded image at `size`, CHW float32. The crop box depends on the seed and the source
 * image only, so every model sees the same view.
 */
export const renderView = (img: RgbImage, augmentSeed: number | null, size: number) =>
  augmentSeed === null ? clipPreprocess(img, { size }) : normalizeToChw(augmentView(img, rng(augmentSeed), { size }).image);

/** views → float32 [n,3,size,size] */
export async function loadPixels(dir: string, views: readonly ViewFile[], size: number): Promise<HostTensor> {
  return stackImages(views.map((v) => renderView(decodeImage(fs.readFileSync(path.join(dir, v.file)), v.file), v.augmentSeed, size)));
}

/** a labelled folder as the engine's evaluations read it: centre views decoded from disk when asked for */
export function folderTestImages(folder: LabeledFolder): JobTestSet {
  return {
    id: path.resolve(folder.dir),
    labels: folder.images.map((i) => i.label),
    ids: folder.images.map((i) => i.file),
    sha256: folder.images.map((i) => i.sha256),
    pixels: (indices, size) =>
      loadPixels(
        folder.dir,
        indices.map((i) => ({ file: folder.images[i]!.file, augmentSeed: null })),
        size,
      ),
  };
}
