import { describe, expect, it } from 'vitest';
import { bufferTooLarge } from './gpu-limits.ts';

describe('bufferTooLarge', () => {
  const defaults = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 };
  it('lets through what the smaller of the two limits holds', () => {
    expect(bufferTooLarge(1024 * 4096 * 4, defaults)).toBeNull(); // ViT-L/14's largest uploaded weight
    expect(bufferTooLarge(128 * 2 ** 20, defaults)).toBeNull();
  });
  it('names the limit a larger tensor breaks and the way out', () => {
    expect(bufferTooLarge(49408 * 768 * 4, defaults)) // ViT-L/14's token embedding, were it uploaded
      .toBe(
        "a 144.8 MiB tensor does not fit this GPU's largest storage buffer (maxStorageBufferBindingSize 128.0 MiB): compute on WASM (#backend=wasm)",
      );
    expect(bufferTooLarge(300 * 2 ** 20, { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 2 ** 31 })).toMatch(
      /\(maxBufferSize 256\.0 MiB\)/,
    );
  });
});
