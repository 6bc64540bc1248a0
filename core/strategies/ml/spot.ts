import type { Action, Hold } from '../../decision.ts';
import { ML_MEMORY_LIMITS, type MlState, type PoolStats, type TrainingJob } from '../../schema/ml-memory.ts';
import { isCompatible, type InstanceRequirement } from '../../catalog/index.ts';
import { poolViews, usd, type MlContext, type PoolView } from './context.ts';
import {
  deadlineView,
  fallbackReason,
  reserveReason,
  reserveSeconds,
  stayReason,
  waitReason,
  type DeadlineView,
} from './deadline.ts';
import { aheadReason, behindLine, behindReason, uniformLine } from './uniform-progress.ts';
import { dictFromEntries, own, withEntry } from '../../dictionary.ts';

const emptyStats = (): PoolStats => ({ interruptions: [], lastCapacityErrorAt: null, lastCapacityErrorCode: null });

/** Interruptions of a pool inside the policy's window. */
export function recentInterruptions(ctx: MlContext, ml: MlState, poolId: string): number {
  const since = ctx.now - ctx.policy.spot.interruptionWindowSeconds * 1000;
  return (own(ml.pools, poolId)?.interruptions ?? []).filter((at) => at > since && at <= ctx.now).length;
}

/** Notices for one pool this close together are one interruption (one outage's notices come together). */
export const INTERRUPTION_GROUP_MS = 120_000;

/** Remember an interruption of `poolId` at `now`; the list is pruned to the window and capped. */
export function recordInterruption(ctx: MlContext, ml: MlState, poolId: string): MlState {
  const since = ctx.now - ctx.policy.spot.interruptionWindowSeconds * 1000;
  const stats = own(ml.pools, poolId) ?? emptyStats();
  // One outage reclaims every spot node of the pool at once, each with its own notice: notices within
  // INTERRUPTION_GROUP_MS of the last one recorded are the same interruption, or one outage of a pool of 4
  // would count as 4 and put the pool over the default limit of 3 for a day.
  const last = stats.interruptions.at(-1);
  if (last !== undefined && ctx.now - last >= 0 && ctx.now - last <= INTERRUPTION_GROUP_MS)
    return { ...ml, lastSpotTroubleAt: ctx.now };
  const interruptions = [...stats.interruptions.filter((at) => at > since), ctx.now].slice(
    -ML_MEMORY_LIMITS.interruptionsPerPool,
  );
  return {
    ...ml,
    pools: boundPools(withEntry(ml.pools, poolId, { ...stats, interruptions })),
    lastSpotTroubleAt: ctx.now,
  };
}

/** Remember a capacity error of `poolId` at `now`. */
export function recordCapacityError(ctx: MlContext, ml: MlState, poolId: string, code: string, spot: boolean): MlState {
  const stats = own(ml.pools, poolId) ?? emptyStats();
  return {
    ...ml,
    pools: boundPools(
      withEntry(ml.pools, poolId, { ...stats, lastCapacityErrorAt: ctx.now, lastCapacityErrorCode: code }),
    ),
    ...(spot ? { lastSpotTroubleAt: ctx.now, returningToSpotAt: null } : {}),
  };
}

function boundPools(pools: MlState['pools']): MlState['pools'] {
  const ids = Object.keys(pools);
  if (ids.length <= ML_MEMORY_LIMITS.pools) return pools;
  const latest = (stats: PoolStats) => Math.max(stats.interruptions.at(-1) ?? 0, stats.lastCapacityErrorAt ?? 0);
  const keep = ids.sort((a, b) => latest(pools[b]!) - latest(pools[a]!)).slice(0, ML_MEMORY_LIMITS.pools);
  return dictFromEntries(keep.map((id) => [id, pools[id]!]));
}

/** A spot pool that may be used, with its ranking score (price raised by its recent interruptions). */
export interface RankedPool {
  pool: PoolView;
  interruptions: number;
  /** USD per hour x (1 + penalty x interruptions) x (1 + weight x (10 - placement score) / 9): lower is better. */
  score: number;
}

/**
 * The placement factor of a pool: 1 + weight x (10 - score) / 9, so score 10 (a spot request very likely
 * fulfilled) costs nothing and score 1 costs the whole weight. With the default weight 0.5, a $1.00 pool
 * scored 4 ranks as $1.33 and loses to a $1.20 pool scored 9 ($1.27). A pool with no score: 1.
 */
export function placementFactor(ctx: MlContext, pool: PoolView): number {
  if (pool.placementScore === undefined) return 1;
  return 1 + (ctx.policy.spot.placementScoreWeight * (10 - pool.placementScore)) / 9;
}

