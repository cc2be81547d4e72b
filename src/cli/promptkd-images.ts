// Image files → pixel batches for the student and the teacher. Each view is decoded from disk when
// a batch needs it (a folder of photos does not fit in memory as float tensors), at the size of
// the model that will see it, so teacher and student can differ in input size yet see the same view.
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../engine/clip/decode-node.ts';
import { clipPreprocess, stackImages } from '../engine/clip/preprocess.ts';
import type { HostTensor } from '../engine/runtime/tensor.ts';

export interface ViewFile {
  /** relative to the folder */
  file: string;
  /** null: resize + centre crop (CLIP's test transform); a number seeds a random crop and flip */
  augmentSeed: number | null;
}

/** views → float32 [n,3,size,size] */
export async function loadPixels(dir: string, views: readonly ViewFile[], size: number): Promise<HostTensor> {
  return stackImages(views.map((v) => {
    const img = decodeImage(fs.readFileSync(path.join(dir, v.file)), v.file);
    if (v.augmentSeed !== null) throw new Error('augmented views are not available yet');
    return clipPreprocess(img, { size });
  }));
}
