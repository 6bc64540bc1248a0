import type { Policy, TargetTracking } from '../schema/policy.ts';
import { dict, own, withEntry } from '../dictionary.ts';

export type Sample = [at: number, value: number];
export type SampleStore = Record<string, Sample[]>;

/** At most this many samples per metric: a 1-hour window of 2-second samples. Bounds memory in Redis. */
export const MAX_SAMPLES_PER_METRIC = 1800;

/** How long samples of a metric must be kept: the longest window that reads them. */
export function retentionMs(policy: Policy, metric: string): number {
  let keep = policy.burst.enabled ? policy.burst.windowSeconds : 0;
  for (const rule of policy.targetTracking) {
    if (rule.metric === metric) keep = Math.max(keep, rule.windowSeconds);
  }
  // The latest sample is used when the window is empty, until it goes stale: keep that long too.
  return Math.max(keep, policy.missingMetrics.staleAfterSeconds) * 1000;
}

export function isTracked(policy: Policy, metric: string): boolean {
  return policy.targetTracking.some((rule) => rule.metric === metric);
}

/**
 * Insert a sample in time order (alarms can arrive late and out of order), drop samples older than the
 * retention, and cap the count. Returns a new store; the input is not changed.
 */
export function addSample(
  store: SampleStore,
  metric: string,
  sample: Sample,
  now: number,
  keepMs: number,
): SampleStore {
  const old = own(store, metric) ?? [];
  const cutoff = now - keepMs;
  const last = old[old.length - 1];
  if (last === undefined || sample[0] >= last[0]) {
    // Common case: samples arrive in order. Skip the expired head, append.
    let first = 0;
    while (first < old.length && (old[first] as Sample)[0] < cutoff) first += 1;
    const kept = old.slice(Math.max(first, old.length + 1 - MAX_SAMPLES_PER_METRIC));
    if (sample[0] >= cutoff) kept.push(sample);
    return withEntry(store, metric, kept);
  }
  const next: Sample[] = [];
  let inserted = false;
  for (const existing of old) {
    if (existing[0] < cutoff) continue;
    if (!inserted && sample[0] < existing[0]) {
      next.push(sample);
      inserted = true;
    }
    next.push(existing);
  }
  if (!inserted && sample[0] >= cutoff) next.push(sample);
  const capped = next.length > MAX_SAMPLES_PER_METRIC ? next.slice(next.length - MAX_SAMPLES_PER_METRIC) : next;
  return withEntry(store, metric, capped);
}

/**
 * Drop samples past their retention and metrics the policy no longer tracks. `skip` names a metric that
 * `addSample` is about to prune anyway. Returns the same object when nothing needs dropping (the common case).
 */
export function pruneSamples(store: SampleStore, policy: Policy, now: number, skip?: string): SampleStore {
  let pruned: SampleStore | undefined;
  for (const metric in store) {
    if (metric === skip) continue;
    const samples = store[metric] as Sample[];
    const tracked = isTracked(policy, metric);
    const cutoff = now - retentionMs(policy, metric);
    let first = 0;
    if (tracked) while (first < samples.length && (samples[first] as Sample)[0] < cutoff) first += 1;
    if (tracked && first === 0) continue;
    pruned ??= dict(store);
    if (!tracked || first === samples.length) delete pruned[metric];
    else pruned[metric] = samples.slice(first);
  }
  return pruned ?? store;
}

export interface AggregatedValue {
  value: number;
  /** Samples that went into it. */
  count: number;
  /** Time of the newest sample used. */
  latestAt: number;
}

/**
 * {@link aggregate} over two windows of the same samples in one pass (target tracking's window and burst
 * mode's short one): the samples are read once, not twice, and each result is exactly what `aggregate`
 * gives (the same samples summed in the same order).
 */
export function aggregateTwo(
  samples: readonly Sample[] | undefined,
  now: number,
  windowSeconds: number,
  aggregation: TargetTracking['aggregation'],
  shortWindowSeconds: number,
  staleAfterMs: number,
): [AggregatedValue | undefined, AggregatedValue | undefined] {
  if (!samples || samples.length === 0) return [undefined, undefined];
  const start = now - windowSeconds * 1000;
  const shortStart = now - shortWindowSeconds * 1000;
  let sum = 0;
  let max = -Infinity;
  let count = 0;
  let shortSum = 0;
  let shortCount = 0;
  let latest: Sample | undefined;
  for (const sample of samples) {
    const at = sample[0];
    if (at > now) continue;
    latest = sample;
    if (at > start || (windowSeconds === 0 && at === now)) {
      sum += sample[1];
      max = Math.max(max, sample[1]);
      count += 1;
    }
    if (at > shortStart || (shortWindowSeconds === 0 && at === now)) {
      shortSum += sample[1];
      shortCount += 1;
    }
  }
  if (!latest || now - latest[0] > staleAfterMs) return [undefined, undefined];
  const newest = { value: latest[1], count: 1, latestAt: latest[0] };
  const long =
    count === 0 || aggregation === 'latest' || windowSeconds === 0
      ? newest
      : { value: aggregation === 'max' ? max : sum / count, count, latestAt: latest[0] };
  const short =
    shortCount === 0 || shortWindowSeconds === 0
      ? newest
      : { value: shortSum / shortCount, count: shortCount, latestAt: latest[0] };
  return [long, short];
}

/**
 * Combine the samples of the last `windowSeconds` (average, max or latest). When the window holds no sample
 * (alarms deliver once a minute, the window may be shorter) the newest sample stands in, as long as it is
 * younger than `staleAfterMs`. Samples from after `now` are ignored. Undefined means "no fresh data".
 */
export function aggregate(
  samples: readonly Sample[] | undefined,
  now: number,
  windowSeconds: number,
  aggregation: TargetTracking['aggregation'],
  staleAfterMs: number,
): AggregatedValue | undefined {
  if (!samples || samples.length === 0) return undefined;
  const windowStart = now - windowSeconds * 1000;
  let sum = 0;
  let max = -Infinity;
  let count = 0;
  let latest: Sample | undefined;
  for (const sample of samples) {
    if (sample[0] > now) continue;
    latest = sample;
    if (sample[0] > windowStart || (windowSeconds === 0 && sample[0] === now)) {
      sum += sample[1];
      max = Math.max(max, sample[1]);
      count += 1;
    }
  }
  if (!latest || now - latest[0] > staleAfterMs) return undefined;
  if (count === 0 || aggregation === 'latest' || windowSeconds === 0) {
    return { value: latest[1], count: 1, latestAt: latest[0] };
  }
  return { value: aggregation === 'max' ? max : sum / count, count, latestAt: latest[0] };
}
