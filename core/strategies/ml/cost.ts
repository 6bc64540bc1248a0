import type { Action, CostEstimate } from '../../decision.ts';
import type { CapacityType } from '../../schema/target.ts';
import { poolViews, unitPrice, type MlContext } from './context.ts';

interface PoolCount {
  instanceType: string;
  capacityType: CapacityType;
  count: number;
}

/** An estimate plus notes on what it could not price. */
export interface CostBreakdown extends CostEstimate {
  notes: string[];
}

function price(ctx: MlContext, pool: PoolCount, unknown: Set<string>): number {
  const known = unitPrice(ctx, pool.instanceType, pool.capacityType);
  if (known === undefined) {
    unknown.add(pool.instanceType);
    return 0;
  }
  return known;
}

/**
 * Pools an action would grow although nothing prices their type (neither the policy's `prices` nor the
 * catalog), as `type (capacity type)`: a spend cap cannot bound them, so they are held.
 */
export function unpricedGrowth(ctx: MlContext, action: Action): string[] {
  const before = currentPoolCounts(ctx);
  const names: string[] = [];
  for (const [id, pool] of poolCountsAfter(ctx, [action])) {
    const was = before.get(id);
    const grows = pool.count > (was && was.instanceType === pool.instanceType ? was.count : 0);
    if (grows && pool.count > 0 && unitPrice(ctx, pool.instanceType, pool.capacityType) === undefined)
      names.push(`${pool.instanceType} (${pool.capacityType})`);
  }
  return names;
}

function total(ctx: MlContext, pools: Map<string, PoolCount>, unknown: Set<string>): number {
  let sum = 0;
  for (const pool of pools.values()) sum += pool.count * price(ctx, pool, unknown);
  return Math.round(sum * 10_000) / 10_000;
}

/** Desired count per pool as the provider reported it. */
export function currentPoolCounts(ctx: MlContext): Map<string, PoolCount> {
  const pools = new Map<string, PoolCount>();
  for (const view of poolViews(ctx)) {
    pools.set(view.id, { instanceType: view.instanceType, capacityType: view.capacityType, count: view.desired });
  }
  return pools;
}

/** Pool counts once `actions` are done (the steady state: a rolling type change ends with only new replicas). */
export function poolCountsAfter(
  ctx: MlContext,
  actions: readonly Action[],
  leavingPoolIds: readonly string[] = [],
): Map<string, PoolCount> {
  // The counts now, each its own object (they are changed below): built here, not copied from currentPoolCounts.
  const pools = new Map<string, PoolCount>();
  for (const view of poolViews(ctx))
    pools.set(view.id, { instanceType: view.instanceType, capacityType: view.capacityType, count: view.desired });
  const get = (id: string, instanceType: string, capacityType: CapacityType): PoolCount => {
    let pool = pools.get(id);
    if (!pool) {
      pool = { instanceType, capacityType, count: 0 };
      pools.set(id, pool);
    }
    return pool;
  };
  for (const id of leavingPoolIds) {
    const pool = pools.get(id);
    if (pool) pool.count = Math.max(0, pool.count - 1);
  }
  for (const action of actions) {
    switch (action.type) {
      case 'set-capacity': {
        const pool = pools.get(action.poolId);
        if (pool) pool.count = action.to;
        break;
      }
      case 'launch-capacity':
        get(action.poolId, action.instanceType, action.capacityType).count += action.count;
        break;
      case 'drain-and-release': {
        const pool = pools.get(action.poolId);
        if (pool) pool.count = Math.max(0, pool.count - 1);
        break;
      }
      case 'change-instance-type': {
        const pool = pools.get(action.poolId);
        if (pool) {
          pool.instanceType = action.toInstanceType;
          pool.count = action.count;
        }
        break;
      }
      case 'request-checkpoint':
        break;
    }
  }
  return pools;
}

/**
 * Estimated spend before and after the actions, USD per hour, from the catalog prices of each pool's
 * instance type and capacity type. `leavingPoolIds`: nodes the provider is taking (one per entry) without a
 * release action, so they no longer cost anything after. Types not in the catalog count $0 and are named.
 */
export function estimateCost(
  ctx: MlContext,
  actions: readonly Action[],
  leavingPoolIds: readonly string[] = [],
): CostBreakdown {
  // Types without a price, in the order met (a set only once one is met: most decisions have none).
  let unknown: Set<string> | undefined;
  let before = 0;
  for (const view of poolViews(ctx)) {
    if (view.price !== undefined) before += view.desired * view.price;
    else {
      unknown ??= new Set<string>();
      unknown.add(view.instanceType);
    }
  }
  const beforeUsdPerHour = Math.round(before * 10_000) / 10_000;
  // A decision with nothing to do (most of them) costs the same after.
  let afterUsdPerHour = beforeUsdPerHour;
  if (actions.length > 0 || leavingPoolIds.length > 0) {
    unknown ??= new Set<string>();
    afterUsdPerHour = total(ctx, poolCountsAfter(ctx, actions, leavingPoolIds), unknown);
  }
  const notes: string[] = [];
  if (unknown)
    for (const name of unknown)
      notes.push(
        `instance type ${name} is not in the catalog: its cost is counted as $0/h (add it under the policy's instanceTypes)`,
      );
  return { beforeUsdPerHour, afterUsdPerHour, notes };
}
