import type { SimulationSettings, Workload } from './settings.ts';
import type { ServingQueue } from './serving.ts';

/** Per-second capacity of one run. */
export interface RunSeries {
  ready: Float64Array;
  desired: Float64Array;
}

/** One autoscaler's results on one workload: the fields of `tide simulate --json`. */
export interface RunResult {
  /** `tide`, `static-peak`, `hpa`, `aws-target-tracking`, `keda` or `knative-kpa`. */
  name: string;
  /** Dollars billed: every instance, per second, from launch (booting included) to release. */
  costUsd: number;
  /** GPU-hours provisioned (booting included). */
  gpuHours: number;
  /** Share of requests whose time to first token exceeded the SLO, 0 to 1. */
  sloViolationShare: number;
  /** Minutes whose arrivals had a p95 time to first token above the SLO. */
  sloViolationMinutes: number;
  /** Time to first token percentiles over all requests, ms. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Changes of the desired count the autoscaler made. */
  scalingActions: number;
  /** Mean seconds from a load step to enough ready replicas; null when the workload has no load step. */
  timeToCapacitySeconds: number | null;
  /** Load steps the mean is over. */
  loadSteps: number;
  requests: number;
  /**
   * Spot runs: replicas reclaimed by the spot market, and the requests they were serving when it happened
   * (estimated: requests in service × the replica's share of the slots; the model serves them to the end).
   */
  preemptedReplicas?: number;
  requestsOnPreemptedReplicas?: number;
  /** Per minute: mean ready replicas and the p95 time to first token (ms) of the minute's arrivals (null: none). */
  perMinute: { ready: number[]; p95Ms: Array<number | null> };
}

/** The p-th percentile (0-1) by nearest rank of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Rearrange `values[from, to)` so that the element at `k` is the one a sort would put there, everything
 * before it no greater and everything after it no smaller (Hoare's selection with a median-of-three pivot):
 * linear on average, where a sort of a week's 6 M times to first token took most of a run's summary.
 */
export function selectInPlace(values: Float64Array, k: number, from = 0, to = values.length): number {
  let lo = from;
  let hi = to - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot, so sorted and equal runs stay linear.
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

/** {@link percentile} of unsorted values, by selection; `values` is reordered. */
export function selectPercentile(values: Float64Array, p: number, from = 0, to = values.length): number {
  const n = to - from;
  if (n === 0) return 0;
  return selectInPlace(values, from + Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1)), from, to);
}

/**
 * Load steps: minutes whose need is a new high over the previous five minutes by at least 20 % (and at
 * least one replica), so the ordinary minute-to-minute wobble of a trace is not counted as a step.
 */
export function loadSteps(neededPerMinute: readonly number[]): number[] {
  const steps: number[] = [];
  for (let minute = 1; minute < neededPerMinute.length; minute++) {
    const previous = Math.max(...neededPerMinute.slice(Math.max(0, minute - 5), minute));
    const need = neededPerMinute[minute]!;
    if (need > previous && need >= previous * 1.2) steps.push(minute);
  }
  return steps;
}

/**
 * Seconds from each load step until the ready replicas first reach the step's need (0 if they already
 * did; a step never met counts until the end of the run), averaged.
 */
export function timeToCapacity(
  neededPerMinute: readonly number[],
  ready: ArrayLike<number>,
): { mean: number | null; steps: number } {
  const steps = loadSteps(neededPerMinute);
  if (steps.length === 0) return { mean: null, steps: 0 };
  let total = 0;
  for (const minute of steps) {
    const need = neededPerMinute[minute]!;
    let second = minute * 60;
    while (second < ready.length && ready[second]! < need) second++;
    total += second - minute * 60;
  }
  return { mean: Math.round(total / steps.length), steps: steps.length };
}

function minuteOf(workload: Workload, arrivalAt: number, minutes: number): number {
  return Math.min(minutes - 1, Math.floor((arrivalAt - workload.trace.startAt) / 60_000));
}

const minuteStartsCache = new WeakMap<Workload, Int32Array | null>();

/**
 * Where each minute's arrivals start in the trace (`minutes + 1` indices), when the requests are in arrival
 * order (a parsed trace always is); null otherwise. Worked out once per workload and shared by every run.
 */
