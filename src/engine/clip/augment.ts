// PromptKD's training augmentation (Dassl transforms "random_resized_crop", "random_flip"):
// torchvision RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3), bicubic) then
// RandomHorizontalFlip(0.5), driven by a seeded PRNG so that a view can be replayed exactly.
import type { Rng } from '../random.ts';
import { cropImage, flipHorizontal, type RgbImage } from './image.ts';
import { resizeBicubic } from './resize.ts';

/** Which part of the source a view shows, and whether it is mirrored. */
export interface View {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
  readonly flipped: boolean;
}

export interface AugmentOptions {
  /** output side in pixels */
  readonly size: number;
  /** range of the crop's area as a fraction of the image */
  readonly scale?: readonly [number, number];
  /** range of the crop's width / height */
  readonly ratio?: readonly [number, number];
  readonly flipProbability?: number;
}

/** Python's round(): halves go to the even neighbour. */
const roundHalfEven = (x: number): number => {
  const f = Math.floor(x),
    d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

/** torchvision RandomResizedCrop.get_params: 10 tries of area and log-ratio sampling, then a central crop. */
export function randomResizedCropBox(
  width: number,
  height: number,
  r: Rng,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): Omit<View, 'flipped'> {
  const area = width * height;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * r.uniform(scale[0], scale[1]);
    const aspect = Math.exp(r.uniform(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = r.int(height - h + 1);
      const left = r.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width,
    h = height;
  if (inRatio < Math.min(...ratio)) h = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = roundHalfEven(h * Math.max(...ratio));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** One random training view of `img`, size×size, and where it came from. */
export function augmentView(img: RgbImage, r: Rng, opts: AugmentOptions): { image: RgbImage; view: View } {
  const box = randomResizedCropBox(img.width, img.height, r, opts.scale, opts.ratio);
  const flipped = r.next() < (opts.flipProbability ?? 0.5);
  return { image: renderView(img, { ...box, flipped }, opts.size), view: { ...box, flipped } };
}

/** Re-creates a view from its description (crop, bicubic resize to size×size, optional mirror). */
export function renderView(img: RgbImage, view: View, size: number): RgbImage {
  const resized = resizeBicubic(cropImage(img, view.left, view.top, view.width, view.height), size, size);
  return view.flipped ? flipHorizontal(resized) : resized;
}
