// IEEE 754 binary16 ("half", ONNX float16) stored as raw bits in a Uint16Array, as onnxruntime
// takes float16 tensors. Conversions both ways, exact where a value fits and rounded to nearest,
// ties to even, where it does not (what a GPU's f16 conversion does).

let halfTable: Float32Array | undefined;

/** binary16 bits → float32, exact (every half value is a float32 value). */
export function halfToFloat32(h: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) {
      const sign = i & 0x8000 ? -1 : 1;
      const exp = (i >> 10) & 0x1f;
      const frac = i & 0x3ff;
      halfTable[i] =
        exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
    }
  }
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = halfTable[h[i]!]!;
  return out;
}

const f32 = new Float32Array(1);
const bits = new Uint32Array(f32.buffer);

/** one float → binary16 bits, round to nearest even; beyond ±65504 → ±∞; NaN stays NaN */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const b = bits[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // ∞ or NaN
  const e = exp - 127 + 15; // the half exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: ∞
  if (e <= 0) {
    // subnormal half (or zero): the implicit 1 joins the mantissa, shifted right by 1 − e more places
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000;
    const shift = 14 - e; // 13 to drop float32's extra mantissa bits, 1 − e to denormalise
    const half = m >>> shift,
      rest = m & ((1 << shift) - 1),
      tie = 1 << (shift - 1);
    return sign | (half + (rest > tie || (rest === tie && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13),
    rest = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (and reaches ∞ at the top)
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** float32 values → binary16 bits */
export function float32ToHalf(x: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = toHalfBits(x[i]!);
  return out;
}
