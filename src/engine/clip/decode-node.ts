// PNG and JPEG bytes → RgbImage in Node (CLIs, tests). Alpha is dropped, as PIL's convert('RGB')
// does in CLIP's and PromptKD's loaders; grayscale and palette images are expanded to RGB.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageDecodeError, sniffImageType } from './image-errors.ts';
import { toRgb, rgbImage, type RgbImage } from './image.ts';

export { ImageDecodeError };

/** Decodes PNG or JPEG bytes; `name` (a file name) is only used in error messages. */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbImage {
  const type = sniffImageType(bytes, name);
  if (type !== 'png' && type !== 'jpeg') {
    throw new ImageDecodeError(name, `${type.toUpperCase()} images can only be read in the browser here; convert it to PNG or JPEG`);
  }
  try {
    if (type === 'png') {
      // pngjs expands grey, palette and 16-bit images to 8-bit RGBA
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return toRgb(png.width, png.height, png.data, 4);
    }
    const jpg = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
    return rgbImage(jpg.width, jpg.height, jpg.data);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, `the ${type.toUpperCase()} data is broken (${(e as Error).message})`);
  }
}
