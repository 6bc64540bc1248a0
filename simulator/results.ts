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
  const ttftMs = Float64Array.from(queue.ttftSeconds, (seconds) => seconds * 1000);
  const sorted = Float64Array.from(ttftMs).sort();
  let over = 0;
  for (const value of ttftMs) if (value > settings.sloMs) over++;
  const minutes = workload.neededPerMinute.length;
  const byMinute: number[][] = Array.from({ length: minutes }, () => []);
  workload.trace.requests.forEach((request, i) => {
    const minute = Math.min(minutes - 1, Math.floor((request.arrivalAt - workload.trace.startAt) / 60_000));
    byMinute[minute]!.push(ttftMs[i]!);
  });
  const p95PerMinute = byMinute.map((values) =>
    values.length === 0
      ? null
      : percentile(
          values.sort((a, b) => a - b),
          0.95,
        ),
  );
  const readyPerMinute = Array.from({ length: minutes }, (_, minute) => {
    const slice = series.ready.subarray(minute * 60, Math.min(series.ready.length, minute * 60 + 60));
    return slice.length === 0 ? 0 : slice.reduce((a, b) => a + b, 0) / slice.length;
  });
  const ttc = timeToCapacity(workload.neededPerMinute, series.ready);
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    name: run.name,
    costUsd: round(run.costUsd, 2),
    gpuHours: round(run.gpuHours, 2),
    sloViolationShare: round(ttftMs.length === 0 ? 0 : over / ttftMs.length, 4),
    sloViolationMinutes: p95PerMinute.filter((value) => value !== null && value > settings.sloMs).length,
    p50Ms: Math.round(percentile(sorted, 0.5)),
    p95Ms: Math.round(percentile(sorted, 0.95)),
    p99Ms: Math.round(percentile(sorted, 0.99)),
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
