import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * The project's one seeded randomness (the spot market, checkpoint write times in the spot bench, the
 * synthetic trading day's news spikes, arrivals and token counts): a
 * Mersenne Twister from `pure-rand`, whose seeding spreads consecutive seeds (1, 2, 3 …) over unrelated
 * states, so seed N and N + 1 give unrelated runs. The same seed always gives the same run.
 */
export interface Random {
  /** Uniform in [0, 1), 53 bits. */
  next(): number;
  /** Exponentially distributed with the given mean (inverse CDF). */
  exponential(mean: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Log-normal with this median and sigma (of the underlying normal). */
  logNormal(median: number, sigma: number): number;
  /** An independent stream derived from this one's seed and a label, so streams do not shift each other. */
  fork(label: string): Random;
}

/** A {@link Random} seeded with `seed` (any integer; the low 32 bits are used). */
export function createRandom(seed: number): Random {
  const generator: RandomGenerator = mersenne(seed | 0);
  const next = (): number => uniformFloat64(generator);
  const normal = (): number => {
    const u = 1 - next(); // (0, 1]: log(0) is never taken
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  return {
    next,
    exponential: (mean) => -mean * Math.log(1 - next()),
    normal,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    fork: (label) => createRandom((seed ^ hashLabel(label)) | 0),
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

/** A Poisson draw by Knuth's method (exact; its cost grows with `mean`, so keep it for small means). */
export function poissonKnuth(prng: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  let product = prng.next();
  while (product > limit) {
    count++;
    product *= prng.next();
  }
  return count;
}

/** A request's token count: log-normal with this median and sigma, rounded, within [1, max]. */
export function tokenCount(prng: Random, median: number, sigma: number, max: number): number {
  return Math.max(1, Math.min(max, Math.round(prng.logNormal(median, sigma))));
}
