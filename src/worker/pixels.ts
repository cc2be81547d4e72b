// Stored images → pixel batches. The dataset holds resized RGB copies (storage.ts); a view is
// rendered from that copy at the size of the model that sees it, so teacher and student can differ
// in input size yet see the same crop.
import { augmentView } from '../engine/clip/augment.ts';
import { rgbImage, type RgbImage } from '../engine/clip/image.ts';
import { clipPreprocess, normalizeToChw, resizeShortestEdge, stackImages } from '../engine/clip/preprocess.ts';
import { rng } from '../engine/random.ts';
import type { HostTensor } from '../engine/runtime/tensor.ts';
import type { StoredImage, StudioStorage } from '../storage/storage.ts';

/**
 * Images are stored with their shorter side at most this many pixels: enough for 224-px CLIPs
 * (and the random crops of their training views) at a fraction of a photo's size.
 */
export const STORED_EDGE = 256;

export const toRgb = (s: StoredImage): RgbImage => rgbImage(s.width, s.height, s.rgb);

/** the copy the studio keeps of a decoded image */
export function storedCopy(img: RgbImage): StoredImage {
  const small = Math.min(img.width, img.height) > STORED_EDGE ? resizeShortestEdge(img, STORED_EDGE) : img;
  return { width: small.width, height: small.height, rgb: small.data };
}

export interface ViewRequest {
  datasetId: string;
  itemId: string;
  /** null: resize + centre crop (CLIP's test transform); a number seeds a random crop and flip */
  augmentSeed: number | null;
}

/** views → float32 [n,3,size,size] */
export async function viewPixels(storage: StudioStorage, views: readonly ViewRequest[], size: number): Promise<HostTensor> {
  const byDataset = new Map<string, number[]>();
  views.forEach((v, i) => byDataset.set(v.datasetId, [...(byDataset.get(v.datasetId) ?? []), i]));
  const images = new Array<StoredImage>(views.length);
  for (const [datasetId, at] of byDataset) {
    const got = await storage.loadImages(datasetId, at.map((i) => views[i]!.itemId));
    at.forEach((i, k) => { images[i] = got[k]!; });
  }
  return stackImages(views.map((v, i) => {
    const img = toRgb(images[i]!);
    return v.augmentSeed === null ? clipPreprocess(img, { size }) : normalizeToChw(augmentView(img, rng(v.augmentSeed), { size }).image);
  }));
}
