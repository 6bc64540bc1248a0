import { ceilCount, num } from '../format.ts';
import type { DemandProfile } from '../schema/memory.ts';
import type { Policy } from '../schema/policy.ts';
import type { DemandNow } from './look-ahead.ts';

type PredictiveRule = Policy['predictive'];

const DAY_MS = 86_400_000;
/**
 * Weight of the newest day in a bucket's forecast. Half: with a week or two of history the profile follows a
 * changed level within two days (AWS forecasts from up to 14 days; a target's memory holds no more than this).
 */
export const PROFILE_DAY_WEIGHT = 0.5;
/** The demand is smoothed over about a minute (target tracking's default window) before its peak is taken. */
export const SMOOTHING_SECONDS = 60;
/** History counted at most (AWS reads up to 14 days). */
export const MAX_FED_SECONDS = 14 * 86_400;

/** The key a profile is learned under: other bucket settings start a new one. */
export function profileKey(rule: PredictiveRule): string {
  return `${rule.bucketSeconds}${rule.weekly ? 'w' : ''}`;
}

/** Saturday or Sunday in UTC (1970-01-01 was a Thursday). */
export function isWeekend(ms: number): boolean {
  const weekday = (((Math.floor(ms / DAY_MS) + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}

/** Which profile a time feeds: 0 (every day, or weekdays with `weekly`) or 1 (weekends with `weekly`). */
export function profileOf(rule: PredictiveRule, ms: number): number {
  return rule.weekly && isWeekend(ms) ? 1 : 0;
}

/** The index in `peaks` of the bucket holding `ms`: its slot of the UTC day, weekend slots after weekday ones. */
export function bucketIndex(rule: PredictiveRule, ms: number): number {
  const perDay = 86_400 / rule.bucketSeconds;
  const inDay = ((ms % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(inDay / (rule.bucketSeconds * 1000)) + profileOf(rule, ms) * perDay;
}

/** The start (epoch ms) of the bucket holding `ms`: buckets divide the UTC day. */
export function bucketStart(rule: PredictiveRule, ms: number): number {
  const size = rule.bucketSeconds * 1000;
  return ms - (((ms % size) + size) % size);
}

/** How many numbers a profile holds: its bound. */
export function profileLength(rule: PredictiveRule): number {
  return (86_400 / rule.bucketSeconds) * (rule.weekly ? 2 : 1);
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function emptyProfile(rule: PredictiveRule, now: number): DemandProfile {
  return {
    key: profileKey(rule),
    peaks: new Array<number | null>(profileLength(rule)).fill(null),
    fedSeconds: rule.weekly ? [0, 0] : [0],
    bucketAt: bucketStart(rule, now),
    peak: null,
    smoothed: 0,
    smoothedAt: 0,
  };
}

/**
 * Fold one decision's demand point into the profile; a new object (the input is not changed). When `now` has
 * left the bucket being observed, that bucket's peak is folded into its slot: forecast ← forecast + ½ (peak −
 * forecast), the first day's peak as it is; the slot's forecast before the fold and the peak are kept as the
 * verdict the fallback reads. Worked example: the 14:00 slot forecasts 6.0; today's 14:00-14:15 peaked at
 * 7.0: the slot becomes 6.5 and the verdict [6, 7].
 */
export function recordProfile(
  rule: PredictiveRule,
  stored: DemandProfile | undefined,
  point: DemandNow | undefined,
  now: number,
): DemandProfile {
  const key = profileKey(rule);
  const profile: DemandProfile =
    stored && stored.key === key && stored.peaks.length === profileLength(rule)
      ? { ...stored }
      : emptyProfile(rule, now);
  const start = bucketStart(rule, now);
  if (start > profile.bucketAt) {
    if (profile.peak !== null) {
      const index = bucketIndex(rule, profile.bucketAt);
      const fed = profileOf(rule, profile.bucketAt);
      const prior = profile.peaks[index] ?? null;
      const peaks = profile.peaks.slice();
      peaks[index] = round2(prior === null ? profile.peak : prior + PROFILE_DAY_WEIGHT * (profile.peak - prior));
      profile.peaks = peaks;
      const fedSeconds = profile.fedSeconds.slice();
      fedSeconds[fed] = Math.min(MAX_FED_SECONDS, (fedSeconds[fed] ?? 0) + rule.bucketSeconds);
      profile.fedSeconds = fedSeconds;
      if (prior === null) delete profile.verdict;
      else profile.verdict = [prior, round2(profile.peak)];
    } else delete profile.verdict;
    profile.bucketAt = start;
    profile.peak = null;
  }
  if (point && point.at > profile.smoothedAt && Number.isFinite(point.replicas)) {
    const gap = (point.at - profile.smoothedAt) / 1000;
    // A gap of five time constants forgets the old value: start from the point.
    profile.smoothed =
      gap > 5 * SMOOTHING_SECONDS
        ? point.replicas
        : profile.smoothed + (1 - Math.exp(-gap / SMOOTHING_SECONDS)) * (point.replicas - profile.smoothed);
    profile.smoothed = round2(profile.smoothed);
    profile.smoothedAt = point.at;
    profile.peak = Math.max(profile.peak ?? 0, profile.smoothed);
  }
  return profile;
}

/** The forecast for the buckets from now to now + lead: the highest of them, and which. */
export interface Forecast {
  replicas: number;
  bucketAt: number;
}

/**
 * The highest forecast of the buckets from the one holding `now` to the one holding `now + lead`: capacity
 * for the bucket a lead ahead is launched now, and what the current bucket was forecast to need is kept until
 * it ends. Undefined when no bucket in that span was ever fed.
 */
export function forecastAhead(
  rule: PredictiveRule,
  profile: DemandProfile,
  now: number,
  leadSeconds: number,
): Forecast | undefined {
  let best: Forecast | undefined;
  const size = rule.bucketSeconds * 1000;
  const last = bucketStart(rule, now + leadSeconds * 1000);
  for (let at = bucketStart(rule, now); at <= last; at += size) {
    const value = profile.peaks[bucketIndex(rule, at)];
    if (value !== null && value !== undefined && (!best || value > best.replicas))
      best = { replicas: value, bucketAt: at };
  }
  return best;
}

/** What predictive scaling answers: the profile to remember and, when it acts, a floor and why. */
export interface PredictiveOutcome {
  profile: DemandProfile;
  /** The floor on the desired count (forecast-and-scale only, and only above what was asked for). */
  floor?: number;
  /** The floor holds a scale-in back, rather than raising a scale-out. */
  keep?: boolean;
  /** Why: the forecast and what was done with it (absent when there is nothing to say). */
  reason?: string;
}

function clock(rule: PredictiveRule, ms: number): string {
  const minutes = Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const day = rule.weekly ? (isWeekend(ms) ? ' (weekend)' : ' (weekday)') : '';
  return `${hhmm(minutes)}-${hhmm(minutes + rule.bucketSeconds / 60)} UTC${day}`;
}

/** True when the verdict's forecast would have set a floor above the observed peak × (1 + ratio). */
export function forecastWasWrong(rule: PredictiveRule, verdict: DemandProfile['verdict']): boolean {
  if (!verdict) return false;
  return ceilCount(verdict[0]) > ceilCount(verdict[1] * (1 + rule.maxForecastErrorRatio));
}

/**
 * Predictive scaling (issue 17: "learn a daily and weekly profile from the target's own recorded history ...
 * and scale ahead of it, as AWS predictive scaling does, falling back to reactive when the forecast is
 * wrong"). Each decision folds the tracked metrics' demand (unrounded replicas at target, smoothed over a
 * minute) into a profile of bucket peaks; once a profile has `minHistorySeconds` of history, its forecast
 * for the buckets from now to a lead ahead is a floor, for scale-outs and scale-ins alike (AWS's forecast
 * sets the minimum capacity), at most `ceiling` (maxCapacity, a plan's ceiling). The reactive rules can
 * always go higher. While the last closed bucket's forecast would have set a floor above its observed peak
 * × (1 + `maxForecastErrorRatio`), no floor: reactive only. `forecast-only` explains and never acts.
 *
 * Worked example: 15-minute buckets, lead 525 s, now 13:55 UTC; the 13:45 slot forecasts 5.2 replicas and
 * the 14:00 slot 7.3; target tracking asks for 6: the floor is ceil(7.3) = 8, so the target goes to 8 now,
 * and the replicas are ready by about 14:04.
 */
export function predictScale(
  rule: PredictiveRule,
  stored: DemandProfile | undefined,
  point: DemandNow | undefined,
  now: number,
  leadSeconds: number,
  current: number,
  desired: number,
  ceiling: number,
): PredictiveOutcome {
  const profile = recordProfile(rule, stored, point, now);
  const fed = profile.fedSeconds[profileOf(rule, now + leadSeconds * 1000)] ?? 0;
  const only = rule.mode === 'forecast-only' ? ' (forecast only)' : '';
  if (fed < rule.minHistorySeconds)
    return {
      profile,
      reason: `predictive${only}: ${num(fed / 3600)} h of history, ${num(rule.minHistorySeconds / 3600)} h before a forecast is used: reactive only`,
    };
  if (forecastWasWrong(rule, profile.verdict)) {
    const [forecast, observed] = profile.verdict!;
    return {
      profile,
      reason: `predictive${only}: the last bucket was forecast at ${num(forecast)} replicas, ${num(observed)} came (over by more than ${num(rule.maxForecastErrorRatio * 100)} %): reactive only`,
    };
  }
  const forecast = forecastAhead(rule, profile, now, leadSeconds);
  if (!forecast)
    return { profile, reason: `predictive${only}: no forecast for the next ${leadSeconds} s: reactive only` };
  const wanted = ceilCount(forecast.replicas);
  const floor = Math.min(wanted, ceiling);
  const capped = floor < wanted ? ` (capped at the ceiling ${ceiling})` : '';
  const what = `forecast ${num(forecast.replicas)} replicas for ${clock(rule, forecast.bucketAt)}, ${leadSeconds} s lead: floor ${floor}${capped}`;
  if (rule.mode === 'forecast-only')
    return {
      profile,
      reason: `predictive${only}: ${what}; ${floor > desired ? `would be ${floor}, not ${desired}` : 'would not change it'}`,
    };
  if (floor <= desired) return { profile };
  if (floor <= current && desired < current)
    return { profile, floor, keep: true, reason: `scale-in held at ${floor}, not ${desired}: predictive ${what}` };
  return { profile, floor, reason: `predictive ${what}, not ${desired}` };
}
