// What the Node and browser decoders share: the error type and recognising the format by its
// first bytes, so that a non-image file is reported as such rather than as a decoder failure.

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(readonly fileName: string, readonly reason: string) {
    super(`cannot read image '${fileName}': ${reason}`);
  }
}

export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

/** The format from the magic bytes; throws ImageDecodeError for anything else. */
export function sniffImageType(bytes: Uint8Array, name: string): ImageType {
  const b = (i: number) => bytes[i] ?? -1;
  const ascii = (from: number, s: string) => [...s].every((ch, i) => b(from + i) === ch.charCodeAt(0));
  if (b(0) === 0x89 && ascii(1, 'PNG')) return 'png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (ascii(0, 'GIF8')) return 'gif';
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
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'a HEIC/HEIF photo (the iPhone camera format)';
  }
  if (text(0, 4) === 'II*\0' || text(0, 4) === 'MM\0*') return 'a TIFF image';
  // SVG: XML or <svg at the start, after a byte-order mark or white space
  const head = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (head.startsWith('<svg') || head.startsWith('<?xml')) return 'an SVG drawing or another XML file';
  return null;
}
