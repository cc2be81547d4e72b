// What fits in one WebGPU buffer. onnxruntime-web asks the adapter for its largest maxBufferSize and
// maxStorageBufferBindingSize when it creates the device (WebGPU's defaults are 256 MiB and 128 MiB),
// and every frozen weight the studio uploads is one storage buffer. At ViT-L/14 the largest is an
// MLP weight (1024×4096 float32, 16.8 MB); the 152 MB token-embedding table never goes to the GPU
// (clip/text-input.ts looks tokens up on the host). An adapter below that is named, not guessed at.

export interface BufferLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Why a storage buffer of `bytes` cannot exist on a device with `limits`; null when it fits. */
export function bufferTooLarge(bytes: number, limits: BufferLimits): string | null {
  const cap = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (bytes <= cap) return null;
  const which = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  return `a ${MiB(bytes)} tensor does not fit this GPU's largest storage buffer (${which} ${MiB(cap)}): compute on WASM (#backend=wasm)`;
}
