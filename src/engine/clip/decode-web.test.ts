// The browser APIs are stubbed here; the real decoders are exercised by the app's e2e tests.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeImageBlob, ImageDecodeError } from './decode-web.ts';

const png = new Uint8Array(readFileSync('test-data/images/rgb.png'));

function stubBrowser(rgba: Uint8ClampedArray, width: number, height: number, fail?: Error) {
  const close = vi.fn();
  vi.stubGlobal(
    'createImageBitmap',
    vi.fn(async () => {
      if (fail) throw fail;
      return { width, height, close };
    }),
  );
  vi.stubGlobal(
    'OffscreenCanvas',
    class {
      constructor(
        readonly w: number,
        readonly h: number,
      ) {}
      getContext() {
        return {
          drawImage: () => {},
          getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: rgba, width: w, height: h }),
        };
      }
    },
  );
  return close;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('decodeImageBlob (browser APIs stubbed)', () => {
  it('turns the canvas RGBA into RGB and releases the bitmap', async () => {
    const close = stubBrowser(Uint8ClampedArray.from([1, 2, 3, 255, 4, 5, 6, 0]), 2, 1);
    const img = await decodeImageBlob(new Blob([png]), 'a.png');
    expect([img.width, img.height]).toEqual([2, 1]);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(close).toHaveBeenCalledOnce();
  });

  it('rejects non-images before decoding, naming the file', async () => {
    stubBrowser(new Uint8ClampedArray(4), 1, 1);
    await expect(decodeImageBlob(new Blob(['{"error": 404}']), 'x.jpg')).rejects.toThrow(ImageDecodeError);
    await expect(decodeImageBlob(new Blob(['{"error": 404}']), 'x.jpg')).rejects.toThrow(
      /'x.jpg': it is not a PNG, JPEG, WebP, GIF or BMP image/,
    );
    expect(createImageBitmap).not.toHaveBeenCalled();
  });

  it('refuses a picture too large to decode from its header, before the browser allocates it', async () => {
    stubBrowser(new Uint8ClampedArray(4), 1, 1);
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, 30000);
    new DataView(huge.buffer).setUint32(20, 30000);
    await expect(decodeImageBlob(new Blob([huge]), 'huge.png')).rejects.toThrow(
      /'huge.png': its header says 30000×30000 pixels \(900 megapixels\)/,
    );
    expect(createImageBitmap).not.toHaveBeenCalled();
  });

  it('reports a decoder failure as ImageDecodeError', async () => {
    stubBrowser(new Uint8ClampedArray(4), 1, 1, new DOMException('The source image could not be decoded.', 'InvalidStateError'));
    await expect(decodeImageBlob(new Blob([png.subarray(0, 50)]), 'cut.png')).rejects.toThrow(
      /cannot read image 'cut.png': the browser could not decode it; the file may be damaged \(The source image could not be decoded.\)/,
    );
  });
});
