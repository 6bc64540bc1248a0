import { DEFAULT_CATALOG, hourlyPrice, lookupInstanceType, mergeCatalog, type InstanceTypeInfo } from '../../catalog/index.ts';
import type { Action, Hold } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import type { Policy } from '../../schema/policy.ts';
import type { CapacityType, ObservedCapacity, ObservedNode, Target } from '../../schema/target.ts';

/** What every ML strategy reads: the time, the target, its policy, the capacity snapshot and the catalog. */
export interface MlContext {
  now: number;
  target: Target;
  policy: Policy;
  observed: ObservedCapacity;
  catalog: readonly InstanceTypeInfo[];
}

/** What every ML strategy returns: actions, holds and reasons in words, and the new ML memory. */
export interface MlStep {
  actions: Action[];
  holds: Hold[];
  reasons: string[];
  ml: MlState;
}

/** The context, with the policy's catalog overrides merged into the built-in catalog. */
export function mlContext(now: number, target: Target, policy: Policy, observed: ObservedCapacity): MlContext {
  const catalog = policy.instanceTypes.length > 0 ? mergeCatalog(DEFAULT_CATALOG, policy.instanceTypes) : DEFAULT_CATALOG;
  return { now, target, policy, observed, catalog };
}

/** A pool of the target joined with what the provider reported and what the catalog knows. */
export interface PoolView {
  id: string;
  instanceType: string;
  capacityType: CapacityType;
  zone?: string;
  desired: number;
  ready: number;
  pending: number;
  nodes: ObservedNode[];
  info?: InstanceTypeInfo;
  /** USD per instance-hour for this pool's capacity type; undefined when the type is not in the catalog. */
  price?: number;
}

/** Every pool of the target (in its order of preference) plus pools only the provider reported. */
export function poolViews(ctx: MlContext): PoolView[] {
  const views: PoolView[] = [];
  const observedById = new Map(ctx.observed.pools.map((pool) => [pool.poolId, pool]));
  const make = (id: string, instanceType: string, capacityType: CapacityType, zone?: string): PoolView => {
    const seen = observedById.get(id);
    const info = lookupInstanceType(seen?.instanceType ?? instanceType, ctx.catalog);
    return {
      id,
      instanceType: seen?.instanceType ?? instanceType,
      capacityType: seen?.capacityType ?? capacityType,
      ...(zone !== undefined ? { zone } : {}),
      desired: seen?.desired ?? 0,
      ready: seen?.ready ?? 0,
      pending: seen?.pending ?? 0,
      nodes: seen?.nodes ?? [],
      ...(info ? { info, price: hourlyPrice(info, seen?.capacityType ?? capacityType) } : {}),
    };
  };
  for (const pool of ctx.target.pools) views.push(make(pool.id, pool.instanceType, pool.capacityType, pool.zone));
  for (const pool of ctx.observed.pools) {
    if (!views.some((view) => view.id === pool.poolId)) views.push(make(pool.poolId, pool.instanceType, pool.capacityType));
  }
  return views;
}

/** The pool an instance is in: the signal's pool id, else the pool whose reported nodes include it. */
export function poolOfInstance(views: readonly PoolView[], instanceId: string, poolId?: string): PoolView | undefined {
  if (poolId !== undefined) {
    const named = views.find((view) => view.id === poolId);
    if (named) return named;
  }
  return views.find((view) => view.nodes.some((node) => node.id === instanceId));
}

/** `$1.23/h` */
export function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}
