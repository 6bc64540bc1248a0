import type { Hold, SetCapacityAction } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import type { Policy } from '../../schema/policy.ts';
import type { Target } from '../../schema/target.ts';
import { own } from '../../dictionary.ts';
import { spendLimit, type GroupSpend } from './budget.ts';
import { estimateCost } from './cost.ts';
import { poolViews, usd, type MlContext, type PoolView } from './context.ts';
import { beingReclaimed, bestOnDemandPool, rankSpotPools, requiredOnDemand } from './spot.ts';

/**
 * Pool-loss cover (`spot.poolLossReserve`, with `spot.spreadSpotPools`): a spot pool's outage reclaims all of
 * its replicas with two minutes' notice, and a replacement boots for minutes (SageMaker GPU: about 525 s), so
 * capacity that must survive an outage has to be in place before it. The layout keeps, after the loss of any
 * one spot pool, at least `ceil(poolLossReserve x need)` replicas:
 *  - with two or more spot pools to spread over: spare spot replicas, spread so that no pool holds more than the
 *    rest can spare (N+k over pools, as SkyServe over-provisions spot replicas across zones). Worked example,
 *    reserve 0.5: a need of 1 over 2 pools is 1 + 1 (the lone replica's pool going leaves the other); a need of
 *    8 is 4 + 4, no spare; with reserve 1, 8 over 4 pools is 3+3+3+2 (11: losing a 3 leaves 8).
 *  - with one spot pool left (the others out, cooling down or being reclaimed): the reserve on on-demand and the
 *    rest spot (SkyServe's dynamic on-demand fallback, EC2's on-demand share): a need of 8 is 4 on-demand and 4
 *    spot, not 8 spot in the one pool whose outage would leave nothing.
 *  - with none: all on-demand (the fallback).
 * The layout stays within maxCapacity and an active plan's ceiling (a need at the ceiling gets no spare): a reserve it cannot reach is said
 * in `reasons` on every decision, with what the loss of the fullest spot pool leaves.
 * The layout is reached make-before-break: pools below it grow at once, and ready replicas above it are released
 * only while the ready replicas left still cover the layout's total, so a move (back into a pool that returned,
 * or from on-demand to spot) never dips. On the way the move stays within its bounds: the total (ready + booting)
 * within the ceiling, the spend within the cap (or what is spent now, when above it), the replacements launched
 * only as far as they fit (one at a time); when that stops a move, replicas above the layout may go first while
 * the ready ones left still meet the need (the reserve dips for a boot, the need never); else it holds, saying
 * which bound. Worked example: need 4 as 2 spot + 2 on-demand ($2.86/h) for 4 spot ($1.69/h): a $3.30/h cap takes
 * one spot replacement ($3.28/h), then one on-demand goes once it is ready, then the next; at $3/h none fits.
 * Spare replicas are above the need: `ml.coverNeed` keeps the need the
 * layout was made for, and the scaling pipeline counts that as the current capacity (core/decide-steps.ts).
 */

/** Whether the cover decides this target's layout: an inference endpoint spreading over two or more spot pools. */
export function coverApplies(policy: Policy, target: Target): boolean {
  if (!policy.spot.spreadSpotPools || policy.spot.poolLossReserve <= 0 || target.kind !== 'inference-endpoint')
    return false;
  let spot = 0;
  for (const pool of target.pools) if (pool.capacityType === 'spot') spot++;
  return spot >= 2;
}

/** The need the current layout covers: its total less the spare replicas placed for the cover. */
export function coveredNeed(ml: MlState, total: number): number {
  return ml.coverNeed === undefined ? total : Math.min(total, ml.coverNeed);
}

/** Replicas that must survive any one spot pool's loss for `need`. */
export function reserveFor(policy: Policy, need: number): number {
  return Math.ceil(policy.spot.poolLossReserve * need - 1e-9);
}

/** Replicas kept on on-demand for `need` while only one spot pool can take replicas. */
export function onePoolReserve(policy: Policy, need: number): number {
  const share = policy.spot.onePoolOnDemandShare ?? policy.spot.poolLossReserve;
  return Math.ceil(share * need - 1e-9);
}

