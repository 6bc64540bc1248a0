import type { Policy, TargetTracking } from '../schema/policy.ts';
import { dict, own, withEntry } from '../dictionary.ts';

/** One observation: [epoch ms, value]. */
export type Sample = [at: number, value: number];
/**
 * Several samples of one resolution step (see {@link SampleKeeping}) folded into one entry: the newest one's
 * time and value, how many there were, their sum and their largest value. Enough for every aggregation a
 * rule reads (average, max, latest) and for staleness, in five numbers however many samples arrived.
 */
export type MergedSamples = [at: number, latest: number, count: number, sum: number, max: number];
/** A stored entry: a single sample, or the samples of one resolution step. */
export type SampleEntry = Sample | MergedSamples;
export type SampleStore = Record<string, SampleEntry[]>;

/**
 * At most this many resolution steps per window: the step grows with the window so that a metric's entries
 * stay under about 1,800 (1 s up to a 1,800 s window, 2 s up to the 3,600 s the schema allows).
 */
export const MAX_STEPS_PER_WINDOW = 1800;
/**
 * Backstop only: entries of one metric never exceed this. The bound {@link SampleKeeping} documents is
 * lower, except for samples stamped after the decision's time (a sender's clock ahead, up to the fold's 60 s
 * of tolerated skew), each of which keeps an entry of its own until it leaves the window; this cap holds even
 * then.
 */
export const MAX_ENTRIES_PER_METRIC = 3600;

/**
 * What the rules of a policy read of one metric's samples, and so what is kept of them.
 *
 * Knative's autoscaler keeps its metrics in 1-second buckets; Tide does the same, per metric:
 * samples whose times fall in the same step of `resolutionMs` (aligned on the epoch) are kept as one entry
 * (count, sum, max, and the newest sample's time and value). A window of W seconds then holds at most
 * W·1000/resolutionMs + 1 entries, whatever the rate of events: 61 for a 60 s window at 1 s, where 500
 * events/s would otherwise bring 30,000 samples. Beyond the longest window, only the newest sample is kept,
 * while it is not stale and no newer one is in the past: it stands in for an empty window
 * ({@link aggregate}). So a metric holds at most `ceil(windowMs / resolutionMs) + 1` entries (as of the last
 * fold that recorded one of its samples) of at most five
 * numbers each (about 45 bytes of JSON): 61 entries, about 2.7 KB, for the default 60 s window.
 *
 * What it costs in exactness: an entry counts in a window when its newest sample does. The oldest step of a
 * window may therefore bring samples up to one step older than the window's start: a W-second window is read
 * as one of between W and W + resolution seconds. Averages are count-weighted (the average of the samples,
 * not of the steps) and equal up to float rounding; `latest`, the newest sample's time, and staleness are
 * exact. test/core/metric-samples.test.ts checks these bounds against the raw samples.
 */
export interface SampleKeeping {
  /** The longest window that reads the metric (target tracking, burst mode's short window), ms. */
  windowMs: number;
  /** The newest sample stands in for an empty window until it is this old (`missingMetrics.staleAfterSeconds`), ms. */
  staleMs: number;
  /** Samples in the same step of this many ms are kept as one entry. */
  resolutionMs: number;
}

/** How the samples of `metric` are kept under `policy` (see {@link SampleKeeping}). */
export function sampleKeeping(policy: Policy, metric: string): SampleKeeping {
  let window = policy.burst.enabled ? policy.burst.windowSeconds : 0;
  for (const rule of policy.targetTracking) {
    if (rule.metric === metric) window = Math.max(window, rule.windowSeconds);
  }
  return {
    windowMs: window * 1000,
    staleMs: policy.missingMetrics.staleAfterSeconds * 1000,
    resolutionMs: Math.max(1, Math.ceil(window / MAX_STEPS_PER_WINDOW)) * 1000,
  };
}

export function isTracked(policy: Policy, metric: string): boolean {
  return policy.targetTracking.some((rule) => rule.metric === metric);
}

/** `entry` with `sample` folded in; `newer`: the sample is at least as new as the entry's newest. */
function merge(entry: SampleEntry, sample: Sample, newer: boolean): MergedSamples {
  const [at, value] = sample;
  const single = entry.length === 2;
  const count = (single ? 1 : entry[2]) + 1;
  const sum = (single ? entry[1] : entry[3]) + value;
  const max = Math.max(single ? entry[1] : entry[4], value);
  return newer ? [at, value, count, sum, max] : [entry[0], entry[1], count, sum, max];
}

/**
 * How many of the oldest entries of `entries` no window reads at `now` any more: all those at or before the
 * longest window's start but the newest of them, which stays while it is not stale and no entry inside the
 * window is in the past; and any beyond {@link MAX_ENTRIES_PER_METRIC}. `entries` is read through `at`, the
 * time of its `i`-th entry, so that `addSample` can ask before it builds the list.
 */
