import type { SetCapacityAction } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import { poolViews, type MlContext, type PoolView } from './context.ts';
import { bestOnDemandPool, rankSpotPools, requiredOnDemand } from './spot.ts';

/**
 * Spread a change of total capacity over the target's spot pools (`spot.spreadSpotPools`), as SkyServe
 * spreads spot replicas over zones: one pool's outage then takes only its share of the fleet, not all of it.
 * The on-demand base and share (`onDemandBase`, `onDemandPercentAboveBase`) are kept first, in the cheapest
 * on-demand pool. The rest grows one replica at a time in the usable spot pool holding the fewest
 * (best-ranked first on a tie; a pool over its interruption limit or cooling down after a capacity error is
 * not usable); with no usable spot pool, in the cheapest on-demand pool (the fallback). Shrinking takes
 * on-demand beyond the base and share first (the dearest pool first), then spot from the pools not usable,
 * then from the fullest. Returns undefined when the switch is off or the target has fewer than two spot
 * pools: the other allocations apply.
 *
 * Worked example, no base: spot pools a (3) and b (1), on-demand od (2); growing by 3 gives b 2, b 3, then
 * a 4 (a ranks first on the tie); shrinking by 3 from there takes od's 2, then 1 from a, the fullest.
 */
export function allocateSpread(
  ctx: MlContext,
  ml: MlState,
  desiredTotal: number,
  reason: string,
): SetCapacityAction[] | undefined {
  if (!ctx.policy.spot.spreadSpotPools) return undefined;
  const views = poolViews(ctx);
  const spot = views.filter((v) => v.capacityType === 'spot');
  if (spot.length < 2) return undefined;
  const onDemand = views
    .filter((v) => v.capacityType === 'on-demand')
    .sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity));
  const counts = new Map(views.map((v) => [v.id, v.desired]));
  const count = (pool: PoolView) => counts.get(pool.id) ?? 0;
  const add = (pool: PoolView, n: number) => counts.set(pool.id, count(pool) + n);
  const sum = (pools: PoolView[]) => pools.reduce((total, pool) => total + count(pool), 0);
  const current = sum(views);
  const usable = rankSpotPools(ctx, ml).ranked.map((r) => r.pool);
  const cheapestOnDemand = bestOnDemandPool(ctx, ml).pool;
  const wantOnDemand = requiredOnDemand(ctx, desiredTotal);
  if (desiredTotal > current) {
    let more = desiredTotal - current;
    const base = cheapestOnDemand ? Math.min(more, Math.max(0, wantOnDemand - sum(onDemand))) : 0;
    if (base > 0) add(cheapestOnDemand!, base);
    more -= base;
    if (usable.length === 0) add(cheapestOnDemand ?? spot[0]!, more);
    else
      for (; more > 0; more--) {
        let pick = usable[0]!;
        for (const pool of usable) if (count(pool) < count(pick)) pick = pool;
        add(pick, 1);
      }
  } else {
    let fewer = current - desiredTotal;
    const takeFrom = (pool: PoolView, most: number) => {
      const take = Math.min(fewer, most, count(pool));
      add(pool, -take);
      fewer -= take;
    };
    for (const pool of [...onDemand].reverse()) takeFrom(pool, Math.max(0, sum(onDemand) - wantOnDemand));
    for (const pool of spot) if (!usable.includes(pool)) takeFrom(pool, Infinity);
    // Replicas still booting serve nothing yet: they go before ready ones (a single pool releases its booting
    // replicas first too), so a scale-in never leaves the fleet waiting for boots while it sheds ready capacity.
    for (const pool of spot) takeFrom(pool, Math.max(0, pool.desired - pool.ready));
    while (fewer > 0) {
      let pick: PoolView | undefined;
      for (const pool of usable) if (count(pool) > 0 && (!pick || count(pool) >= count(pick))) pick = pool;
      if (!pick) break;
      takeFrom(pick, 1);
    }
    for (const pool of [...onDemand].reverse()) takeFrom(pool, Infinity);
  }
  const spread = `spread over the spot pools (fewest first)${wantOnDemand > 0 ? `, ${wantOnDemand} on-demand by the base and share` : ''}: ${views.map((v) => `${v.id} ${count(v)}`).join(', ')}`;
  const actions: SetCapacityAction[] = [];
  for (const v of views) {
    if (count(v) !== v.desired)
      actions.push({
        type: 'set-capacity',
        poolId: v.id,
        from: v.desired,
        to: count(v),
        reason: `${reason}; ${spread}`,
      });
  }
  return actions;
}
