import type { RunResult } from './results.ts';

/**
 * The autoscaling baselines "best baseline" is chosen from (static provisioning and the oracle are compared
 * on their own): every default form and every variant that is run, so that a variant that does better than
 * its default (the plan-less form on a day without surprises, say) still sets the bar.
 */
export const AUTOSCALING_BASELINES = [
  'hpa',
  'aws-target-tracking',
  'aws-target-tracking-1m',
  'aws-target-tracking-plan-less',
  'keda',
  'keda-cached',
  'keda-plan-less',
  'knative-kpa',
] as const;

/** Issue 17's clauses, per workload and over a suite. */
export const GOAL = {
  /** Tide's share of requests over the SLO may exceed the best baseline's by at most this (0.1 point). */
  sloSlack: 0.001,
  /** Tide may cost at most this many times the oracle on every workload. */
  maxCostOverOracle: 2.0,
  /** …and at most this many times on the median workload of the suite. */
  maxMedianCostOverOracle: 1.4,
} as const;

/** Whether Tide met issue 17's goal on one workload, with the figures that decide it. */
export interface GoalCheck {
  /** The autoscaling baseline with the lowest SLO-violation share (the cheaper one on a tie). */
  bestBaseline: string;
  bestBaselineSloViolationShare: number;
  /** Tide's cost ÷ the oracle's (null without an oracle). */
  costOverOracle: number | null;
  /** The best baseline's cost ÷ the oracle's. */
  bestBaselineCostOverOracle: number | null;
  /** 1 − Tide's cost ÷ static-peak's, next to the trace's peak-to-mean ratio (reported, not gated on). */
  savingVsStatic: number | null;
  clauses: {
    /** Tide's violation share ≤ the best baseline's + 0.1 point. */
    sloWithinBestBaseline: boolean;
    /** Tide's cost ≤ 2.0 × the oracle's (false without an oracle). */
    costWithin2xOracle: boolean;
  };
  /** Both clauses hold (the median clause is the suite's: see {@link checkSuiteGoal}). */
  met: boolean;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The best autoscaling baseline of a set of runs: the lowest SLO share, the cheaper on a tie. */
export function bestBaseline(runs: readonly RunResult[]): RunResult | undefined {
  const baselines = runs.filter((run) => (AUTOSCALING_BASELINES as readonly string[]).includes(run.name));
  return [...baselines].sort((a, b) => a.sloViolationShare - b.sloViolationShare || a.costUsd - b.costUsd)[0];
}

/** Check issue 17's per-workload goal against the oracle's cost. */
export function checkGoal(runs: readonly RunResult[], oracleCostUsd?: number): GoalCheck | undefined {
  const tide = runs.find((run) => run.name === 'tide');
  const statics = runs.find((run) => run.name === 'static-peak');
  const best = bestBaseline(runs);
  if (!tide || !best) return undefined;
  const over = (cost: number) => (oracleCostUsd && oracleCostUsd > 0 ? round(cost / oracleCostUsd) : null);
  const costOverOracle = over(tide.costUsd);
  const sloWithinBestBaseline = tide.sloViolationShare <= best.sloViolationShare + GOAL.sloSlack + 1e-12;
  const costWithin2xOracle = costOverOracle !== null && costOverOracle <= GOAL.maxCostOverOracle;
  return {
    bestBaseline: best.name,
    bestBaselineSloViolationShare: best.sloViolationShare,
    costOverOracle,
    bestBaselineCostOverOracle: over(best.costUsd),
    savingVsStatic: statics ? round(1 - tide.costUsd / statics.costUsd) : null,
    clauses: { sloWithinBestBaseline, costWithin2xOracle },
    met: sloWithinBestBaseline && costWithin2xOracle,
  };
}

/** Issue 17, section 5: Tide on spot against the same policy all on-demand. */
export const SPOT_GOAL = {
  /** At least this much cheaper than all on-demand (SkyServe reports up to 44 %). */
  minSaving: 0.45,
  /** Share over the SLO at most this much above the on-demand run's (0.5 point). */
  sloSlack: 0.005,
} as const;

/** Tide's spot run against its all-on-demand run, and whether section 5's goal holds. */
export interface SpotComparison {
  onDemandCostUsd: number;
  onDemandSloViolationShare: number;
  spotCostUsd: number;
  spotSloViolationShare: number;
  /** 1 − spot cost ÷ on-demand cost. */
  saving: number;
  /** Spot share over the SLO − on-demand share, in points. */
  sloDeltaPoints: number;
  preemptedReplicas: number;
  requestsOnPreemptedReplicas: number;
  clauses: { atLeast45PercentCheaper: boolean; sloWithinHalfPoint: boolean };
  met: boolean;
}

/** Compare Tide's spot run with its all-on-demand run (section 5's two clauses). */
export function checkSpotGoal(spot: RunResult, onDemand: RunResult): SpotComparison {
  const saving = onDemand.costUsd > 0 ? round(1 - spot.costUsd / onDemand.costUsd) : 0;
  const atLeast45PercentCheaper = saving >= SPOT_GOAL.minSaving;
  const sloWithinHalfPoint = spot.sloViolationShare <= onDemand.sloViolationShare + SPOT_GOAL.sloSlack + 1e-12;
  return {
    onDemandCostUsd: onDemand.costUsd,
    onDemandSloViolationShare: onDemand.sloViolationShare,
    spotCostUsd: spot.costUsd,
    spotSloViolationShare: spot.sloViolationShare,
    saving,
    sloDeltaPoints: round((spot.sloViolationShare - onDemand.sloViolationShare) * 100, 2),
    preemptedReplicas: spot.preemptedReplicas ?? 0,
    requestsOnPreemptedReplicas: spot.requestsOnPreemptedReplicas ?? 0,
    clauses: { atLeast45PercentCheaper, sloWithinHalfPoint },
    met: atLeast45PercentCheaper && sloWithinHalfPoint,
  };
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Issue 17's goal over a suite: every workload's clauses, and Tide's median cost ÷ oracle ≤ 1.4. */
export function checkSuiteGoal(goals: readonly GoalCheck[]): {
  medianCostOverOracle: number;
  medianWithin: boolean;
  everyWorkload: boolean;
  met: boolean;
} {
  const ratios = goals.map((goal) => goal.costOverOracle ?? Number.POSITIVE_INFINITY);
  const medianCostOverOracle = round(median(ratios));
  const medianWithin = medianCostOverOracle <= GOAL.maxMedianCostOverOracle;
  const everyWorkload = goals.every((goal) => goal.met);
  return { medianCostOverOracle, medianWithin, everyWorkload, met: medianWithin && everyWorkload };
}

/** Tide and the autoscaling baselines: the runs the SLO clause and the mean share speak of (not static provisioning). */
function heldToSloClause(run: RunResult): boolean {
  return run.name === 'tide' || (AUTOSCALING_BASELINES as readonly string[]).includes(run.name);
}

/**
 * Issue 17's SLO clause applied to every autoscaler alike (context for the goal, not a clause of it): on how
 * many workloads each one's share of requests over the SLO is within 0.1 point of the best autoscaling
 * baseline other than itself. Tide is held to every baseline; a baseline to every other one.
 */
export function sloClauseByAutoscaler(
  workloads: ReadonlyArray<readonly RunResult[]>,
): Record<string, { within: number; of: number }> {
  const counts: Record<string, { within: number; of: number }> = {};
  for (const runs of workloads) {
    for (const run of runs) {
      if (!heldToSloClause(run)) continue;
      const best = bestBaseline(runs.filter((other) => other.name !== run.name));
      if (!best) continue;
      const within = run.sloViolationShare <= best.sloViolationShare + GOAL.sloSlack + 1e-12;
      const count = counts[run.name] ?? { within: 0, of: 0 };
      counts[run.name] = count;
      count.of += 1;
      if (within) count.within += 1;
    }
  }
  return counts;
}

/**
 * Each autoscaler's share of requests over the SLO, averaged over the workloads it ran on (each workload
 * weighs the same, whatever its length): where the per-workload clause compares with the best baseline of
 * each workload, this compares whole runs. Static provisioning is left out, as from the best baseline.
 */
export function meanSloShareByAutoscaler(
  workloads: ReadonlyArray<readonly RunResult[]>,
): Record<string, { mean: number; of: number }> {
  const sums: Record<string, { sum: number; of: number }> = {};
  for (const runs of workloads)
    for (const run of runs) {
      if (!heldToSloClause(run)) continue;
      const entry = sums[run.name] ?? { sum: 0, of: 0 };
      sums[run.name] = entry;
      entry.sum += run.sloViolationShare;
      entry.of += 1;
    }
  return Object.fromEntries(
    Object.entries(sums).map(([name, { sum, of }]) => [name, { mean: Math.round((sum / of) * 1e4) / 1e4, of }]),
  );
}

/**
 * The cheapest constant capacity (from a `--frontier` replay) whose SLO-violation share is at most
 * `share`: what a clairvoyant operator could hold for the whole run; undefined when none does.
 */
export function cheapestConstantWithin(frontier: readonly RunResult[], share: number): RunResult | undefined {
  return [...frontier].filter((run) => run.sloViolationShare <= share).sort((a, b) => a.costUsd - b.costUsd)[0];
}