function expiredCount(length: number, at: (i: number) => number, now: number, keeping: SampleKeeping): number {
  const cutoff = now - keeping.windowMs;
  let first = 0;
  while (first < length && at(first) <= cutoff) first += 1;
  if (first > 0 && (first === length || at(first) > now) && now - at(first - 1) <= keeping.staleMs) first -= 1;
  return Math.max(first, length - MAX_ENTRIES_PER_METRIC);
}

/** The entries still read at `now` ({@link expiredCount}). The same array when nothing goes. */
function expire(entries: SampleEntry[], now: number, keeping: SampleKeeping): SampleEntry[] {
  const first = expiredCount(entries.length, (i) => (entries[i] as SampleEntry)[0], now, keeping);
  return first === 0 ? entries : entries.slice(first);
}

/**
 * Insert a sample in time order (alarms can arrive late and out of order), folding it into the entry of its
 * resolution step when there is one, and drop what no window reads any more ({@link SampleKeeping}).
 * Samples (and entries) stamped after `now` are not merged: once merged, an entry is read whole or not at
 * all, and one with a future sample would hide its past ones. Such an entry stays apart from the entry of its
 * step (later samples merge into one of them) until it leaves the window. Returns a new store; the input is
 * not changed.
 *
 * The new list is built in one copy, with what expires already left out: this runs on every metric signal,
 * over up to {@link MAX_STEPS_PER_WINDOW} entries.
 */
export function addSample(
  store: SampleStore,
  metric: string,
  sample: Sample,
  now: number,
  keeping: SampleKeeping,
): SampleStore {
  const old = own(store, metric) ?? [];
  const at = sample[0];
  // Common case: samples arrive in order, the loop does not run.
  let index = old.length;
  while (index > 0 && (old[index - 1] as SampleEntry)[0] > at) index -= 1;
  const step = Math.floor(at / keeping.resolutionMs);
  const mergeable = (entry: SampleEntry | undefined) =>
    entry !== undefined && entry[0] <= now && Math.floor(entry[0] / keeping.resolutionMs) === step;
  // The entry the sample folds into (before it, else after it), or none (-1): then it is inserted at `index`.
  const merged = at > now ? -1 : mergeable(old[index - 1]) ? index - 1 : mergeable(old[index]) ? index : -1;
  // The new list before expiry: `old` with `entry` in place of the merged entry, or inserted at `index`.
  const slot = merged >= 0 ? merged : index;
  const entry = merged >= 0 ? merge(old[merged] as SampleEntry, sample, merged < index) : sample;
  const shift = merged >= 0 ? 0 : 1;
  const length = old.length + shift;
  const entryAt = (i: number) => (i < slot ? old[i] : i === slot ? entry : old[i - shift]) as SampleEntry;
  const first = expiredCount(length, (i) => entryAt(i)[0], now, keeping);
  const next = new Array<SampleEntry>(length - first);
  for (let i = first; i < length; i += 1) next[i - first] = entryAt(i);
  return withEntry(store, metric, next);
}

/**
 * Drop what no window reads any more and metrics the policy no longer tracks. `skip` names a metric that
 * `addSample` is about to prune anyway. Returns the same object when nothing needs dropping (the common case).
 */
export function pruneSamples(store: SampleStore, policy: Policy, now: number, skip?: string): SampleStore {
  let pruned: SampleStore | undefined;
  for (const metric in store) {
    if (metric === skip) continue;
    const entries = store[metric] as SampleEntry[];
    const kept = isTracked(policy, metric) ? expire(entries, now, sampleKeeping(policy, metric)) : [];
    if (kept === entries) continue;
    pruned ??= dict(store);
    if (kept.length === 0) delete pruned[metric];
    else pruned[metric] = kept;
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
  samples: readonly SampleEntry[] | undefined,
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
  let latest: SampleEntry | undefined;
  for (const entry of samples) {
    const at = entry[0];
    if (at > now) continue;
    latest = entry;
    const single = entry.length === 2;
    if (at > start || (windowSeconds === 0 && at === now)) {
      sum += single ? entry[1] : entry[3];
      max = Math.max(max, single ? entry[1] : entry[4]);
      count += single ? 1 : entry[2];
    }
    if (at > shortStart || (shortWindowSeconds === 0 && at === now)) {
      shortSum += single ? entry[1] : entry[3];
      shortCount += single ? 1 : entry[2];
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
  samples: readonly SampleEntry[] | undefined,
  now: number,
  windowSeconds: number,
  aggregation: TargetTracking['aggregation'],
  staleAfterMs: number,
): AggregatedValue | undefined {
  // aggregateTwo's first result is this one (the same samples summed in the same order): one loop to keep,
  // and a few hundred bytes less in every function bundle.
  return aggregateTwo(samples, now, windowSeconds, aggregation, windowSeconds, staleAfterMs)[0];
}
