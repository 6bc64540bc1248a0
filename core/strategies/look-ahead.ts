import { ceilCount, num, seconds } from '../format.ts';
import type { Policy } from '../schema/policy.ts';
import { own } from '../dictionary.ts';
import type { Sample, SampleStore } from './metric-samples.ts';

/** At most this many demand points are kept (a 1-hour trend window of 10-second datapoints). */
export const MAX_DEMAND_POINTS = 360;

/** The demand the tracked metrics show now, unrounded replicas at target; undefined without a fresh sample. */
export interface DemandNow {
  at: number;
  replicas: number;
}

/**
 * What the tracked metrics ask for on their newest fresh sample, unrounded: ready × value ÷ target for a
 * per-replica metric, value ÷ target for a total; the largest over the metrics. The newest sample, not the
 * window's average: the trend is fitted over many of them.
 */
export function demandNow(policy: Policy, samples: SampleStore, now: number, ready: number): DemandNow | undefined {
  let best: DemandNow | undefined;
  for (const rule of policy.targetTracking) {
    const latest = own(samples, rule.metric)?.findLast((sample) => sample[0] <= now);
    if (!latest || now - latest[0] > policy.missingMetrics.staleAfterSeconds * 1000) continue;
    const wanted = (rule.metricType === 'total' ? latest[1] : ready * latest[1]) / rule.targetValue;
    if (!best || wanted > best.replicas) best = { at: latest[0], replicas: wanted };
  }
  return best;
}

/** Add the newest demand point (once per sample time) and drop points older than the trend window. */
export function recordDemand(history: readonly Sample[], point: DemandNow | undefined, now: number, windowMs: number) {
  const cutoff = now - windowMs;
  let first = 0;
  while (first < history.length && (history[first] as Sample)[0] < cutoff) first += 1;
  const last = history[history.length - 1];
  const fresh = point !== undefined && point.at >= cutoff && (last === undefined || point.at > last[0]);
  if (first === 0 && !fresh) return history as Sample[];
  const kept = history.slice(Math.max(first, history.length + (fresh ? 1 : 0) - MAX_DEMAND_POINTS));
  if (fresh) kept.push([point.at, point.replicas]);
  return kept;
}

/** A least-squares line through the demand points: its value at `at` and its slope per second. */
export interface Trend {
  level: number;
  slopePerSecond: number;
}

/** The least-squares line through the points of `history` from `since` on, evaluated at `at`; undefined with fewer than 3. */
export function fitTrend(history: readonly Sample[], at: number, since = -Infinity): Trend | undefined {
  // Sums over (t, y), t in seconds relative to `at`: slope = (n·Σty − Σt·Σy) ÷ (n·Σt² − (Σt)²).
  let n = 0;
  let st = 0;
  let sy = 0;
  let stt = 0;
  let sty = 0;
  for (const [ms, y] of history) {
    if (ms < since) continue;
    n += 1;
    const t = (ms - at) / 1000;
    st += t;
    sy += y;
    stt += t * t;
    sty += t * y;
  }
  if (n < 3) return undefined;
  const d = n * stt - st * st;
  const slope = d > 1e-9 ? (n * sty - st * sy) / d : 0;
  // The line at `at` (t = 0): mean y − slope × mean t.
  return { level: (sy - slope * st) / n, slopePerSecond: slope };
}

/** The look-ahead's answer: the demand history to remember and, when it asks for more, a floor and why. */
export interface LookAheadOutcome {
  demand: Sample[];
  floor?: number;
  reason?: string;
  /** The floor holds a scale-in back (keep through a lull), rather than raising a scale-out. */
  keep?: boolean;
}

/** Fewer demand points than this give no estimate of their noise: the keep then holds the raw peak. */
export const MIN_NOISE_POINTS = 10;

/**
 * The noise of one raw demand point (a standard deviation, in replicas at target), estimated robustly from the
 * points themselves: 1.4826 × the median of the absolute first differences, ÷ √2. For independent noise of
 * spread σ around a level, a difference of two neighbours has spread σ√2, and 1.4826 × the median absolute
 * value of a normal sample is its standard deviation. Differences are blind to the level (a ramp or a shift
 * moves only one or a few of them) and the median to the few large ones a spike makes, so what is measured is
 * the point-to-point jitter (Poisson arrivals, service times), not the load's own movement. Undefined with
 * fewer than {@link MIN_NOISE_POINTS} points.
 *
 * Worked example: points 4, 5, 4, 5, … differ by 1 every time: σ = 1.4826 × 1 ÷ √2 = 1.05.
 */
export function demandNoise(history: readonly Sample[]): number | undefined {
  if (history.length < MIN_NOISE_POINTS) return undefined;
  const steps: number[] = [];
  for (let i = 1; i < history.length; i += 1)
    steps.push(Math.abs((history[i] as Sample)[1] - (history[i - 1] as Sample)[1]));
  steps.sort((a, b) => a - b);
  const mid = steps.length >> 1;
  const median =
    steps.length % 2 === 1 ? (steps[mid] as number) : ((steps[mid - 1] as number) + (steps[mid] as number)) / 2;
  return (1.4826 * median) / Math.SQRT2;
}

