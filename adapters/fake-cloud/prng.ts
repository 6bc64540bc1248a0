/**
 * A seeded pseudo-random number generator (mulberry32: 32-bit state, period 2^32, fast and good enough for
 * simulation). All randomness in the simulator comes from here, so the same seed gives the same run.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Exponentially distributed with the given mean (inverse CDF). */
  exponential(mean: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** An independent generator derived from this one and a label (so streams do not shift each other). */
  fork(label: string): Prng;
}

/** A mulberry32 generator seeded with `seed` (any integer; only the low 32 bits are used). */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    exponential: (mean) => -mean * Math.log(1 - next()),
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    fork: (label) => createPrng((seed ^ hashLabel(label)) >>> 0),
  };
}

/** FNV-1a, 32 bits: turns a stream label into seed bits. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
