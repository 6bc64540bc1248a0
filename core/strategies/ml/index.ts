/**
 * The ML decisions, composed for `decide`. Order:
 *  1. spot interruption / rebalance recommendation / capacity error: replacement (and checkpoint) decisions;
 *  2. job events: the training pool's job book (checkpoint acknowledgements release waiting nodes);
 *  3. training pools, on every signal: checkpoint deadlines, packing of queued jobs, idle release;
 *  4. inference endpoints on other signals: return to spot after a quiet period, then the scale-up step;
 *  5. (at the end of every decision) cost before/after and the spend caps, which clip what adds spend.
 */
import { lookupInstanceType, totalGpuMemoryGiB } from '../../catalog/index.ts';
import type { Action, ChangeInstanceTypeAction, CostEstimate, Hold } from '../../decision.ts';
import type { Memory } from '../../schema/memory.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import type { Signal } from '../../schema/signal.ts';
import { fixed2 } from '../../format.ts';
import { clipToSpendLimit, keepSpend, spendLimit, type GroupSpend } from './budget.ts';
import type { MlContext } from './context.ts';
import { estimateCost, poolCountsAfter, unpricedGrowth } from './cost.ts';
import { handleCapacityError, handleRebalance, handleSpotInterruption } from './replacement.ts';
import { returnToSpot } from './return-to-spot.ts';
import { planScaleUp, recordScaleUpMetric, type ScaleUpVerdict } from './scale-up.ts';
import { applyJobEvent, planTraining } from './training.ts';

export { mlContext, type MlContext } from './context.ts';
export { allocateMixed } from './mixed.ts';
export type { GroupSpend } from './budget.ts';

/** What the ML step decided; `handled` means `decide` returns these actions and skips the horizontal pipeline. */
export interface MlDecision {
  handled: boolean;
  actions: Action[];
  holds: Hold[];
  reasons: string[];
  ml: MlState;
  /** Pools losing a node the provider takes at a deadline (no release action yet): for the cost after. */
  leavingPoolIds: string[];
  verdict: ScaleUpVerdict;
}

type Step = { actions: Action[]; holds: Hold[]; reasons: string[]; ml: MlState; leavingPoolIds?: string[] };
interface Accumulated {
  ml: MlState;
  actions: Action[];
  holds: Hold[];
  reasons: string[];
  leavingPoolIds: string[];
}

function accumulate(acc: Accumulated, step: Step): void {
  if (step.actions.length > 0) acc.actions.push(...step.actions);
  if (step.holds.length > 0) acc.holds.push(...step.holds);
  if (step.reasons.length > 0) acc.reasons.push(...step.reasons);
  if (step.leavingPoolIds && step.leavingPoolIds.length > 0) acc.leavingPoolIds.push(...step.leavingPoolIds);
  acc.ml = step.ml;
}

/** No node released by this decision (shared: planTraining only reads it). */
const NOTHING_RELEASED: ReadonlySet<string> = new Set();

/** Run the ML strategies for one signal. Pure. */
export function decideMl(ctx: MlContext, memory: Memory, signal: Signal, groupSpend?: GroupSpend): MlDecision {
  const acc: Accumulated = {
    ml: recordScaleUpMetric(ctx, memory.ml, signal),
    actions: [],
    holds: [],
    reasons: [],
    leavingPoolIds: [],
  };
  const { actions, holds, reasons, leavingPoolIds } = acc;
  let handled = false;
  switch (signal.kind) {
    case 'spot-interruption':
      accumulate(acc, handleSpotInterruption(ctx, acc.ml, signal));
      handled = true;
      break;
    case 'rebalance-recommendation':
      accumulate(acc, handleRebalance(ctx, acc.ml, signal));
      handled = true;
      break;
    case 'capacity-error':
      accumulate(acc, handleCapacityError(ctx, acc.ml, signal));
      handled = true;
      break;
    case 'job':
      if (ctx.target.kind !== 'training-pool') {
        holds.push({
          rule: 'unsupported',
          reason: `job event for ${signal.jobId} ignored: ${ctx.target.id} is an inference endpoint, not a training pool`,
        });
      } else accumulate(acc, applyJobEvent(ctx, acc.ml, signal));
      handled = true;
      break;
    default:
      break;
  }
  let verdict: ScaleUpVerdict = 'none';
  if (ctx.target.kind === 'training-pool') {
    handled = true;
    // Moves back to spot only on a decision that does nothing else: the snapshot does not yet show what this
    // decision releases or launches, and a move planned on it would chase nodes that are going away.
    if (
      actions.length === 0 &&
      signal.kind !== 'spot-interruption' &&
      signal.kind !== 'rebalance-recommendation' &&
      signal.kind !== 'capacity-error'
    ) {
      accumulate(acc, returnToSpot(ctx, acc.ml));
    }
    // Without a spend cap there is no limit: the spend now (a pass over the pools) is not needed.
    const caps = ctx.policy.spendCaps;
    const capped =
      caps.targetUsdPerHour !== null ||
      caps.targetUsdPerDay !== null ||
      caps.groupUsdPerHour !== null ||
      caps.groupUsdPerDay !== null;
    const limit = capped
      ? spendLimit(ctx, acc.ml, estimateCost(ctx, []).beforeUsdPerHour, groupSpend).limit
      : undefined;
    let releasing: Set<string> | undefined;
    for (const a of actions) {
      if (a.type !== 'drain-and-release') continue;
      releasing ??= new Set<string>();
      releasing.add(a.instanceId);
    }
    const step = planTraining(ctx, acc.ml, limit, releasing ?? NOTHING_RELEASED);
    // Most decisions release nothing: then no release of the plan is dropped, and no copy of it is made.
    if (!releasing) accumulate(acc, step);
    else
      accumulate(acc, {
        ...step,
        actions: step.actions.filter((a) => a.type !== 'drain-and-release' || !releasing.has(a.instanceId)),
      });
  } else if (!handled) {
    const back = returnToSpot(ctx, acc.ml);
    accumulate(acc, back);
    if (back.actions.length > 0) handled = true;
    else {
      const up = planScaleUp(ctx, acc.ml);
      accumulate(acc, up.step);
      verdict = up.verdict;
      if (up.verdict === 'vertical') handled = true;
    }
  }
  return { handled, actions, holds, reasons, ml: acc.ml, leavingPoolIds, verdict };
}