/**
 * Keep through a lull shorter than a boot (issue 17; the ski-rental break-even the hindsight oracle applies).
 * A replica released now and needed again within a boot costs that boot (billed while it loads) and the
 * requests that wait for it; keeping it costs at most the same time. So a scale-in goes no lower than the
 * highest demand of the last horizon: the raw datapoints (unrounded replicas at target), not the averaged
 * recommendations the scale-down window keeps, because a spike of a few minutes is what the averaging hides.
 *
 * With `noiseDeviations` (z, `lookAhead.keepAboveNoise`) only the part of the peak that noise does not explain
 * is kept: the peak less z × the noise of one point ({@link demandNoise}, over every point the look-ahead
 * keeps). The highest of the horizon's raw points is a maximum over about 50 of them (525 s of 10-s
 * datapoints): on a flat load of pure noise it lies about 2.2 σ above the level (the expected largest of 52
 * standard normals is 2.25), and the keep would hold that envelope for nothing. z = 2 strips it; a spike
 * stands out of it by its own height. Off by default: replayed over issue 17's suite, the envelope it strips
 * is what the raw keep's saves on the trading day were made of (docs/simulator.md).
 *
 * Worked example: 6 asked for; target tracking wants 3 now; 4 minutes ago one 10-s datapoint asked for
 * 4.3 replicas: with a 525-s horizon the scale-in stops at 5, not 3. With z = 2 and points that jitter by
 * σ = 0.3, the kept peak is 4.3 − 0.6 = 3.7: the scale-in stops at 4.
 */
export function keepThroughLull(
  history: readonly Sample[],
  now: number,
  horizon: number,
  current: number,
  desired: number,
  noiseDeviations: number | null = null,
): LookAheadOutcome | undefined {
  let peak = 0;
  let peakAt = now;
  for (const [at, replicas] of history)
    if (at >= now - horizon * 1000 && replicas >= peak) {
      peak = replicas;
      peakAt = at;
    }
  const noise = noiseDeviations === null ? undefined : demandNoise(history);
  const kept = noise === undefined || noiseDeviations === null ? peak : peak - noiseDeviations * noise;
  const floor = Math.min(current, ceilCount(Math.max(0, kept)));
  if (floor <= desired) return undefined;
  const stripped =
    noiseDeviations === null
      ? ''
      : noise === undefined
        ? ' (too few points to measure their noise: the raw peak)'
        : `, less ${num(noiseDeviations)} × ${num(noise)} of noise: ${num(kept)}`;
  return {
    demand: history as Sample[],
    floor,
    keep: true,
    reason: `scale-in held at ${floor}, not ${desired}: ${num(peak)} replicas asked for ${seconds(now - peakAt)} ago${stripped} (keep through a lull shorter than the ${horizon} s horizon)`,
  };
}

/**
 * Look-ahead (issue 17, "scale ahead ... falling back to reactive when the forecast is wrong"). A replica
 * bought now serves only a horizon (its boot) later, and an endpoint that refuses a resize while `Updating`
 * (SageMaker) takes no other change before then, so a scale-out must buy what the demand will be a horizon
 * ahead. Two parts, each only ever raising the count:
 *
 * - **Trend.** A least-squares line through the tracked metrics' demand of the last `trendWindowSeconds`
 *   (unrounded replicas at target, one point per datapoint), extrapolated one horizon ahead when it rises:
 *   forecast = line now + slope × horizon, at most `maxGrowthRatio` × the demand now. A falling or flat line
 *   forecasts its value now. The forecast only sizes a scale-out the other rules asked for.
 * - **Plans.** A scale-out within a horizon of a plan's window (its pre-warm included) goes to that plan's
 *   floor at once: the endpoint would refuse the plan's own resize while this one's replicas boot.
 *
 * When the forecast is wrong the reactive rules take over: it never holds capacity by itself, since the line
 * follows the demand down, and the scale-down window releases what it bought.
 *
 * Worked example: 4 ready at 4.8 per replica; the demand rose from 3.0 to 5.0 replicas over the last 300 s
 * (0.4 per minute); the line is at 5.0 now; a horizon of 525 s adds 3.5: forecast 8.5, so a scale-out that
 * target tracking sized at 5 goes to 9.
 */
export function lookAhead(
  rule: Policy['lookAhead'],
  replicaBootSeconds: number | null,
  history: readonly Sample[],
  point: DemandNow | undefined,
  now: number,
  current: number,
  desired: number,
  planFloorAhead: { floor: number; label: string } | undefined,
): LookAheadOutcome {
  const horizon = rule.horizonSeconds ?? replicaBootSeconds;
  if (horizon === null) return { demand: [] };
  const trendMs = rule.trendWindowSeconds * 1000;
  const demand = recordDemand(history, point, now, rule.keepThroughLull ? Math.max(trendMs, horizon * 1000) : trendMs);
  // A scale-in: kept through a lull (a fresh datapoint says there is a serving endpoint to measure).
  if (desired < current)
    return (
      (rule.keepThroughLull &&
        point &&
        keepThroughLull(demand, now, horizon, current, desired, rule.keepAboveNoise)) || {
        demand,
      }
    );
  const trend = fitTrend(demand, now, now - trendMs);
  let floor = desired;
  const parts: string[] = [];
  if (trend && point) {
    const rise = Math.max(0, trend.slopePerSecond) * horizon;
    const cap = rule.maxGrowthRatio * Math.max(point.replicas, trend.level);
    const forecast = Math.min(cap, trend.level + rise);
    const wanted = ceilCount(forecast);
    if (wanted > floor && desired > current) {
      floor = wanted;
      parts.push(`trend ${num(trend.level)}, ${num(trend.slopePerSecond * 60)}/min: ${num(forecast)}`);
    }
  }
  if (planFloorAhead && planFloorAhead.floor > floor && desired > current) {
    floor = planFloorAhead.floor;
    parts.push(`plan ${planFloorAhead.label} at ${planFloorAhead.floor}`);
  }
  if (floor <= desired) return { demand };
  return {
    demand,
    floor,
    reason: `look-ahead ${horizon} s: ${parts.join('; ')}: ${floor}, not ${desired}`,
  };
}