/** The layout's result: the resizes, the reasons, and holds for releases that wait for replicas to boot. */
export interface CoverAllocation {
  actions: SetCapacityAction[];
  reasons: string[];
  holds: Hold[];
}

/** What the spend caps need to bound a move: whether a cap is set, the group's spend, pools the provider takes. */
export interface CoverBounds {
  spendCapped?: boolean;
  groupSpend?: GroupSpend | undefined;
  leavingPoolIds?: readonly string[];
}

/** The last interruption or capacity error of a pool (epoch ms; -Infinity when none). */
function lastTrouble(ml: MlState, poolId: string): number {
  const stats = own(ml.pools, poolId);
  if (!stats) return -Infinity;
  return Math.max(stats.interruptions.at(-1) ?? -Infinity, stats.lastCapacityErrorAt ?? -Infinity);
}

/** Largest count in `pools` (0 when none). */
function largest(counts: Map<string, number>, pools: readonly PoolView[]): number {
  let most = 0;
  for (const pool of pools) most = Math.max(most, counts.get(pool.id) ?? 0);
  return most;
}

/**
 * Spread `n` spot replicas over `pools` starting from their current counts with the fewest moves: add to the
 * fewest (best-ranked first on a tie), take from the fullest (last-ranked first), then even out so no two
 * differ by more than one. A pool that may not grow (`capped`) keeps at most what it has.
 */
function spreadSpot(counts: Map<string, number>, pools: readonly PoolView[], capped: ReadonlySet<string>, n: number) {
  const count = (pool: PoolView) => counts.get(pool.id) ?? 0;
  const canGrow = (pool: PoolView) => !capped.has(pool.id);
  let sum = 0;
  for (const pool of pools) sum += count(pool);
  for (; sum < n; sum++) {
    let pick: PoolView | undefined;
    for (const pool of pools) if (canGrow(pool) && (!pick || count(pool) < count(pick))) pick = pool;
    if (!pick) break;
    counts.set(pick.id, count(pick) + 1);
  }
  for (; sum > n; sum--) {
    let pick: PoolView | undefined;
    for (const pool of pools) if (count(pool) > 0 && (!pick || count(pool) >= count(pick))) pick = pool;
    if (!pick) break;
    counts.set(pick.id, count(pick) - 1);
  }
  // Even out: one at a time from the fullest to the fewest that may grow (bounded: each move narrows the gap).
  for (let moves = 0; moves <= n; moves++) {
    let full: PoolView | undefined;
    let few: PoolView | undefined;
    for (const pool of pools) {
      if (!full || count(pool) > count(full)) full = pool;
      if (canGrow(pool) && (!few || count(pool) < count(few))) few = pool;
    }
    if (!full || !few || count(full) - count(few) <= 1) break;
    counts.set(full.id, count(full) - 1);
    counts.set(few.id, count(few) + 1);
  }
  return sum;
}

/**
 * The layout for `need` with the pool-loss cover, and the resizes that reach it make-before-break. See the
 * file's comment for the rule.
 */
