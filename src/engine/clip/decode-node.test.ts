import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeImage, ImageDecodeError } from './decode-node.ts';

const DIR = 'test-data/images';
const W = 32,
  H = 24;
const read = (name: string) => new Uint8Array(readFileSync(`${DIR}/${name}`));
/** the source pattern of make_images.py */
const source = Uint8Array.from({ length: W * H * 3 }, (_, i) => {
  const p = Math.floor(i / 3),
    x = p % W,
    y = Math.floor(p / W);
  return [(x * 8) % 256, (y * 10) % 256, ((x + y) * 5) % 256][i % 3]!;
});

const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

function decodeError(bytes: Uint8Array, name: string): ImageDecodeError {
  try {
    decodeImage(bytes, name);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageDecodeError);
    return e as ImageDecodeError;
  }
  throw new Error('expected an ImageDecodeError');
}

describe('decodeImage (Node)', () => {
  it('reads an RGB PNG exactly', () => {
    const img = decodeImage(read('rgb.png'), 'rgb.png');
    expect([img.width, img.height]).toEqual([W, H]);
    expect(img.data).toEqual(source);
  });

  it.each(['gray.png', 'gray-alpha.png', 'rgba.png', 'palette.png'])(
    '%s gives the same RGB as PIL convert("RGB") (alpha dropped)',
    (name) => {
      const img = decodeImage(read(name), name);
      expect([img.width, img.height]).toEqual([W, H]);
      expect(img.data).toEqual(read(`${name}.pil.rgb`));
    },
  );

  it('scales 16-bit grey to 8 bits', () => {
    expect(decodeImage(read('gray16.png')).data).toEqual(decodeImage(read('gray.png')).data);
  });

  it.each(['rgb444.jpg', 'gray.jpg', 'cmyk.jpg'])('%s (no chroma subsampling) is within a few levels of libjpeg (PIL)', (name) => {
    const img = decodeImage(read(name), name);
    expect([img.width, img.height]).toEqual([W, H]);
    const d = maxDiff(img.data, read(`${name}.pil.rgb`));
    console.info(`${name}: max |jpeg-js − libjpeg| = ${d}/255`);
    expect(d).toBeLessThanOrEqual(4);
  });

  // jpeg-js upsamples subsampled chroma by repetition, libjpeg by interpolation ("fancy
  // upsampling"), so colour edges differ; on average the images still agree closely.
  it('a 4:2:0 JPEG agrees with libjpeg on average', () => {
    const img = decodeImage(read('rgb.jpg'), 'rgb.jpg');
    const ref = read('rgb.jpg.pil.rgb');
    const mean = img.data.reduce((s, v, i) => s + Math.abs(v - ref[i]!), 0) / ref.length;
    console.info(`rgb.jpg (4:2:0): mean |jpeg-js − libjpeg| = ${mean.toFixed(2)}/255, max ${maxDiff(img.data, ref)}/255`);
    expect(mean).toBeLessThan(3);
  });

  it('names the file and the reason for non-images and broken images', () => {
    expect(decodeError(new TextEncoder().encode('<html>not found</html>'), 'cat.png').message).toBe(
      "cannot read image 'cat.png': it is not a PNG, JPEG, WebP, GIF or BMP image (unrecognised file header)",
    );
    expect(decodeError(new Uint8Array(0), 'empty.jpg').message).toMatch(/'empty.jpg': the file is empty/);
    const png = read('rgb.png');
    const e = decodeError(png.subarray(0, 40), 'cut.png');
    expect(e.fileName).toBe('cut.png');
    expect(e.message).toMatch(/'cut.png': the PNG data is broken/);
    const jpg = read('rgb.jpg');
    expect(decodeError(jpg.subarray(0, 30), 'cut.jpg').message).toMatch(/'cut.jpg': the JPEG data is broken/);
    expect(decodeError(new TextEncoder().encode('GIF89a\x01\x00\x01\x00..'), 'a.gif').message).toMatch(
      /GIF images can only be read in the browser/,
    );
  });

  it('refuses a PNG or GIF whose header claims more than 100 megapixels before decoding it', () => {
    const png = read('rgb.png').slice();
    const view = new DataView(png.buffer, png.byteOffset);
    view.setUint32(16, 30000);
    view.setUint32(20, 30000);
    expect(decodeError(png, 'huge.png').message).toBe(
      "cannot read image 'huge.png': its header says 30000×30000 pixels (900 megapixels), more than the 100 megapixels the studio decodes; scale it down",
    );
    view.setUint32(16, 10000);
    view.setUint32(20, 10000); // exactly 100 megapixels passes the check (and then fails on the data, which is 8×8)
    expect(decodeError(png, 'big.png').message).toMatch(/'big.png': the PNG data is broken/);
    const gif = Uint8Array.from([...new TextEncoder().encode('GIF89a'), 0x30, 0x75, 0x30, 0x75, 0, 0, 0]); // 30000×30000
    expect(decodeError(gif, 'huge.gif').message).toMatch(/'huge.gif': its header says 30000×30000 pixels/);
  });

  it('names the formats people keep beside their photos (HEIC, AVIF, TIFF, SVG) and says what to do', () => {
    const iso = (brand: string) => Uint8Array.from([0, 0, 0, 0x18, ...new TextEncoder().encode(`ftyp${brand}\0\0\0\0mif1`)]);
    expect(decodeError(iso('heic'), 'IMG_0001.HEIC').message).toBe(
      "cannot read image 'IMG_0001.HEIC': it is a HEIC/HEIF photo (the iPhone camera format), not a PNG, JPEG, WebP, GIF or BMP image; save it as PNG or JPEG",
    );
    expect(decodeError(iso('avif'), 'a.avif').message).toMatch(/'a.avif': it is an AVIF image, not a PNG/);
    expect(decodeError(Uint8Array.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), 'scan.tif').message).toMatch(
      /'scan.tif': it is a TIFF image, not a PNG/,
    );
    expect(decodeError(new TextEncoder().encode('\uFEFF <svg xmlns="http://www.w3.org/2000/svg"/>'), 'logo.svg').message).toMatch(
      /'logo.svg': it is an SVG drawing or another XML file, not a PNG.*save it as PNG or JPEG/,
    );
    // an ISO media file of another kind (an MP4 video) is not named as a photo
    expect(decodeError(iso('isom'), 'clip.mp4').message).toMatch(/not a PNG, JPEG, WebP, GIF or BMP image \(unrecognised file header\)/);
  });
});
