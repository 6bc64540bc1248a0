import type { RunResult } from './results.ts';

/** The autoscaling baselines "best baseline" is chosen from (static provisioning is compared on its own). */
export const AUTOSCALING_BASELINES = ['hpa', 'aws-target-tracking', 'keda', 'knative-kpa'] as const;

/** Whether Tide met the goal on one workload, with the figures that decide it. */
export interface GoalCheck {
  /** The autoscaling baseline with the lowest SLO-violation share (the cheaper one on a tie). */
  bestBaseline: string;
  /** Tide's violation share ≤ the best baseline's. */
  keepsSlo: boolean;
  /** 1 − Tide's cost ÷ the best baseline's cost (goal ≥ 0.25). */
  savingVsBest: number;
  /** 1 − Tide's cost ÷ static-peak's cost (goal ≥ 0.5). */
  savingVsStatic: number;
  met: boolean;
  /**
   * With the workload's work floor (`workFloorUsd`): whether the goal's cost part can be met by any
   * autoscaler on this instance type. It cannot when serving every request with every slot busy all the
   * time already costs more than 75 % of the best baseline or 50 % of static-peak (work conservation).
   */
  feasibility?: {
    workFloorUsd: number;
    /** The most the goal allows Tide to cost: min(0.75 × best baseline, 0.5 × static-peak). */
    allowedUsd: number;
    feasible: boolean;
  };
}

/** Check the goal: SLO at least as well as the best baseline, ≥ 25 % cheaper than it, ≥ 50 % cheaper than static. */
export function checkGoal(runs: readonly RunResult[], workFloorUsd?: number): GoalCheck | undefined {
  const tide = runs.find((run) => run.name === 'tide');
  const statics = runs.find((run) => run.name === 'static-peak');
  const baselines = runs.filter((run) => (AUTOSCALING_BASELINES as readonly string[]).includes(run.name));
  if (!tide || !statics || baselines.length === 0) return undefined;
  const best = [...baselines].sort((a, b) => a.sloViolationShare - b.sloViolationShare || a.costUsd - b.costUsd)[0]!;
  const keepsSlo = tide.sloViolationShare <= best.sloViolationShare;
  const savingVsBest = 1 - tide.costUsd / best.costUsd;
  const savingVsStatic = 1 - tide.costUsd / statics.costUsd;
  return {
    bestBaseline: best.name,
    keepsSlo,
    savingVsBest: Math.round(savingVsBest * 1000) / 1000,
    savingVsStatic: Math.round(savingVsStatic * 1000) / 1000,
    met: keepsSlo && savingVsBest >= 0.25 && savingVsStatic >= 0.5,
    ...(workFloorUsd !== undefined ? { feasibility: feasibility(workFloorUsd, best.costUsd, statics.costUsd) } : {}),
  };
}

function feasibility(
  workFloorUsd: number,
  bestCostUsd: number,
  staticCostUsd: number,
): NonNullable<GoalCheck['feasibility']> {
  const allowedUsd = Math.round(Math.min(0.75 * bestCostUsd, 0.5 * staticCostUsd) * 100) / 100;
  return { workFloorUsd, allowedUsd, feasible: workFloorUsd <= allowedUsd };
}

/**
 * The cheapest constant capacity (from a `--frontier` replay) whose SLO-violation share is at most
 * `share`: what a clairvoyant operator could hold for the whole run; undefined when none does.
 */
export function cheapestConstantWithin(frontier: readonly RunResult[], share: number): RunResult | undefined {
  return [...frontier].filter((run) => run.sloViolationShare <= share).sort((a, b) => a.costUsd - b.costUsd)[0];
}
