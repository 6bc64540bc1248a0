import { DEFAULT_BOOT_SECONDS } from '../adapters/fake-cloud/cloud.ts';
import { isInsufficientCapacityError } from '../adapters/ports/actuator.ts';
import type { Autoscaler, AutoscalerContext } from './autoscaler.ts';
import { fixedCapacity } from './baselines/static-peak.ts';
import { simulateRun } from './engine.ts';
import { oracleNeed, QueueWalk, requestTimes } from './oracle-need.ts';
import { oraclePlan, type OraclePlan } from './oracle-plan.ts';
import type { RunResult } from './results.ts';
import type { SimulationSettings, Workload } from './settings.ts';

/** The hindsight oracle's figures for one workload (`oracle` in `tide simulate --json`). */
export interface OracleResult {
  /** The cheaper of `plan` and `constant`: what a clairvoyant operator pays. */
  costUsd: number;
  sloViolationShare: number;
  /** Which of the two it is. */
  chosen: 'plan' | 'constant';
  /** Requests no capacity serves within the SLO (their prefill alone is longer), and their share. */
  excludedRequests: number;
  excludedShare: number;
  /** The launch and release plan for the per-minute need, replayed through the simulated cloud. */
  plan: { costUsd: number; sloViolationShare: number; peakReplicas: number; launches: number; p95Ms: number };
  /** The cheapest constant capacity whose measured share is at most `sloBar` (null: none up to the cap). */
  constant: { replicas: number; costUsd: number; sloViolationShare: number } | null;
  /** The SLO share the constant capacity had to meet: the best baseline's, or the plan's without one. */
  sloBar: number;
}

/**
 * Replays an {@link OraclePlan}: it knows each launch's boot delay ahead (the cloud's `peekBootSeconds`), so
 * it launches each replica exactly one boot before the second it must serve from, and at the end of an
 * interval releases a ready replica (never one still booting for a later interval). It is stepped from the
 * first second: nothing in it waits for metrics.
 */
export function oracleReplay(plan: OraclePlan, longestBoot: number): Autoscaler {
  const starts = plan.intervals.filter((interval) => interval.from > 0);
  const ends = plan.intervals.map((interval) => interval.to).sort((a, b) => a - b);
  let nextStart = 0;
  let nextEnd = 0;
  return {
    name: 'oracle',
    async step(context: AutoscalerContext) {
      const { cloud, poolId, now } = context;
      while (nextEnd < ends.length && ends[nextEnd]! <= now) {
        nextEnd++;
        const capacity = await cloud.readCapacity('oracle');
        const nodes = capacity.pools.find((pool) => pool.poolId === poolId)?.nodes ?? [];
        // The newest ready replica; one still booting only if none is ready (a boot longer than planned).
        const [node] = [...nodes].sort(
          (a, b) =>
            Number(b.state === 'ready') - Number(a.state === 'ready') || (b.launchedAt ?? 0) - (a.launchedAt ?? 0),
        );
        if (node) cloud.releaseNode(poolId, node.id);
      }
      // Launch k-th draws in order: the next launch takes the next draw, whichever interval it serves. So
      // launch now when some pending interval j could otherwise not be covered: launching the next j + 1
      // draws now readies the slowest of them exactly at its start (a long draw behind a short one would
      // otherwise start only after the short one's launch, late).
      let launches = 0;
      for (;;) {
        let slowest = 0;
        let due = false;
        for (let j = nextStart; j < starts.length; j++) {
          slowest = Math.max(slowest, cloud.peekBootSeconds(poolId, launches + j - nextStart));
          if (now + slowest >= starts[j]!.from) {
            due = true;
            break;
          }
          if (starts[j]!.from > now + longestBoot) break;
        }
        if (!due) break;
        nextStart++;
        launches++;
      }
      if (launches === 0) return;
      try {
        cloud.setDesired(poolId, cloud.totalDesired() + launches);
      } catch (error) {
        // On spot, a pool out of capacity keeps the desired count and retries, like every baseline's.
        if (!isInsufficientCapacityError(error)) throw error;
      }
    },
  };
}

/**
 * Violations with `replicas` held constant all run long, walking the same FIFO queue as the engine (a
 * request over the SLO when its time to first token in ms exceeds `sloMs`, as `summarize` counts).
 */
