import { createRandom, type Random } from './random.ts';

/**
 * When a spot pool can be had: available for a run, then out (every spot node in the pool reclaimed,
 * launches fail) for an outage, alternating. The one calibrated model used by `tide simulate --spot`, the
 * spot bench and `tide serve`'s simulated cloud.
 *
 * Calibrated to the one public measurement we have (skypilot-org/spot-traces, one p3.2xlarge in
 * us-west-2b, about 177 h from 2023-04-22, sampled every 32 s, used in Wu et al., NSDI 2024; see
 * ../shared/data/SOURCES.md): obtainable 79.3 % of the time, 45 outages, median outage 25.6 min (longest
 * 291.7), median uninterrupted run 68.3 min (longest 1,338). Runs and outages are log-normal with those
 * medians, capped at the longest seen, with sigmas solved so the capped means give the trace's 79.3 % and
 * 45 outages per 177 h: mean run 187.1 min, mean outage 48.9 min. (An exponential with the medians would
 * give 72.7 % obtainable: the measured runs have a long tail, a few very long runs.)
 */
export interface SpotMarketOptions {
  /** Median uninterrupted run, minutes (68.3). */
  medianRunMinutes: number;
  /** Longest run drawn, minutes (1,338, the trace's longest). */
  longestRunMinutes: number;
  /** Sigma of the runs' log-normal (solved from the trace: about 1.60). */
  runSigma: number;
  /** Median outage, minutes (25.6). */
  medianOutageMinutes: number;
  /** Longest outage drawn, minutes (291.7, the trace's longest). */
  longestOutageMinutes: number;
  /** Sigma of the outages' log-normal (solved from the trace: about 1.22). */
  outageSigma: number;
  /** Warning before the pool goes out, seconds (AWS: 120; GCP and Azure: 30). */
  noticeSeconds: number;
}

/** The published trace's figures the defaults are solved from. */
export const SPOT_TRACE = {
  hours: 177,
  obtainableShare: 0.793,
  outages: 45,
  medianRunMinutes: 68.3,
  longestRunMinutes: 1338,
  medianOutageMinutes: 25.6,
  longestOutageMinutes: 291.7,
} as const;

const meanRunMinutes = (SPOT_TRACE.hours * 60 * SPOT_TRACE.obtainableShare) / SPOT_TRACE.outages;
const meanOutageMinutes = (SPOT_TRACE.hours * 60 * (1 - SPOT_TRACE.obtainableShare)) / SPOT_TRACE.outages;

/** Defaults as measured; see {@link SpotMarketOptions}. */
export const DEFAULT_SPOT_MARKET: SpotMarketOptions = {
  medianRunMinutes: SPOT_TRACE.medianRunMinutes,
  longestRunMinutes: SPOT_TRACE.longestRunMinutes,
  runSigma: sigmaFor(SPOT_TRACE.medianRunMinutes, meanRunMinutes, SPOT_TRACE.longestRunMinutes),
  medianOutageMinutes: SPOT_TRACE.medianOutageMinutes,
  longestOutageMinutes: SPOT_TRACE.longestOutageMinutes,
  outageSigma: sigmaFor(SPOT_TRACE.medianOutageMinutes, meanOutageMinutes, SPOT_TRACE.longestOutageMinutes),
  noticeSeconds: 120,
};

/** An outage, epoch ms: the pool is out in [start, end). */
export interface Outage {
  start: number;
  end: number;
}

const MINUTE = 60_000;

/** One spot pool's availability over time, generated lazily from a seeded stream. */
export class SpotMarket {
  /** Outages in order, generated so far. */
  private readonly outages: Outage[] = [];
  /** End of the last generated outage plus the run after it: the next outage's start. */
  private nextStart: number;

  constructor(
    private readonly random: Random,
    startAt: number,
    readonly options: SpotMarketOptions = DEFAULT_SPOT_MARKET,
  ) {
    // The clock starts somewhere inside a run, not at the start of one.
    this.nextStart = startAt + Math.round(this.run() * this.random.next());
  }

  /** Outages that start in [from, to), generating the timeline as far as needed. */
  outagesStartingIn(from: number, to: number): Outage[] {
    this.generateUntil(to);
    return this.outages.filter(({ start }) => start >= from && start < to);
  }

  /** The outage the pool is in at `at`, if any. */
  outageAt(at: number): Outage | undefined {
    this.generateUntil(at + 1);
    return this.outages.find(({ start, end }) => at >= start && at < end);
  }

  /** Whether launches fail at `at` (the pool is inside an outage). */
  isOut(at: number): boolean {
    return this.outageAt(at) !== undefined;
  }

  private run(): number {
    const { medianRunMinutes, runSigma, longestRunMinutes } = this.options;
    return Math.round(Math.min(longestRunMinutes, this.random.logNormal(medianRunMinutes, runSigma)) * MINUTE);
  }

  private generateUntil(at: number): void {
    const { medianOutageMinutes, outageSigma, longestOutageMinutes } = this.options;
    while (this.nextStart < at) {
      const length = Math.round(
        Math.min(longestOutageMinutes, this.random.logNormal(medianOutageMinutes, outageSigma)) * MINUTE,
      );
      const outage = { start: this.nextStart, end: this.nextStart + length };
      this.outages.push(outage);
      this.nextStart = outage.end + this.run();
    }
  }
}

/**
 * The market of one spot pool of a simulated cloud seeded with `seed`: its own stream (`spot:<poolId>`), so
 * adding a pool does not shift the others, and a baseline replaying the same seed sees the same outages.
 */
export function spotMarketFor(
  seed: number,
  poolId: string,
  startAt: number,
  options: SpotMarketOptions = DEFAULT_SPOT_MARKET,
): SpotMarket {
  return new SpotMarket(createRandom(seed).fork(`spot:${poolId}`), startAt, options);
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Mean of min(X, cap) for a log-normal X with this median and sigma. */
function cappedMean(median: number, sigma: number, cap: number): number {
  const mu = Math.log(median);
  const below = Math.exp(mu + (sigma * sigma) / 2) * phi((Math.log(cap) - mu - sigma * sigma) / sigma);
  return below + cap * (1 - phi((Math.log(cap) - mu) / sigma));
}

/** The sigma whose capped mean is `mean` (bisection): medians, means and maxima all match the trace. */
export function sigmaFor(median: number, mean: number, cap: number): number {
  let lo = 0.01;
  let hi = 5;
  for (let i = 0; i < 100; i += 1) {
    const mid = (lo + hi) / 2;
    if (cappedMean(median, mid, cap) < mean) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