function minuteStarts(workload: Workload, minutes: number): Int32Array | null {
  const cached = minuteStartsCache.get(workload);
  if (cached !== undefined) return cached;
  const { requests } = workload.trace;
  let starts: Int32Array | null = new Int32Array(minutes + 1);
  let minute = 0;
  for (let i = 0; i < requests.length; i++) {
    const at = minuteOf(workload, requests[i]!.arrivalAt, minutes);
    if (at < minute) {
      starts = null;
      break;
    }
    while (minute < at) starts[++minute] = i;
  }
  if (starts) while (minute < minutes) starts[++minute] = requests.length;
  minuteStartsCache.set(workload, starts);
  return starts;
}

/** Turn a finished run into its {@link RunResult}. */
export function summarize(run: {
  name: string;
  workload: Workload;
  settings: SimulationSettings;
  queue: ServingQueue;
  series: RunSeries;
  costUsd: number;
  gpuHours: number;
  scalingActions: number;
}): RunResult {
  const { workload, settings, queue, series } = run;
  // Typed arrays and plain loops throughout: a week is about 6 M requests, and a per-request closure or a
  // JS array per minute made this the slowest part of a week's replay (about a third of its CPU, with the
  // garbage it left).
  const count = queue.ttftSeconds.length;
  const ttftMs = new Float64Array(count);
  let over = 0;
  for (let i = 0; i < count; i++) {
    const value = queue.ttftSeconds[i]! * 1000;
    ttftMs[i] = value;
    if (value > settings.sloMs) over++;
  }
  // p50, p95 and p99 by selection on one copy: each selection leaves the larger values above its index, so
  // the next one searches only those.
  const scratch = ttftMs.slice();
  const rank = (p: number) => Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1));
  const p50 = count === 0 ? 0 : selectInPlace(scratch, rank(0.5));
  const p95 = count === 0 ? 0 : selectInPlace(scratch, rank(0.95), rank(0.5));
  const p99 = count === 0 ? 0 : selectInPlace(scratch, rank(0.99), rank(0.95));
  const minutes = workload.neededPerMinute.length;
  const p95PerMinute: Array<number | null> = new Array(minutes).fill(null);
  const starts = minuteStarts(workload, minutes);
  if (starts) {
    for (let minute = 0; minute < minutes; minute++) {
      const from = starts[minute]!;
      const to = starts[minute + 1]!;
      if (to > from) p95PerMinute[minute] = selectPercentile(ttftMs, 0.95, from, to);
    }
  } else {
    const byMinute: number[][] = Array.from({ length: minutes }, () => []);
    workload.trace.requests.forEach((request, i) => {
      byMinute[minuteOf(workload, request.arrivalAt, minutes)]!.push(ttftMs[i]!);
    });
    byMinute.forEach((values, minute) => {
      if (values.length > 0) p95PerMinute[minute] = percentile(Float64Array.from(values).sort(), 0.95);
    });
  }
  const readyPerMinute = new Array<number>(minutes);
  for (let minute = 0; minute < minutes; minute++) {
    const from = minute * 60;
    const to = Math.min(series.ready.length, from + 60);
    let sum = 0;
    for (let s = from; s < to; s++) sum += series.ready[s]!;
    readyPerMinute[minute] = to > from ? sum / (to - from) : 0;
  }
  const ttc = timeToCapacity(workload.neededPerMinute, series.ready);
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    name: run.name,
    costUsd: round(run.costUsd, 2),
    gpuHours: round(run.gpuHours, 2),
    sloViolationShare: round(ttftMs.length === 0 ? 0 : over / ttftMs.length, 4),
    sloViolationMinutes: p95PerMinute.filter((value) => value !== null && value > settings.sloMs).length,
    p50Ms: Math.round(p50),
    p95Ms: Math.round(p95),
    p99Ms: Math.round(p99),
    scalingActions: run.scalingActions,
    timeToCapacitySeconds: ttc.mean,
    loadSteps: ttc.steps,
    requests: ttftMs.length,
    perMinute: {
      ready: readyPerMinute.map((value) => round(value, 2)),
      p95Ms: p95PerMinute.map((value) => (value === null ? null : Math.round(value))),
    },
  };
}