/** Is the pool inside the skip period after a capacity error? Returns the reason if so. */
function inCapacityCooldown(ctx: MlContext, ml: MlState, pool: PoolView): string | undefined {
  const stats = own(ml.pools, pool.id);
  const cooldown = ctx.policy.spot.capacityErrorCooldownSeconds * 1000;
  if (!stats?.lastCapacityErrorAt || ctx.now - stats.lastCapacityErrorAt >= cooldown) return undefined;
  const ago = Math.round((ctx.now - stats.lastCapacityErrorAt) / 1000);
  return `${pool.capacityType} pool ${pool.id} skipped: capacity error ${stats.lastCapacityErrorCode ?? ''} ${ago} s ago (skipped for ${ctx.policy.spot.capacityErrorCooldownSeconds} s)`;
}

/**
 * Is the pool being reclaimed (a replica of it serves out an interruption notice)? Returns the reason if so: a
 * pool whose outage starts at the notice's deadline takes no new capacity, or a replacement (or capacity
 * moved there after another pool's error) would boot for minutes only to be noticed and taken too.
 */
export function beingReclaimed(ctx: MlContext, ml: MlState, poolId: string): string | undefined {
  let deadline: number | undefined;
  for (const entry of ml.noticed ?? [])
    if (entry.poolId === poolId && entry.deadlineAt > ctx.now) deadline = entry.deadlineAt;
  if (deadline === undefined) return undefined;
  return `spot pool ${poolId} skipped: being reclaimed (an interruption notice's deadline in ${Math.round((deadline - ctx.now) / 1000)} s)`;
}

function fits(pool: PoolView, requirement: InstanceRequirement | undefined): boolean {
  if (!requirement) return true;
  return pool.info !== undefined && isCompatible(pool.info, requirement);
}

/**
 * The target's spot pools that may take capacity now, best first: not excluded, not in the skip period
 * after a capacity error, not above the interruption limit, priced in the catalog and compatible with the
 * requirement. Ranked by price x (1 + penalty x recent interruptions) x the placement factor (see
 * {@link placementFactor}); ties keep the target's order.
 */
export function rankSpotPools(
  ctx: MlContext,
  ml: MlState,
  exclude: readonly string[] = [],
  requirement?: InstanceRequirement,
): { ranked: RankedPool[]; skipped: string[] } {
  const spot = ctx.policy.spot;
  const hours = Math.round(spot.interruptionWindowSeconds / 360) / 10;
  const ranked: RankedPool[] = [];
  const skipped: string[] = [];
  for (const pool of poolViews(ctx)) {
    if (pool.capacityType !== 'spot' || exclude.includes(pool.id)) continue;
    if (!fits(pool, requirement)) continue;
    const interruptions = recentInterruptions(ctx, ml, pool.id);
    if (interruptions > spot.maxInterruptionsPerWindow) {
      skipped.push(
        `spot pool ${pool.id} skipped: ${interruptions} interruptions in ${hours} h, above the limit of ${spot.maxInterruptionsPerWindow}`,
      );
      continue;
    }
    const cooling = inCapacityCooldown(ctx, ml, pool);
    if (cooling) {
      skipped.push(cooling);
      continue;
    }
    const going = beingReclaimed(ctx, ml, pool.id);
    if (going) {
      skipped.push(going);
      continue;
    }
    if (pool.price === undefined) {
      skipped.push(`spot pool ${pool.id} skipped: ${pool.instanceType} is not in the catalog, so it cannot be priced`);
      continue;
    }
    ranked.push({
      pool,
      interruptions,
      score: pool.price * (1 + spot.interruptionPenalty * interruptions) * placementFactor(ctx, pool),
    });
  }
  ranked.sort((a, b) => a.score - b.score);
  return { ranked, skipped };
}

/** The cheapest on-demand pool of the target that fits and is not cooling down after a capacity error. */
export function bestOnDemandPool(
  ctx: MlContext,
  ml: MlState,
  exclude: readonly string[] = [],
  requirement?: InstanceRequirement,
): { pool?: PoolView; skipped: string[] } {
  const skipped: string[] = [];
  const candidates: PoolView[] = [];
  for (const pool of poolViews(ctx)) {
    if (pool.capacityType !== 'on-demand' || exclude.includes(pool.id) || !fits(pool, requirement)) continue;
    const cooling = inCapacityCooldown(ctx, ml, pool);
    if (cooling) skipped.push(cooling);
    else candidates.push(pool);
  }
  candidates.sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity));
  return { ...(candidates[0] ? { pool: candidates[0] } : {}), skipped };
}