/**
 * The last step of every decision: clip to the spend caps, estimate the cost, remember the spend rate.
 * `desiredCapacity` is the total after the clipped actions when `clipped`, NaN otherwise (nothing changed).
 */
export function applyCostAndCaps(
  ctx: MlContext,
  ml: MlState,
  proposed: readonly Action[],
  groupSpend: GroupSpend | undefined,
  leavingPoolIds: readonly string[] = [],
): {
  actions: Action[];
  holds: Hold[];
  reasons: string[];
  cost: CostEstimate;
  ml: MlState;
  desiredCapacity: number;
  clipped: boolean;
} {
  const reasons: string[] = [];
  const unpriced = holdUnpriced(ctx, proposed);
  const actions = unpriced.actions;
  const first = estimateCost(ctx, actions, leavingPoolIds);
  reasons.push(...first.notes);
  const { limit, notes } = spendLimit(ctx, ml, first.beforeUsdPerHour, groupSpend);
  reasons.push(...notes);
  let kept = actions as Action[];
  let holds: Hold[] = unpriced.holds; // holdUnpriced's own array
  let final = first;
  if (limit) {
    const clipped = clipToSpendLimit(ctx, actions, limit, leavingPoolIds);
    kept = clipped.actions;
    holds = [...holds, ...clipped.holds];
    if (clipped.holds.length > 0) final = estimateCost(ctx, kept, leavingPoolIds);
  }
  const cost = { beforeUsdPerHour: final.beforeUsdPerHour, afterUsdPerHour: final.afterUsdPerHour };
  reasons.push(
    `estimated spend ${fixed2(cost.beforeUsdPerHour)} $/h before, ${fixed2(cost.afterUsdPerHour)} $/h after${limit ? ` (cap: ${limit.reason})` : ''}`,
  );
  // Only a clipped decision needs its total recomputed; `decide` keeps its own otherwise.
  const desiredCapacity = holds.length > 0 ? capacityAfter(ctx, kept, leavingPoolIds) : Number.NaN;
  return {
    actions: kept,
    holds,
    reasons,
    cost,
    ml: keepSpend(ml, ctx, ctx.now, cost.afterUsdPerHour),
    desiredCapacity,
    clipped: holds.length > 0,
  };
}

/**
 * Caps fail closed: with any spend cap set, an action that grows a pool whose instance type has no price
 * (not in the policy's `prices`, not in the catalog) is held, because the cap could not bound it; counting
 * it as $0/h let a $1/h cap take a target from 4 to 6 replicas of a misspelt type.
 */
function holdUnpriced(ctx: MlContext, actions: readonly Action[]): { actions: Action[]; holds: Hold[] } {
  const caps = ctx.policy.spendCaps;
  const capped =
    caps.targetUsdPerHour !== null ||
    caps.targetUsdPerDay !== null ||
    caps.groupUsdPerHour !== null ||
    caps.groupUsdPerDay !== null;
  if (!capped || actions.length === 0) return { actions: actions as Action[], holds: [] };
  const kept: Action[] = [];
  const holds: Hold[] = [];
  for (const action of actions) {
    const names = unpricedGrowth(ctx, action);
    if (names.length === 0) kept.push(action);
    else
      holds.push({
        rule: 'spend-cap',
        reason: `${action.type} held: no price for instance type ${names.join(', ')}, so the spend cap cannot bound it; give its price under the policy's prices (or instanceTypes)`,
      });
  }
  return { actions: kept, holds };
}

/** Total desired capacity once the actions are done. */
export function capacityAfter(
  ctx: MlContext,
  actions: readonly Action[],
  leavingPoolIds: readonly string[] = [],
): number {
  let total = 0;
  for (const pool of poolCountsAfter(ctx, actions, leavingPoolIds).values()) total += pool.count;
  return total;
}

/** A type change to less GPU memory is a scale-down, else a scale-up (built-in catalog; unknown types: up). */
export function typeChangeOutcome(action: ChangeInstanceTypeAction): 'scale-up' | 'scale-down' {
  const from = lookupInstanceType(action.fromInstanceType);
  const to = lookupInstanceType(action.toInstanceType);
  return from && to && totalGpuMemoryGiB(to) < totalGpuMemoryGiB(from) ? 'scale-down' : 'scale-up';
}
