import { exchangeDay } from '../core/calendars/index.ts';
import { createRandom, poissonKnuth, tokenCount } from '../adapters/fake-cloud/random.ts';
import type { Trace, TraceRequest } from './trace.ts';

/** Knobs of the synthetic trading day; every default is stated in docs/simulator.md. */
export interface TradingDayOptions {
  seed: number;
  /** The session's date in New York, YYYY-MM-DD (default 2026-12-01, a Tuesday; EST, UTC−5). */
  date: string;
  /** Requests per second in the quiet hours before the open. */
  baseRate: number;
  /** Requests per second just after the 09:30 open. */
  openPeakRate: number;
  /** Requests per second the morning settles to. */
  middayRate: number;
  /** Requests per second at the 16:00 close. */
  closePeakRate: number;
  /** Expected number of news spikes between 10:00 and 15:30. */
  newsSpikes: number;
}

/** The defaults stated in docs/simulator.md. */
export const TRADING_DAY_DEFAULTS: Omit<TradingDayOptions, 'seed'> = {
  date: '2026-12-01',
  baseRate: 0.3,
  openPeakRate: 7,
  middayRate: 3,
  closePeakRate: 6,
  newsSpikes: 3,
};

/** New York offset from UTC in hours on `date` (−4 in daylight time, −5 otherwise), via Intl. */
function newYorkOffsetHours(date: string): number {
  const noonUtc = Date.parse(`${date}T12:00:00Z`);
  const local = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hour: 'numeric',
    hourCycle: 'h23',
  }).format(noonUtc);
  return Number(local) - 12;
}

/**
 * Requests per second at `minutes` after 08:00 New York time (the day runs 08:00-17:00, 540 minutes):
 * quiet before the open, a surge at 09:30 decaying with a 20-minute time constant, a lunch dip to 55 %
 * between 11:30 and 13:30, a ramp into the 16:00 close, then a fall with a 10-minute time constant.
 */
export function tradingRate(
  minutes: number,
  options: Omit<TradingDayOptions, 'seed'>,
  /** Minutes after 08:00 of the close: 480 (16:00), 300 on a 13:00 early close, null on a holiday. */
  closeAt: number | null = 480,
): number {
  const { baseRate, openPeakRate, middayRate, closePeakRate } = options;
  if (closeAt === null || minutes < 60) return baseRate;
  if (minutes < 90) return baseRate + ((1 - baseRate) * (minutes - 60)) / 30;
  if (minutes < closeAt) {
    let rate = middayRate + (openPeakRate - middayRate) * Math.exp(-(minutes - 90) / 20);
    if (minutes >= 210 && minutes < 330) rate *= 1 - 0.45 * Math.sin((Math.PI * (minutes - 210)) / 120);
    if (minutes >= closeAt - 30) rate += ((closePeakRate - middayRate) * (minutes - (closeAt - 30))) / 30;
    return rate;
  }
  return baseRate + (closePeakRate - baseRate) * Math.exp(-(minutes - closeAt) / 10);
}

/**
 * Where the session's close falls for the rate curve, from the XNYS calendar: a holiday has no session
 * (quiet all day), an early close moves the closing ramp to 13:00, so a simulated Thanksgiving or day after
 * behaves as the real one does.
 */
function closeMinute(date: string, startAt: number): number | null {
  const day = exchangeDay('XNYS', date);
  if (!day || day.status === 'closed') return null;
  if (day.status === 'unknown') return 480;
  return Math.round((day.close - startAt) / 60_000);
}

/**
 * A seeded synthetic trading day, 08:00-17:00 New York time: see {@link tradingRate}, plus news spikes
 * (Poisson count, uniform start between 10:00 and 15:30, 2-3 × the rate for 3-8 minutes). Prompts are
 * log-normal with median 600 tokens (σ 0.9, at most 8,000), outputs median 120 tokens (σ 0.8, at most
 * 1,000): about the conversation trace's shape, a little shorter.
 */
export function tradingDay(options: Partial<TradingDayOptions> & { seed: number }): Trace {
  const settings = { ...TRADING_DAY_DEFAULTS, ...options };
  // The project's one seeded generator (pure-rand's Mersenne Twister, adapters/fake-cloud/random.ts), forked
  // per stream so the spikes, the arrivals and the token counts do not shift each other.
  const prng = createRandom(settings.seed);
  const spikePrng = prng.fork('news');
  const arrivalPrng = prng.fork('arrivals');
  const tokenPrng = prng.fork('tokens');
  const spikes: Array<{ start: number; end: number; factor: number }> = [];
  const spikeCount = poissonKnuth(spikePrng, settings.newsSpikes);
  for (let i = 0; i < spikeCount; i++) {
    // News moves prices only while the market trades.
    const start = 120 + spikePrng.next() * 330;
    spikes.push({ start, end: start + 3 + spikePrng.next() * 5, factor: 2 + spikePrng.next() });
  }
  const offset = newYorkOffsetHours(settings.date);
  const startAt = Date.parse(`${settings.date}T08:00:00Z`) - offset * 3_600_000;
  const closeAt = closeMinute(settings.date, startAt);
  const requests: TraceRequest[] = [];
  for (let second = 0; second < 540 * 60; second++) {
    const minutes = second / 60;
    let rate = tradingRate(minutes, settings, closeAt);
    for (const spike of spikes) if (minutes >= spike.start && minutes < spike.end) rate *= spike.factor;
    const count = poissonKnuth(arrivalPrng, rate);
    const offsets = Array.from({ length: count }, () => arrivalPrng.next()).sort((a, b) => a - b);
    for (const fraction of offsets) {
      requests.push({
        arrivalAt: startAt + Math.round((second + fraction) * 1000),
        contextTokens: tokenCount(tokenPrng, 600, 0.9, 8000),
        generatedTokens: tokenCount(tokenPrng, 120, 0.8, 1000),
      });
    }
  }
  return { name: 'trading-day', startAt, endAt: requests.at(-1)?.arrivalAt ?? startAt, requests };
}