/** On-demand nodes the base and share ask for out of `total` (EC2 mixed-instances arithmetic, rounded up). */
export function requiredOnDemand(ctx: MlContext, total: number): number {
  const { onDemandBase, onDemandPercentAboveBase } = ctx.policy.spot;
  const base = Math.min(total, onDemandBase);
  return base + Math.ceil(((total - base) * onDemandPercentAboveBase) / 100 - 1e-9);
}

/** On-demand nodes the target has now (desired). */
export function onDemandCount(ctx: MlContext): number {
  return poolViews(ctx)
    .filter((pool) => pool.capacityType === 'on-demand')
    .reduce((sum, pool) => sum + pool.desired, 0);
}

/** Where new capacity goes: a pool and why, or no pool and why not. */
export interface Placement {
  pool?: PoolView;
  reasons: string[];
  /** On-demand because spot could not be used (not because of the on-demand base or share). */
  fallback: boolean;
  /** No pool on purpose: the job waits for spot while its deadline leaves slack (the reason in words). */
  wait?: string;
  /** On-demand for this job's deadline: it moves back to spot only once it has the slack to (deadline-move.ts). */
  deadlineOnDemand?: string;
}

/**
 * Choose the pool for `count` new nodes. On-demand when the on-demand base or share is short, or while in
 * fallback (no spot pool usable, or spot trouble less than `returnToSpotAfterSeconds` ago after a fallback);
 * otherwise the best-ranked spot pool; on-demand when no spot pool is usable. For a training job with a
 * deadline (`options.job`, see deadline.ts): spot while it has slack. When spot cannot take it, it waits for spot
 * while it keeps up with its uniform-progress line (uniform-progress.ts; `training.deadlineStrategy` `greedy`:
 * until only its reserve of slack is left), and goes on-demand once behind it; on-demand whatever the line says
 * once only its reserve is left, and at once (even if spot could take it) once the slack is gone.
 */
