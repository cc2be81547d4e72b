// The engine's decoded image: 8-bit RGB, interleaved, rows top to bottom. Decoders (decode-node.ts,
// decode-web.ts) produce it; resize, crop, flip and preprocessing consume it.

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** length width·height·3, R G B per pixel */
  readonly data: Uint8Array;
}

export function rgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`an image needs a positive integer size, got ${width}×${height}`);
  }
  const d = data ?? new Uint8Array(width * height * 3);
  if (d.length !== width * height * 3) {
    throw new RangeError(`an RGB ${width}×${height} image needs ${width * height * 3} bytes, got ${d.length}`);
  }
  return { width, height, data: d };
}

/** The pixels [left, left+width) × [top, top+height), which must lie inside the image. */
export function cropImage(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height || width <= 0 || height <= 0) {
    throw new RangeError(`crop ${width}×${height} at (${left}, ${top}) does not fit in a ${img.width}×${img.height} image`);
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return rgbImage(width, height, out);
}

export function flipHorizontal(img: RgbImage): RgbImage {
  const { width, height, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3,
        d = (y * width + width - 1 - x) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return rgbImage(width, height, out);
}

/** Drops the alpha channel of RGBA pixels (as PIL's convert('RGB') does; no compositing). */
export function rgbaToRgb(width: number, height: number, rgba: ArrayLike<number>): RgbImage {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`an RGBA ${width}×${height} image needs ${width * height * 4} bytes, got ${rgba.length}`);
  }
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 3) {
    out[j] = rgba[i]!;
    out[j + 1] = rgba[i + 1]!;
    out[j + 2] = rgba[i + 2]!;
  }
  return rgbImage(width, height, out);
}
