// CLIP's evaluation preprocessing with Hugging Face CLIPImageProcessor's semantics:
// resize the shortest edge to `size` (bicubic, Pillow-exact), center-crop `crop`×`crop`, scale to
// [0, 1], normalize with CLIP's mean and std. In transformers 5 CLIPImageProcessor is the
// torchvision backend: torch's antialiased uint8 bicubic resize is Pillow's fixed-point algorithm
// (so resize.ts reproduces both), and rescaling is fused into normalization as
// (x − f32(mean)·255) / (f32(std)·255) in float32, which normalizeToChw reproduces bit for bit.
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { cropImage, type RgbImage } from './image.ts';
import { resizeBicubic } from './resize.ts';

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export interface PreprocessOptions {
  /** shortest edge after resizing (224 for ViT-B/16 and ViT-L/14) */
  readonly size: number;
  /** side of the square center crop; defaults to `size` */
  readonly crop?: number;
}

/** The shorter side becomes `size`; the longer one int(size·long/short), as HF computes it. */
export function resizeShortestEdge(img: RgbImage, size: number): RgbImage {
  const short = Math.min(img.width, img.height),
    long = Math.max(img.width, img.height);
  const newLong = Math.trunc((size * long) / short);
  return img.width <= img.height ? resizeBicubic(img, size, newLong) : resizeBicubic(img, newLong, size);
}

/** HF's center crop: the offsets are floor((in − out) / 2). */
export function centerCrop(img: RgbImage, width: number, height: number): RgbImage {
  if (width > img.width || height > img.height) {
    throw new RangeError(
      `center crop ${width}×${height} is larger than the ${img.width}×${img.height} image; the crop must not exceed the resize size`,
    );
  }
  return cropImage(img, Math.floor((img.width - width) / 2), Math.floor((img.height - height) / 2), width, height);
}

/** uint8 RGB [h, w, 3] → normalized float32 [3, h, w] (CHW): (x/255 − mean) / std. */
export function normalizeToChw(img: RgbImage): HostTensor {
  const { width, height, data } = img;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // float32 mean and std scaled by 255 in float32, as the fused torch code computes them
    const mean255 = Math.fround(Math.fround(CLIP_MEAN[c]!) * 255);
    const std255 = Math.fround(Math.fround(CLIP_STD[c]!) * 255);
    for (let i = 0; i < plane; i++) {
      out[c * plane + i] = Math.fround(data[i * 3 + c]! - mean255) / std255;
    }
  }
  return hostTensor('float32', [3, height, width], out);
}

/** CLIPImageProcessor(shortest_edge=size, crop_size=crop, bicubic) for one image → float32 [3, crop, crop]. */
export function clipPreprocess(img: RgbImage, opts: PreprocessOptions): HostTensor {
  const crop = opts.crop ?? opts.size;
  return normalizeToChw(centerCrop(resizeShortestEdge(img, opts.size), crop, crop));
}

/** Stacks [3, h, w] tensors into a batch [n, 3, h, w]. */
export function stackImages(images: readonly HostTensor[]): HostTensor {
  if (images.length === 0) throw new RangeError('stackImages needs at least one image');
  const shape = images[0]!.shape;
  const size = images[0]!.data.length;
  const out = new Float32Array(images.length * size);
  images.forEach((t, i) => {
    if (t.dtype !== 'float32' || t.shape.join() !== shape.join()) {
      throw new RangeError(`image ${i} is ${t.dtype} [${t.shape.join(',')}], expected float32 [${shape.join(',')}]`);
    }
    out.set(t.data as Float32Array, i * size);
  });
  return hostTensor('float32', [images.length, ...shape], out);
}
