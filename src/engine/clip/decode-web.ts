// Image files → RgbImage in the browser or a worker: the browser's own decoders through
// createImageBitmap, pixels read back from an OffscreenCanvas. Reads every format the browser
// does (PNG, JPEG, WebP, GIF's first frame, BMP). Differences from PIL, which CLIP's reference
// pipeline uses: EXIF orientation is applied (the image is seen as the user sees it; PIL ignores
// it), and a canvas stores premultiplied alpha, so colours under partial transparency lose
// precision and fully transparent pixels read back black. Embedded colour profiles are ignored,
// as in PIL.
import { ImageDecodeError, sniffImageType } from './image-errors.ts';
import { toRgb, type RgbImage } from './image.ts';

export { ImageDecodeError };

export async function decodeImageBlob(blob: Blob, name: string): Promise<RgbImage> {
  sniffImageType(new Uint8Array(await blob.slice(0, 32).arrayBuffer()), name); // 32: the format, and a PNG's size
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none', imageOrientation: 'from-image' });
  } catch (e) {
    throw new ImageDecodeError(name, `the browser could not decode it; the file may be damaged (${(e as Error).message})`);
  }
  try {
    const { width, height } = bitmap;
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError(name, 'this browser has no 2D canvas to read pixels with');
    ctx.drawImage(bitmap, 0, 0);
    return toRgb(width, height, ctx.getImageData(0, 0, width, height).data, 4);
  } finally {
    bitmap.close();
  }
}
