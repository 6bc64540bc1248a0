import type { Prng } from './prng.ts';

/**
 * When a spot pool can be had, as an alternating renewal process: available for an exponential time, then
 * out (every spot node in the pool reclaimed, launches fail) for an exponential time.
 *
 * Defaults from the one public measurement we have (skypilot-org/spot-traces, one p3.2xlarge in us-west-2b,
 * 177 h, used in Wu et al., NSDI 2024): median uninterrupted run 68.3 min, median outage 25.6 min. For an
 * exponential, mean = median / ln 2: 98.5 min available, 36.9 min out. That gives 72.7 % obtainable against
 * the 79.3 % measured (the measured runs are not exponential: a few very long ones); close enough, and
 * slightly pessimistic for spot.
 */
export interface SpotMarketOptions {
  /** Mean length of an available period, seconds (default 5,912 = 68.3 min / ln 2). */
  meanAvailableSeconds: number;
  /** Mean length of an outage, seconds (default 2,216 = 25.6 min / ln 2). */
  meanOutageSeconds: number;
  /** Warning before a reclaimed node goes, seconds (AWS: 120; GCP and Azure: 30). */
  noticeSeconds: number;
}

/** Defaults as measured; see {@link SpotMarketOptions}. */
export const DEFAULT_SPOT_MARKET: SpotMarketOptions = {
  meanAvailableSeconds: Math.round((68.3 * 60) / Math.LN2),
  meanOutageSeconds: Math.round((25.6 * 60) / Math.LN2),
  noticeSeconds: 120,
};

/** One spot pool's availability over time, generated lazily from a seeded stream. */
export class SpotMarket {
  /** Outage intervals [start, end) in epoch ms, in order. */
  private readonly outages: Array<[number, number]> = [];
  private generatedUntil: number;

  constructor(
    private readonly prng: Prng,
    startAt: number,
    readonly options: SpotMarketOptions = DEFAULT_SPOT_MARKET,
  ) {
    this.generatedUntil = startAt;
  }

  /** Outages that start in [from, to), generating the timeline as far as needed. */
  outagesStartingIn(from: number, to: number): Array<[number, number]> {
    this.generateUntil(to);
    return this.outages.filter(([start]) => start >= from && start < to);
  }

  /** Whether launches fail at `at` (the pool is inside an outage). */
  isOut(at: number): boolean {
    this.generateUntil(at + 1);
    return this.outages.some(([start, end]) => at >= start && at < end);
  }

  private generateUntil(at: number): void {
    while (this.generatedUntil <= at) {
      const start = this.generatedUntil + this.prng.exponential(this.options.meanAvailableSeconds) * 1000;
      const end = start + this.prng.exponential(this.options.meanOutageSeconds) * 1000;
      this.outages.push([Math.round(start), Math.round(end)]);
      this.generatedUntil = Math.round(end);
    }
  }
}
