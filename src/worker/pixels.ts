// Stored images → pixel batches. The dataset holds RGB copies (storage.ts), resized by the import setting; a view is
// rendered from that copy at the size of the model that sees it, so teacher and student can differ
// in input size yet see the same crop.
import { augmentView } from '../engine/clip/augment.ts';
import { rgbImage, type RgbImage } from '../engine/clip/image.ts';
import { clipPreprocess, normalizeToChw, resizeShortestEdge, stackImages } from '../engine/clip/preprocess.ts';
import { MAX_STORED_PIXELS, REDUCED_EDGE } from '../engine/data/import-settings.ts';
import { rng } from '../engine/random.ts';
import type { HostTensor } from '../engine/graph/tensor.ts';
import type { StoredImage, StudioStorage } from '../storage/storage.ts';

export const toRgb = (s: StoredImage): RgbImage => rgbImage(s.width, s.height, s.rgb);

/**
 * The shorter side of the copy kept of a `width`×`height` image: at most `maxEdge` (the import
 * setting, engine/data/import-settings.ts), or with `maxEdge` null the image's own, and in either
 * case no more than `maxPixels` in all (IndexedDB's limit on one value).
 */
export function storedEdge(width: number, height: number, maxEdge: number | null, maxPixels = MAX_STORED_PIXELS): number {
  const short = Math.min(width, height);
  const fits = width * height > maxPixels ? Math.floor(short * Math.sqrt(maxPixels / (width * height))) : short;
  return Math.min(short, maxEdge ?? short, fits);
}

/** the copy the studio keeps of a decoded image (default: shorter side at most 256 px) */
export function storedCopy(img: RgbImage, maxEdge: number | null = REDUCED_EDGE): StoredImage {
  const edge = storedEdge(img.width, img.height, maxEdge);
  const kept = edge < Math.min(img.width, img.height) ? resizeShortestEdge(img, edge) : img;
  return { width: kept.width, height: kept.height, rgb: kept.data };
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
  views.forEach((v, i) => {
    byDataset.set(v.datasetId, [...(byDataset.get(v.datasetId) ?? []), i]);
  });
  const images = new Array<StoredImage>(views.length);
  for (const [datasetId, at] of byDataset) {
    const got = await storage.loadImages(
      datasetId,
      at.map((i) => views[i]!.itemId),
    );
    at.forEach((i, k) => {
      images[i] = got[k]!;
    });
  }
  return stackImages(
    views.map((v, i) => {
      const img = toRgb(images[i]!);
      return v.augmentSeed === null ? clipPreprocess(img, { size }) : normalizeToChw(augmentView(img, rng(v.augmentSeed), { size }).image);
    }),
  );
}
