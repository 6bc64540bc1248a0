import type { SetCapacityAction } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import { poolViews, type MlContext, type PoolView } from './context.ts';
import { rankSpotPools, requiredOnDemand } from './spot.ts';

/**
 * Spread a new total over on-demand and spot pools as EC2 mixed-instances groups do: the on-demand base
 * first, then `onDemandPercentAboveBase` of the rest on-demand (rounded up), the remainder spot. New spot
 * capacity goes to the best-ranked spot pool; spot is taken back from the worst-ranked first; on-demand
 * grows in the cheapest on-demand pool and shrinks from the dearest. Returns undefined when the policy sets
 * no base and no share, or the target lacks either kind of pool: the plain allocation then applies.
 */
export function allocateMixed(
  ctx: MlContext,
  ml: MlState,
  desiredTotal: number,
  reason: string,
): SetCapacityAction[] | undefined {
  const { onDemandBase, onDemandPercentAboveBase } = ctx.policy.spot;
  if (onDemandBase === 0 && onDemandPercentAboveBase === 0) return undefined;
  const views = poolViews(ctx);
  const onDemand = views.filter((v) => v.capacityType === 'on-demand');
  const spot = views.filter((v) => v.capacityType === 'spot');
  if (onDemand.length === 0 || spot.length === 0) return undefined;

  const wantOnDemand = requiredOnDemand(ctx, desiredTotal);
  const wantSpot = desiredTotal - wantOnDemand;
  const counts = new Map(views.map((v) => [v.id, v.desired]));
  const byPrice = [...onDemand].sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity));
  const ranked = rankSpotPools(ctx, ml).ranked.map((r) => r.pool);
  // Usable spot pools best first, then the rest (skipped ones) in target order, so shrinking starts there.
  const spotOrder = [...ranked, ...spot.filter((v) => !ranked.some((r) => r.id === v.id))];
  const share = `on-demand base ${onDemandBase} and ${onDemandPercentAboveBase} % above it: ${wantOnDemand} on-demand and ${wantSpot} spot of ${desiredTotal}`;

  const move = (pools: PoolView[], want: number, grow: PoolView[], shrink: PoolView[]) => {
    let have = pools.reduce((sum, v) => sum + (counts.get(v.id) ?? 0), 0);
    for (const pool of grow) {
      if (have >= want) break;
      counts.set(pool.id, (counts.get(pool.id) ?? 0) + (want - have));
      have = want;
    }
    for (const pool of shrink) {
      if (have <= want) break;
      const take = Math.min(counts.get(pool.id) ?? 0, have - want);
      counts.set(pool.id, (counts.get(pool.id) ?? 0) - take);
      have -= take;
    }
  };
  move(onDemand, wantOnDemand, byPrice.slice(0, 1), [...byPrice].reverse());
  // No usable spot pool: the spot share waits on the first spot pool (its launch will fail over by itself).
  move(spot, wantSpot, spotOrder.slice(0, 1), [...spotOrder].reverse());

  const actions: SetCapacityAction[] = [];
  for (const view of views) {
    const to = counts.get(view.id) ?? 0;
    if (to !== view.desired)
      actions.push({ type: 'set-capacity', poolId: view.id, from: view.desired, to, reason: `${reason}; ${share}` });
  }
  return actions;
}
