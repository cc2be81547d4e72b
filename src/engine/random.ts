// A small seedable PRNG (mulberry32) so that augmentation, shuffling and initialisation replay
// exactly from a seed, in the worker and in Node alike. Not for cryptography.

export interface Rng {
  /** uniform in [0, 1), 32-bit resolution */
  next(): number;
  /** uniform in [a, b) */
  uniform(a: number, b: number): number;
  /** uniform integer in [0, n) */
  int(n: number): number;
  /** standard normal (Box–Muller) */
  normal(): number;
  /** Fisher–Yates, in place; returns the same array */
  shuffle<T>(arr: T[]): T[];
}

export function rng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rng.int(n) needs a positive integer n, got ${n}`);
    return Math.floor(next() * n);
  };
  return {
    next,
    uniform: (a, b) => a + (b - a) * next(),
    int,
    normal: () => {
      // 1 - next() is in (0, 1], so the log is finite
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      return r * Math.cos(2 * Math.PI * next());
    },
    shuffle: (arr) => {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [arr[i], arr[j]] = [arr[j]!, arr[i]!];
      }
      return arr;
    },
  };
}

/** A 32-bit FNV-1a hash of a string's UTF-8 bytes: a seed that names a thing by its id. */
export function seedOfString(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}