export function placeCapacity(
  ctx: MlContext,
  ml: MlState,
  count: number,
  options: {
    exclude?: readonly string[];
    requirement?: InstanceRequirement;
    totalAfter?: number;
    job?: { id: string; job: TrainingJob };
  } = {},
): Placement {
  const exclude = options.exclude ?? [];
  const reasons: string[] = [];
  const totalAfter = options.totalAfter ?? poolViews(ctx).reduce((sum, pool) => sum + pool.desired, 0) + count;
  const needOnDemand = requiredOnDemand(ctx, totalAfter) - onDemandCount(ctx);
  const onDemand = (fallback: boolean): Placement => {
    if (fallback && ctx.target.kind === 'training-pool' && !ctx.policy.training.onDemandFallback) {
      reasons.push('spot only (training.onDemandFallback is false): waiting for spot capacity');
      return { reasons, fallback: false };
    }
    const choice = bestOnDemandPool(ctx, ml, exclude, options.requirement);
    reasons.push(...choice.skipped);
    if (!choice.pool) reasons.push('no on-demand pool of this target can take it');
    return { ...(choice.pool ? { pool: choice.pool } : {}), reasons, fallback: fallback && choice.pool !== undefined };
  };
  if (needOnDemand > 0) {
    reasons.push(
      `on-demand: the base of ${ctx.policy.spot.onDemandBase} and ${ctx.policy.spot.onDemandPercentAboveBase} % above it need ${requiredOnDemand(ctx, totalAfter)} on-demand of ${totalAfter}, there are ${onDemandCount(ctx)}`,
    );
    return onDemand(false);
  }
  // Spot only (training.onDemandFallback false): a deadline changes nothing, the job never goes on-demand.
  const deadline =
    options.job && ctx.target.kind === 'training-pool' && ctx.policy.training.onDemandFallback
      ? deadlineView(ctx, options.job.id, options.job.job)
      : undefined;
  const forDeadlineOf = (view: DeadlineView, reason: string): Placement => {
    reasons.push(reason);
    const placement = onDemand(true);
    return placement.pool ? { ...placement, deadlineOnDemand: view.jobId } : placement;
  };
  if (deadline) {
    // A job placed again after it went to on-demand for its deadline goes there again (it moves back to spot
    // only while it runs); with no slack left it goes there now, even if spot could take it (a lost spot
    // attempt would make it late): the safety net.
    if (deadline.onDemandSince !== null) return forDeadlineOf(deadline, stayReason(deadline));
    if (deadline.slackMs <= 0) return forDeadlineOf(deadline, fallbackReason(ctx, deadline));
  }
  // A job with slack skips the quiet period after spot trouble: it tries spot, and waits if spot cannot take it.
  if (ml.fallbackSince !== null && ml.lastSpotTroubleAt !== null && !deadline) {
    const quietMs = ctx.now - ml.lastSpotTroubleAt;
    const needMs = ctx.policy.spot.returnToSpotAfterSeconds * 1000;
    if (quietMs < needMs) {
      reasons.push(
        `on-demand fallback since ${Math.round((ctx.now - ml.fallbackSince) / 1000)} s: spot returns after ${ctx.policy.spot.returnToSpotAfterSeconds} s without trouble, ${Math.round((needMs - quietMs) / 1000)} s to go`,
      );
      return onDemand(true);
    }
  }
  const { ranked, skipped } = rankSpotPools(ctx, ml, exclude, options.requirement);
  reasons.push(...skipped);
  let best = ranked[0];
  // Spread (spot.spreadSpotPools, an inference endpoint): the usable spot pool holding the fewest takes it, as
  // allocateSpread grows, so replacing a reclaimed pool's replicas does not gather them all in the one
  // ranked first, where that pool's own outage would take the whole fleet at once.
  const spreading = ctx.policy.spot.spreadSpotPools && ctx.target.kind === 'inference-endpoint' && ranked.length > 1;
  if (spreading) for (const r of ranked) if (r.pool.desired < best!.pool.desired) best = r;
  if (best !== ranked[0]) reasons.push(`spread: fewest in ${best!.pool.id}`);
  if (best) {
    const others = ranked
      .filter((r) => r !== best)
      .slice(0, 2)
      .map(
        (r) =>
          `${r.pool.id} ${usd(r.score)}${r.pool.placementScore === undefined ? '' : ` at ${r.pool.placementScore}/10`}`,
      );
    reasons.push(
      `spot pool ${best.pool.id} (${best.pool.instanceType}${best.pool.zone ? ` in ${best.pool.zone}` : ''}) ${best === ranked[0] ? 'ranks first' : 'is chosen'}: ${usd(best.pool.price!)}/h with ${best.interruptions} recent interruptions${placementOf(best.pool)}, score ${usd(best.score)}${others.length > 0 ? ` (next: ${others.join(', ')})` : ''}${best.pool.priceNote ? `; ${best.pool.priceNote}` : ''}${best.pool.placementNote ? `; ${best.pool.placementNote}` : ''}`,
    );
    return { pool: best.pool, reasons, fallback: false };
  }
  // Spot is out: below its reserve it goes on-demand now, keeping enough slack to come back to spot later.
  if (deadline && deadline.slackMs <= reserveSeconds(ctx) * 1000)
    return forDeadlineOf(deadline, reserveReason(ctx, deadline));
  // Uniform progress (uniform-progress.ts): on-demand now when behind its line, else it waits for spot.
  const line = deadline && options.job ? uniformLine(ctx, options.job.job) : undefined;
  if (deadline && line && behindLine(ctx, options.job!.job, line))
    return forDeadlineOf(deadline, behindReason(ctx, deadline, options.job!.job, line));
  if (deadline) {
    const wait = line ? aheadReason(ctx, deadline, options.job!.job, line) : waitReason(ctx, deadline);
    reasons.push('no spot pool is usable', wait);
    return { reasons, fallback: false, wait };
  }
  reasons.push('no spot pool is usable: falling back to on-demand');
  return onDemand(true);
}

/** ", placement score N/10" for a pool that has one. */
function placementOf(pool: PoolView): string {
  return pool.placementScore === undefined ? '' : `, placement score ${pool.placementScore}/10`;
}

/** A launch of `count` nodes in `pool`. */
export function launch(pool: PoolView, count: number, reason: string, replacesInstanceId?: string): Action {
  return {
    type: 'launch-capacity',
    poolId: pool.id,
    instanceType: pool.instanceType,
    capacityType: pool.capacityType,
    count,
    ...(replacesInstanceId !== undefined ? { replacesInstanceId } : {}),
    reason,
  };
}

/**
 * Fallback bookkeeping after placing capacity: entering on-demand fallback because spot was not usable, and
 * a job that went on-demand for its deadline (it stays there).
 */
export function noteFallback(ml: MlState, placement: Placement, now: number): MlState {
  let next = ml;
  if (placement.fallback && ml.fallbackSince === null) next = { ...next, fallbackSince: now };
  const jobId = placement.deadlineOnDemand;
  const job = jobId !== undefined ? own(next.jobs, jobId) : undefined;
  if (jobId !== undefined && job && job.onDemandForDeadlineAt === null)
    next = { ...next, jobs: withEntry(next.jobs, jobId, { ...job, onDemandForDeadlineAt: now }) };
  return next;
}

/** A hold for capacity that could not be placed. */
export function unplaced(what: string, reasons: readonly string[]): Hold {
  return { rule: 'unsupported', reason: `${what}: no pool can take it (${reasons.join('; ')})` };
}
