/**
 * The random stream that defines the synthetic trading day (mulberry32). It is part of the workload's
 * definition, not a random source to reuse: the trading day's published figures (README, docs/simulator.md,
 * seeds 1-5) are its output, so it is kept as it was when those were measured. Everything else that is
 * random in the simulated cloud (the spot market, the spot bench) draws from `pure-rand` through
 * adapters/fake-cloud/random.ts.
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
