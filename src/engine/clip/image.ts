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

/**
 * 8-bit pixels of 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA) interleaved channels → RGB, as PIL's
 * convert('RGB') makes it: grey goes to all three, alpha is dropped (no compositing).
 */
export function toRgb(width: number, height: number, pixels: ArrayLike<number>, channels: number): RgbImage {
  if (![1, 2, 3, 4].includes(channels)) {
    throw new RangeError(`an image with ${channels} channels is not grey, RGB or RGBA; convert it to RGB first`);
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `a ${width}×${height} image of ${channels} channels needs ${width * height * channels} bytes, got ${pixels.length}`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  const colour = channels >= 3 ? 1 : 0; // the step from R to G to B in the source: 0 where grey serves all three
  for (let i = 0, j = 0; j < out.length; i += channels, j += 3) {
    out[j] = pixels[i]!;
    out[j + 1] = pixels[i + colour]!;
    out[j + 2] = pixels[i + 2 * colour]!;
  }
  return rgbImage(width, height, out);
}