function constantViolations(
  times: ReturnType<typeof requestTimes>,
  slots: number,
  sloMs: number,
  censorAt: number,
  /** Stop counting once more than this many are over (the answer is then "too many"): a bisection's misses end early. */
  limit = Number.POSITIVE_INFINITY,
): number {
  const queue = new QueueWalk(times.arrival, times.service);
  let over = 0;
  const finished = queue.walk(censorAt, slots, times.arrival.length, (i, at) => {
    if ((at - times.arrival[i]! + times.prefill[i]!) * 1000 > sloMs) over++;
    return over <= limit;
  });
  if (!finished) return over;
  // Requests not started by the censoring time are over the SLO (they waited an hour).
  return over + (times.arrival.length - queue.started);
}

/**
 * The cheapest constant capacity whose share of requests over the SLO is at most `share`: more replicas
 * never start a FIFO request later, so the share falls as the count grows and a bisection finds it.
 * Searched up to `cap` replicas; undefined when even that misses.
 */
export function cheapestConstant(
  workload: Workload,
  settings: SimulationSettings,
  share: number,
  cap: number,
): number | undefined {
  const times = requestTimes(workload.trace, settings.model);
  const slotsPer = settings.model.concurrencyPerGpu;
  const n = times.arrival.length;
  const censorAt = workload.durationSeconds + 3600;
  // A capacity misses as soon as more than `allowed` requests are over: the walk stops there.
  const allowed = Math.floor((share + 1e-12) * n);
  const meets = (replicas: number) =>
    n === 0 || constantViolations(times, replicas * slotsPer, settings.sloMs, censorAt, allowed) <= allowed;
  if (!meets(cap)) return undefined;
  let low = Math.max(1, settings.minReplicas);
  let high = cap;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (meets(middle)) high = middle;
    else low = middle + 1;
  }
  return high;
}

/**
 * The hindsight oracle (issue 17): the per-minute need ({@link oracleNeed}), the cheapest launch and release
 * plan for it ({@link oraclePlan}), replayed through the same simulated cloud as every autoscaler, so its
 * cost and SLO share are measured; then the cheapest constant capacity that keeps `sloBar` (the best
 * baseline's share), also replayed; the cheaper of the two is the oracle.
 */
export async function runOracle(
  workload: Workload,
  settings: SimulationSettings,
  sloBar?: number,
): Promise<OracleResult & { runs: RunResult[] }> {
  const need = oracleNeed(
    workload.trace,
    settings.model,
    settings.sloMs,
    workload.neededPerMinute.length,
    settings.minReplicas,
  );
  const median = settings.bootSeconds[settings.instanceType] ?? settings.bootSeconds.default ?? DEFAULT_BOOT_SECONDS;
  const longest = settings.bootSpread ? median * settings.bootSpread.maxRatio : median;
  const plan = oraclePlan(need.perMinute, median, workload.durationSeconds, longest);
  const planRun = await simulateRun(workload, settings, () => oracleReplay(plan, longest), {
    initialReplicas: plan.initialReplicas,
    stepFromSecond: 0,
    neverRefused: true,
  });
  const bar = sloBar ?? planRun.sloViolationShare;
  let peak = 0;
  for (const value of need.perMinute) peak = Math.max(peak, value);
  const cap = Math.max(peak, workload.peakReplicas) * 2;
  const replicas = cheapestConstant(workload, settings, bar, cap);
  const runs: RunResult[] = [{ ...planRun, name: 'oracle-plan' }];
  let constant: OracleResult['constant'] = null;
  if (replicas !== undefined) {
    const run = await simulateRun(workload, settings, () => fixedCapacity(replicas), {
      static: true,
      fixedReplicas: replicas,
    });
    runs.push(run);
    constant = { replicas, costUsd: run.costUsd, sloViolationShare: run.sloViolationShare };
  }
  const chosen = constant && constant.costUsd < planRun.costUsd ? 'constant' : 'plan';
  const requests = workload.trace.requests.length;
  return {
    costUsd: chosen === 'constant' ? constant!.costUsd : planRun.costUsd,
    sloViolationShare: chosen === 'constant' ? constant!.sloViolationShare : planRun.sloViolationShare,
    chosen,
    excludedRequests: need.excludedRequests,
    excludedShare: requests === 0 ? 0 : Math.round((need.excludedRequests / requests) * 10_000) / 10_000,
    plan: {
      costUsd: planRun.costUsd,
      sloViolationShare: planRun.sloViolationShare,
      peakReplicas: peak,
      launches: plan.intervals.length - plan.initialReplicas,
      p95Ms: planRun.p95Ms,
    },
    constant,
    sloBar: bar,
    runs,
  };
}
