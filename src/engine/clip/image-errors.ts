// What the Node and browser decoders share: the error type and recognising the format by its
// first bytes, so that a non-image file is reported as such rather than as a decoder failure.

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(
    readonly fileName: string,
    readonly reason: string,
  ) {
    super(`cannot read image '${fileName}': ${reason}`);
  }
}

export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

/** the largest picture decoded: a 100-megapixel camera's, 400 MB of RGBA in a browser */
export const MAX_PIXELS = 100e6;

/** The format from the magic bytes; throws ImageDecodeError for anything else, or for a PNG or GIF whose header claims more than MAX_PIXELS. */
export function sniffImageType(bytes: Uint8Array, name: string): ImageType {
  const b = (i: number) => bytes[i] ?? -1;
  const ascii = (from: number, s: string) => [...s].every((ch, i) => b(from + i) === ch.charCodeAt(0));
  // the size in the header, where it sits at a fixed place: a picture too large to decode is refused
  // before a decoder allocates it (4 bytes per pixel in the browser)
  const u32be = (i: number) => ((b(i) << 24) | (b(i + 1) << 16) | (b(i + 2) << 8) | b(i + 3)) >>> 0;
  const u16le = (i: number) => b(i) | (b(i + 1) << 8);
  const fits = (type: ImageType, width: number, height: number): ImageType => {
    if (width * height <= MAX_PIXELS) return type;
    throw new ImageDecodeError(
      name,
      `its header says ${width}×${height} pixels (${Math.round((width * height) / 1e6)} megapixels), more than the ${MAX_PIXELS / 1e6} megapixels the studio decodes; scale it down`,
    );
  };
  if (b(0) === 0x89 && ascii(1, 'PNG')) return bytes.length >= 24 && ascii(12, 'IHDR') ? fits('png', u32be(16), u32be(20)) : 'png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (ascii(0, 'GIF8')) return bytes.length >= 10 ? fits('gif', u16le(6), u16le(8)) : 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'BM')) return 'bmp';
  if (bytes.length === 0) throw new ImageDecodeError(name, 'the file is empty');
  const known = knownOtherFormat(bytes);
  if (known) throw new ImageDecodeError(name, `it is ${known}, not a PNG, JPEG, WebP, GIF or BMP image; save it as PNG or JPEG`);
  throw new ImageDecodeError(name, 'it is not a PNG, JPEG, WebP, GIF or BMP image (unrecognised file header)');
}

/** formats people often have beside their photos, named so that the fix is clear */
function knownOtherFormat(bytes: Uint8Array): string | null {
  const text = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  // ISO media files ('....ftyp' + brand): iPhone photos (HEIC/HEIF) and AVIF
  if (text(4, 8) === 'ftyp') {
    const brand = text(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'an AVIF image';
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand))
      return 'a HEIC/HEIF photo (the iPhone camera format)';
  }
  if (text(0, 4) === 'II*\0' || text(0, 4) === 'MM\0*') return 'a TIFF image';
  // SVG: XML or <svg at the start, after a byte-order mark or white space
  const head = new TextDecoder()
    .decode(bytes.subarray(0, 16))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<svg') || head.startsWith('<?xml')) return 'an SVG drawing or another XML file';
  return null;
}