export function allocateCovered(
  ctx: MlContext,
  ml: MlState,
  need: number,
  reason: string,
  hi: number = ctx.policy.maxCapacity,
  bounds: CoverBounds = {},
): CoverAllocation {
  const policy = ctx.policy;
  const views = poolViews(ctx);
  // A pool with spot trouble (an interruption or a capacity error) within returnToSpotAfterSeconds takes no new
  // replicas: an outage lasts 25.6 min at the median (the calibrated market), and a pool tried sooner is noticed
  // or refused again. It keeps what it holds.
  const quietSince = ctx.now - policy.spot.returnToSpotAfterSeconds * 1000;
  const ranked = rankSpotPools(ctx, ml)
    .ranked.filter((r) => lastTrouble(ml, r.pool.id) <= quietSince)
    .map((r) => r.pool);
  const usable = new Set(ranked.map((pool) => pool.id));
  // Pools that may keep what they hold but not grow: cooling down after a capacity error or over the
  // interruption limit (their replicas serve). A pool being reclaimed keeps nothing.
  const holding = views.filter(
    (v) => v.capacityType === 'spot' && !usable.has(v.id) && v.desired > 0 && !beingReclaimed(ctx, ml, v.id),
  );
  const spotPools = [...ranked, ...holding];
  const capped = new Set(holding.map((pool) => pool.id));
  const onDemand = views
    .filter((v) => v.capacityType === 'on-demand')
    .sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity));
  const cheapestOnDemand = bestOnDemandPool(ctx, ml).pool;
  const base = requiredOnDemand(ctx, need);
  const reserve = reserveFor(policy, need);
  // The bounds' ceiling (maxCapacity, or an active plan's below it): the spare is above the need, never above it.
  const ceiling = Math.max(need, hi);
  const counts = new Map(views.map((v) => [v.id, v.desired]));
  for (const v of views) if (v.capacityType === 'spot' && !spotPools.includes(v)) counts.set(v.id, 0);

  // On-demand: the base and share; with one spot pool, the reserve too; with none, everything.
  let wantOnDemand = base;
  let spotTarget = Math.max(0, need - base);
  let spare = 0;
  if (spotPools.length === 0) {
    // No spot pool to hold or take replicas: on-demand (the fallback); with no on-demand pool either, the
    // first spot pool keeps the count (its launches fail over by themselves, as the spread does).
    wantOnDemand = cheapestOnDemand ? need : 0;
    spotTarget = 0;
    if (!cheapestOnDemand) {
      const first = views.find((v) => v.capacityType === 'spot');
      if (first) counts.set(first.id, need);
    }
  } else if (spotPools.length === 1) {
    if (cheapestOnDemand) wantOnDemand = Math.max(base, Math.min(need, onePoolReserve(policy, need)));
    spotTarget = need - wantOnDemand;
  } else {
    // The fewest spot replicas whose even spread leaves the reserve after the largest pool goes.
    const u = spotPools.length;
    while (base + spotTarget - Math.ceil(spotTarget / u) < reserve && base + spotTarget < ceiling) spotTarget++;
    spare = base + spotTarget - need;
  }
  const placedSpot = spreadSpot(counts, spotPools, capped, spotTarget);
  // Need the spot pools could not take (each capped) goes on-demand.
  wantOnDemand = Math.max(wantOnDemand, need - placedSpot);
  // The rest of the reserve on on-demand, within the ceiling (the spot spare above stops at it too).
  if (spotPools.length >= 2 && base + placedSpot - largest(counts, spotPools) < reserve && cheapestOnDemand)
    wantOnDemand = Math.max(
      wantOnDemand,
      Math.min(reserve - (placedSpot - largest(counts, spotPools)), ceiling - placedSpot),
    );
  let haveOnDemand = 0;
  for (const pool of onDemand) haveOnDemand += counts.get(pool.id) ?? 0;
  if (haveOnDemand < wantOnDemand && cheapestOnDemand)
    counts.set(cheapestOnDemand.id, (counts.get(cheapestOnDemand.id) ?? 0) + wantOnDemand - haveOnDemand);
  for (const pool of [...onDemand].reverse()) {
    if (haveOnDemand <= wantOnDemand) break;
    const take = Math.min(counts.get(pool.id) ?? 0, haveOnDemand - wantOnDemand);
    counts.set(pool.id, (counts.get(pool.id) ?? 0) - take);
    haveOnDemand -= take;
  }

  // Make before break: pools below the layout grow now. Above it, booting replicas go only for a true shrink
  // (the layout's total below the current one, less what boots toward it): in a move, the replica booting
  // where it is arrives sooner than a new one would. Ready replicas go only while the ready ones left still
  // cover the layout's total (a replica that never boots holds them: the boot timeout is the provider's).
  let idealTotal = 0;
  let readyTotal = 0;
  let currentTotal = 0;
  let bootingToward = 0;
  for (const v of views) {
    idealTotal += counts.get(v.id) ?? 0;
    readyTotal += v.ready;
    currentTotal += v.desired;
    if ((counts.get(v.id) ?? 0) >= v.desired) bootingToward += Math.min(v.pending, Math.max(0, v.desired - v.ready));
  }
  // Replicas booting in pools at or below the layout are the ones it waits for: they do not make a shrink.
  const bootingSpare = Math.max(0, currentTotal - idealTotal - bootingToward);
  // Releases from the dearest first: on-demand, then the spot pools.
  const releaseOrder = [...[...onDemand].reverse(), ...views.filter((v) => v.capacityType === 'spot')];
  /** Releases that keep at least `floor` replicas ready, and what they hold back (ready and booting). */
  const release = (floor: number) => {
    let bootingToSpare = bootingSpare;
    let readyToSpare = Math.max(0, readyTotal - floor);
    const to = new Map<string, number>();
    const held: Array<{ id: string; ready: number; booting: number }> = [];
    for (const v of releaseOrder) {
      const ideal = counts.get(v.id) ?? 0;
      if (ideal >= v.desired) continue;
      const over = v.desired - ideal;
      const notReady = Math.max(0, v.desired - v.ready);
      const booting = Math.min(over, bootingToSpare, notReady);
      bootingToSpare -= booting;
      const readyOut = Math.min(over - booting, readyToSpare, v.ready);
      readyToSpare -= readyOut;
      to.set(v.id, v.desired - booting - readyOut);
      const left = over - booting - readyOut;
      if (left > 0) {
        const heldBooting = Math.min(left, notReady - booting);
        held.push({ id: v.id, ready: left - heldBooting, booting: heldBooting });
      }
    }
    return { to, held };
  };
  // Growth within the bounds on the way: make-before-break keeps the replicas being replaced until their
  // replacements are ready, so the total (ready + booting) must stay within the ceiling (maxCapacity or an
  // active plan's, hard limits), and the estimated spend within the spend cap (or at what is spent now, when
  // that is above it) with both counted. Growth beyond either waits (one replica at a time when one fits).
  const capped$ = bounds.spendCapped === true;
  const before = capped$ ? estimateCost(ctx, [], bounds.leavingPoolIds).beforeUsdPerHour : 0;
  const limit = capped$ ? spendLimit(ctx, ml, before, bounds.groupSpend).limit : undefined;
  const allowedUsd = limit ? Math.max(before, limit.usdPerHour) : Infinity;
  const resizes = (to: ReadonlyMap<string, number>) => {
    const actions: SetCapacityAction[] = [];
    for (const v of views) {
      const target = to.get(v.id) ?? v.desired;
      if (target !== v.desired)
        actions.push({ type: 'set-capacity', poolId: v.id, from: v.desired, to: target, reason });
    }
    return actions;
  };
  const grow = (shrunk: ReadonlyMap<string, number>) => {
    const to = new Map(shrunk);
    let kept = 0;
    for (const v of views) kept += to.get(v.id) ?? Math.min(v.desired, counts.get(v.id) ?? 0);
    let room = ceiling - kept;
    let byCeiling = 0;
    for (const v of views) {
      const add = (counts.get(v.id) ?? 0) - v.desired;
      if (add <= 0) continue;
      const fits = Math.min(add, Math.max(0, room));
      room -= fits;
      byCeiling += add - fits;
      to.set(v.id, v.desired + fits);
    }
    let bySpend = 0;
    let overAt = before;
    if (limit) {
      // The last pool's growth first, one replica at a time, as the spend caps clip (core/strategies/ml/budget.ts).
      for (;;) {
        const spendAt = estimateCost(ctx, resizes(to), bounds.leavingPoolIds).afterUsdPerHour;
        if (spendAt <= allowedUsd + 1e-9) break;
        overAt = spendAt;
        const last = [...views].reverse().find((v) => (to.get(v.id) ?? v.desired) > v.desired);
        if (!last) break;
        to.set(last.id, (to.get(last.id) ?? 0) - 1);
        bySpend++;
      }
    }
    return { to, byCeiling, bySpend, kept, overAt };
  };
  let released = release(idealTotal);
  let grown = grow(released.to);
  // A move the bounds stop: replicas above the layout may go while the ready ones left still meet the need
  // (the reserve dips for a boot, never the need), to make room for the replacements within the bounds.
  if (grown.byCeiling + grown.bySpend > 0 && readyTotal > need && released.held.length > 0) {
    released = release(need);
    grown = grow(released.to);
  }
  const held = released.held;
  const to = grown.to;
  // What the loss of the fullest spot pool leaves, less than the reserve when maxCapacity (or pools that cannot
  // grow, with no on-demand pool) stopped the layout short.
  const left = idealTotal - largest(counts, spotPools);
  const bound = hi < policy.maxCapacity ? `the plans' ceiling ${hi}` : `maxCapacity ${policy.maxCapacity}`;
  const short = idealTotal >= ceiling ? bound : 'no pool can take more';
  const reserveNote =
    spotPools.length >= 2
      ? left < reserve
        ? `${short}: any one spot pool lost leaves ${left} of the ${reserve} the reserve asks`
        : `any one spot pool lost leaves at least ${reserve}${spare > 0 ? ` (${spare} spare spot)` : ''}`
      : spotPools.length === 1
        ? `one spot pool usable: ${wantOnDemand} on-demand so its loss leaves at least ${wantOnDemand}`
        : 'no spot pool usable: on-demand';
  const layout = `pool-loss cover (spot.poolLossReserve ${policy.spot.poolLossReserve}): need ${need}, ${reserveNote}: ${views.map((v) => `${v.id} ${counts.get(v.id) ?? 0}`).join(', ')}`;
  const actions: SetCapacityAction[] = [];
  for (const v of views) {
    const target = to.get(v.id) ?? v.desired;
    if (target !== v.desired)
      actions.push({ type: 'set-capacity', poolId: v.id, from: v.desired, to: target, reason: `${reason}; ${layout}` });
  }
  const holds: Hold[] = [];
  const waiting = held
    .map(
      (h) =>
        `${h.id} ${h.ready + h.booting}: ${[h.ready > 0 ? `${h.ready} ready` : '', h.booting > 0 ? `${h.booting} booting` : ''].filter(Boolean).join(', ')}`,
    )
    .join('; ');
  let launched = 0;
  for (const v of views) launched += Math.max(0, (to.get(v.id) ?? v.desired) - v.desired);
  const heldNote =
    held.length > 0
      ? `; releases held (${waiting}) so the ready replicas (${readyTotal}) do not fall below ${grown.byCeiling + grown.bySpend > 0 ? `the need ${need}` : `the layout's ${idealTotal}`}`
      : '';
  if (grown.byCeiling > 0)
    holds.push({
      rule: 'bounds',
      reason: `pool-loss cover: ${grown.byCeiling} of the layout's replicas not launched: ${bound} allows ${ceiling} in all (ready or booting), and ${grown.kept} are kept until the replicas taking their place are ready${heldNote}; the move waits until the need is below the ceiling`,
    });
  if (grown.bySpend > 0 && limit)
    holds.push({
      rule: 'spend-cap',
      reason: `pool-loss cover: ${grown.bySpend} of the layout's replicas wait for the spend cap (${limit.reason}): ${launched > 0 ? `${launched} launched now, ` : ''}one more would take the estimated spend to ${usd(grown.overAt)}/h, above ${usd(allowedUsd)}/h, while the replicas it replaces are kept${heldNote}`,
    });
  if (held.length > 0 && grown.byCeiling + grown.bySpend === 0)
    holds.push({
      rule: 'stabilization',
      reason: `pool-loss cover: release held (${waiting}) until the replicas taking their place are ready (${readyTotal} ready, the layout holds ${idealTotal})`,
    });
  // A layout short of the reserve is said on every decision, a change or not: the cover is not what was asked.
  const said = actions.length > 0 || holds.length > 0 || (spotPools.length >= 2 && left < reserve);
  return { actions, reasons: said ? [layout] : [], holds };
}
