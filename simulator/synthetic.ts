import { createRandom, poissonKnuth, type Random, tokenCount } from '../adapters/fake-cloud/random.ts';
import type { Trace, TraceRequest } from './trace.ts';

/**
 * Seeded synthetic load shapes beside the trading day, for checking that a scaling rule generalises (issue
 * 17's hidden workloads are step- and swell-shaped load and a multi-day diurnal week; these are our own
 * generators of those shapes, not the hidden ones). Each is a rate curve in requests per second, Poisson
 * arrivals per second, and the trading day's token counts (prompts log-normal median 600, σ 0.9, at most
 * 8,000; outputs median 120, σ 0.8, at most 1,000), all from the project's one seeded generator.
 */
export type RateCurve = (second: number) => number;

/** The shapes {@link syntheticTrace} draws. */
export type SyntheticShape = 'step' | 'swell' | 'diurnal';

/** Start of every synthetic trace: Monday 2026-11-30 00:00 UTC. */
export const SYNTHETIC_START = Date.parse('2026-11-30T00:00:00Z');

function poisson(prng: Random, mean: number): number {
  // Knuth's method for small means; a normal approximation above 30 (the diurnal peak is well above it).
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * prng.normal()));
  return poissonKnuth(prng, mean);
}

/** Draw a trace from a rate curve over `seconds` (see the file's comment for the request shape). */
export function traceFromRate(name: string, seed: number, seconds: number, rate: RateCurve): Trace {
  const prng = createRandom(seed);
  const arrivals = prng.fork('arrivals');
  const sizes = prng.fork('tokens');
  const requests: TraceRequest[] = [];
  for (let second = 0; second < seconds; second++) {
    const count = poisson(arrivals, Math.max(0, rate(second)));
    const offsets = Array.from({ length: count }, () => arrivals.next()).sort((a, b) => a - b);
    for (const fraction of offsets)
      requests.push({
        arrivalAt: SYNTHETIC_START + Math.round((second + fraction) * 1000),
        contextTokens: tokenCount(sizes, 600, 0.9, 8000),
        generatedTokens: tokenCount(sizes, 120, 0.8, 1000),
      });
  }
  return { name, startAt: SYNTHETIC_START, endAt: requests.at(-1)?.arrivalAt ?? SYNTHETIC_START, requests };
}

/**
 * Step-shaped load over 6 hours: a level that jumps at random times to another level 0.4-4 × the base (some
 * up, some down), each held 20-70 minutes. The base is 1-3 requests/s. Jumps are instantaneous: the hardest
 * case for anything that boots in minutes.
 */
export function stepRate(seed: number, seconds = 6 * 3600): RateCurve {
  const shape = createRandom(seed).fork('step');
  const base = 1 + 2 * shape.next();
  const edges: Array<{ at: number; rate: number }> = [{ at: 0, rate: base }];
  let at = (20 + 50 * shape.next()) * 60;
  while (at < seconds) {
    const previous = edges.at(-1)!.rate;
    // Alternate up and down around the base, so the load both rises and falls by steps.
    const up = previous <= base * 1.01 || shape.next() < 0.35;
    const rate = up ? base * (1.5 + 2.5 * shape.next()) : base * (0.4 + 0.7 * shape.next());
    edges.push({ at, rate });
    at += (20 + 50 * shape.next()) * 60;
  }
  return (second) => {
    let rate = base;
    for (const edge of edges) if (edge.at <= second) rate = edge.rate;
    return rate;
  };
}

/**
 * Swell-shaped load over 6 hours: a base of 1-3 requests/s with swells, each rising smoothly (raised cosine)
 * to 2-5 × the base over 15-60 minutes, holding 10-40 minutes and ebbing as slowly, one after another with
 * gaps of 10-60 minutes.
 */
export function swellRate(seed: number, seconds = 6 * 3600): RateCurve {
  const shape = createRandom(seed).fork('swell');
  const base = 1 + 2 * shape.next();
  const swells: Array<{ start: number; rise: number; hold: number; fall: number; height: number }> = [];
  let at = (10 + 40 * shape.next()) * 60;
  while (at < seconds) {
    const swell = {
      start: at,
      rise: (15 + 45 * shape.next()) * 60,
      hold: (10 + 30 * shape.next()) * 60,
      fall: (15 + 45 * shape.next()) * 60,
      height: 1 + 3 * shape.next(),
    };
    swells.push(swell);
    at += swell.rise + swell.hold + swell.fall + (10 + 50 * shape.next()) * 60;
  }
  const ease = (x: number) => (1 - Math.cos(Math.PI * Math.min(1, Math.max(0, x)))) / 2;
  return (second) => {
    let extra = 0;
    for (const s of swells) {
      const t = second - s.start;
      if (t < 0 || t > s.rise + s.hold + s.fall) continue;
      const level = t < s.rise ? ease(t / s.rise) : t < s.rise + s.hold ? 1 : 1 - ease((t - s.rise - s.hold) / s.fall);
      extra = Math.max(extra, s.height * level);
    }
    return base * (1 + extra);
  };
}

/**
 * A diurnal load over `days` days from a Monday: each day a sinusoid between 0.2 and 1.8 × the day's mean
 * (peak in the afternoon, at an hour drawn per trace), weekends at 50-70 %, each day's level ±15 %, and a
 * slow ±10 % wander within the day. The mean is 2-4 requests/s.
 */
export function diurnalRate(seed: number, days = 7): RateCurve {
  const shape = createRandom(seed).fork('diurnal');
  const mean = 2 + 2 * shape.next();
  const peakHour = 13 + 4 * shape.next();
  const weekend = 0.5 + 0.2 * shape.next();
  const dayLevel = Array.from({ length: days }, () => 0.85 + 0.3 * shape.next());
  const wanderPhase = 2 * Math.PI * shape.next();
  return (second) => {
    const day = Math.floor(second / 86_400);
    const hour = (second % 86_400) / 3600;
    const weekday = day % 7;
    const level = (dayLevel[day] ?? 1) * (weekday >= 5 ? weekend : 1);
    const daily = 1 + 0.8 * Math.cos(((hour - peakHour) / 24) * 2 * Math.PI);
    const wander = 1 + 0.1 * Math.sin((second / 5400) * 2 * Math.PI + wanderPhase);
    return mean * level * daily * wander;
  };
}

/** A seeded synthetic trace of one shape (diurnal: `days` days, default 7). */
export function syntheticTrace(shape: SyntheticShape, seed: number, days = 7): Trace {
  if (shape === 'step') return traceFromRate('step', seed, 6 * 3600, stepRate(seed));
  if (shape === 'swell') return traceFromRate('swell', seed, 6 * 3600, swellRate(seed));
  return traceFromRate('diurnal', seed, days * 86_400, diurnalRate(seed, days));
}
