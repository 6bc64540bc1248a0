import {
  DEFAULT_CATALOG,
  hourlyPrice,
  lookupInstanceType,
  mergeCatalog,
  type InstanceTypeInfo,
} from '../../catalog/index.ts';
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
  const catalog =
    policy.instanceTypes.length > 0 ? mergeCatalog(DEFAULT_CATALOG, policy.instanceTypes) : DEFAULT_CATALOG;
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

function view(
  ctx: MlContext,
  id: string,
  instanceType: string,
  capacityType: CapacityType,
  zone: string | undefined,
  seen: ObservedCapacity['pools'][number] | undefined,
): PoolView {
  const type = seen ? seen.instanceType : instanceType;
  const capacity = seen ? seen.capacityType : capacityType;
  const info = lookupInstanceType(type, ctx.catalog);
  const result: PoolView = {
    id,
    instanceType: type,
    capacityType: capacity,
    desired: seen ? seen.desired : 0,
    ready: seen ? seen.ready : 0,
    pending: seen ? seen.pending : 0,
    nodes: seen?.nodes ?? [],
  };
  if (zone !== undefined) result.zone = zone;
  if (info) {
    result.info = info;
    result.price = hourlyPrice(info, capacity);
  }
  return result;
}

/** Every pool of the target (in its order of preference) plus pools only the provider reported. */
export function poolViews(ctx: MlContext): PoolView[] {
  // Plain loops, no per-call closures: this runs on every decision (the cost estimate).
  const views: PoolView[] = [];
  const observed = ctx.observed.pools;
  for (const pool of ctx.target.pools) {
    let seen: ObservedCapacity['pools'][number] | undefined;
    for (const candidate of observed) if (candidate.poolId === pool.id) seen = candidate;
    views.push(view(ctx, pool.id, pool.instanceType, pool.capacityType, pool.zone, seen));
  }
  for (const pool of observed) {
    let known = false;
    for (const existing of views) if (existing.id === pool.poolId) known = true;
    if (!known) views.push(view(ctx, pool.poolId, pool.instanceType, pool.capacityType, undefined, pool));
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
