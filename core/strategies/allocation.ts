import type { SetCapacityAction } from '../decision.ts';
import type { ObservedCapacity, Target } from '../schema/target.ts';

/** Desired count per pool, in the target's pool order (pools the provider did not report count as 0). */
export function poolCounts(target: Target, observed: ObservedCapacity): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pool of target.pools) counts.set(pool.id, 0);
  for (const pool of observed.pools) counts.set(pool.poolId, pool.desired);
  return counts;
}

/**
 * Spread a change of total capacity over the pools. Growth goes to the primary (first) pool; shrinking takes
 * from the last pools first, so the preferred pool is the one kept. One action per pool that changes.
 */
export function allocateHorizontal(
  target: Target,
  observed: ObservedCapacity,
  desiredTotal: number,
  reason: string,
): SetCapacityAction[] {
  const counts = poolCounts(target, observed);
  const current = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const actions: SetCapacityAction[] = [];
  if (desiredTotal > current) {
    const primary = target.pools[0];
    if (!primary) return actions;
    const from = counts.get(primary.id) ?? 0;
    actions.push({ type: 'set-capacity', poolId: primary.id, from, to: from + desiredTotal - current, reason });
    return actions;
  }
  let toRemove = current - desiredTotal;
  const order = [...counts.keys()].reverse();
  for (const poolId of order) {
    if (toRemove === 0) break;
    const from = counts.get(poolId) ?? 0;
    const take = Math.min(from, toRemove);
    if (take === 0) continue;
    actions.push({ type: 'set-capacity', poolId, from, to: from - take, reason });
    toRemove -= take;
  }
  return actions;
}
