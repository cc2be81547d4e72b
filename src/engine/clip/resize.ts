// Antialiased bicubic resampling with the same arithmetic as Pillow's Image.resize(size, BICUBIC)
// (libImaging/Resample.c), so that preprocessing matches CLIP's PIL pipeline bit for bit:
// - separable, horizontal pass first, then vertical; a pass is skipped when its size is unchanged;
// - when shrinking, the filter is stretched by the scale factor (support 2·scale), which is the
//   antialiasing; each output sample's weights are normalised to sum to one;
// - weights are rounded to fixed point with 22 fractional bits (half away from zero), sums start
//   at one half, and each pass rounds and clips to uint8 before the next one reads it.
import { rgbImage, type RgbImage } from './image.ts';

const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Keys' cubic convolution kernel with a = −0.5, support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Taps {
  /** first input index of each output sample */
  readonly first: Int32Array;
  /** number of taps of each output sample */
  readonly count: Int32Array;
  /** fixed-point weights, `stride` per output sample */
  readonly weights: Int32Array;
  readonly stride: number;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize),
    count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const w = new Float64Array(stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // Math.trunc: C's (int) cast; the clamp makes the sign of the truncation irrelevant
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      w[i] = bicubic((i + lo - center + 0.5) / filterScale);
      sum += w[i]!;
    }
    for (let i = 0; i < n; i++) {
      const k = sum !== 0 ? w[i]! / sum : w[i]!;
      weights[o * stride + i] = Math.trunc(k < 0 ? -0.5 + k * ONE : 0.5 + k * ONE);
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, stride };
}

const clip8 = (acc: number): number => {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : Math.min(v, 255);
};

/** One pass along x (`alongX`) or y, over RGB interleaved pixels. */
function pass(src: RgbImage, outW: number, outH: number, alongX: boolean): RgbImage {
  const t = taps(alongX ? src.width : src.height, alongX ? outW : outH);
  const out = new Uint8Array(outW * outH * 3);
  const inData = src.data;
  // distance in bytes between neighbouring taps
  const step = alongX ? 3 : src.width * 3;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const o = alongX ? x : y;
      const n = t.count[o]!,
        k0 = o * t.stride;
      let p = alongX ? (y * src.width + t.first[o]!) * 3 : (t.first[o]! * src.width + x) * 3;
      let r = HALF,
        g = HALF,
        b = HALF;
      for (let i = 0; i < n; i++, p += step) {
        const k = t.weights[k0 + i]!;
        r += inData[p]! * k;
        g += inData[p + 1]! * k;
        b += inData[p + 2]! * k;
      }
      const d = (y * outW + x) * 3;
      out[d] = clip8(r);
      out[d + 1] = clip8(g);
      out[d + 2] = clip8(b);
    }
  }
  return rgbImage(outW, outH, out);
}

/** Pillow-exact `img.resize((width, height), Image.BICUBIC)` of an RGB image. */
export function resizeBicubic(img: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be a positive integer size, got ${width}×${height}`);
  }
  let out = img;
  if (width !== img.width) out = pass(out, width, out.height, true);
  if (height !== img.height) out = pass(out, width, height, false);
  return out === img ? rgbImage(img.width, img.height, img.data.slice()) : out;
}
