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
import { own } from '../../dictionary.ts';
import { fixed2 } from '../../format.ts';

/** What every ML strategy reads: the time, the target, its policy, the capacity snapshot and the catalog. */
export interface MlContext {
  now: number;
  target: Target;
  policy: Policy;
  observed: ObservedCapacity;
  catalog: readonly InstanceTypeInfo[];
  /**
   * The pool views, once {@link poolViews} built them: a decision asks for them a dozen times and the snapshot
   * does not change within it. Held on the context (a WeakMap entry per decision cost more than the views).
   */
  views?: PoolView[];
  /** The node index, once {@link nodeIndex} built it (both deadline moves read it). */
  nodes?: NodeIndex;
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
  return { now, target, policy, observed, catalog, views: undefined, nodes: undefined };
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
  /** Where a spot price came from (the provider's live price, or why the catalog stands in). */
  priceNote?: string;
  /** Spot placement score of the pool's zone, 1-10, when the provider gave one. */
  placementScore?: number;
  /** Where the placement score came from, or why there is none. */
  placementNote?: string;
}

/** USD per instance-hour: the policy's `prices` first, then the catalog; undefined when neither knows. */
export function unitPrice(ctx: MlContext, instanceType: string, capacityType: CapacityType): number | undefined {
  const given = own(ctx.policy.prices, instanceType);
  const stated = capacityType === 'spot' ? given?.spotUsdPerHour : given?.onDemandUsdPerHour;
  if (stated !== undefined) return stated;
  const info = lookupInstanceType(instanceType, ctx.catalog);
  return info ? hourlyPrice(info, capacityType) : undefined;
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
  if (info) result.info = info;
  const stated = capacity === 'spot' ? own(ctx.policy.prices, type)?.spotUsdPerHour : undefined;
  const live = capacity === 'spot' && stated === undefined ? seen?.spotUsdPerHour : undefined;
  const price = live ?? unitPrice(ctx, type, capacity);
  if (price !== undefined) result.price = price;
  if (capacity === 'spot' && seen?.placementScore !== undefined) result.placementScore = seen.placementScore;
  if (capacity === 'spot' && seen?.placementNote !== undefined) result.placementNote = seen.placementNote;
  if (capacity === 'spot' && seen?.priceNote !== undefined)
    result.priceNote = stated === undefined ? seen.priceNote : `the policy's price for ${type} wins over the live one`;
  return result;
}

/**
 * Every pool of the target (in its order of preference) plus pools only the provider reported. A decision
 * asks for the views a dozen times (ranking, packing, the cost estimate); with 1,000 pools building them is
 * 1,000 catalog lookups, so each context builds them once (`ctx.views`). The array and the views are
 * read-only to every caller: each caller gets the same array (a copy per call was one allocation per call,
 * a dozen per decision), and sorts or filters a copy of its own.
 */
export function poolViews(ctx: MlContext): PoolView[] {
  const cached = ctx.views;
  if (cached) return cached;
  // Plain loops, no per-call closures: this runs on every decision (the cost estimate). Observed pools are
  // joined by id through a map: a scan per pool made 1,000 pools a million comparisons.
  const views: PoolView[] = [];
  const observed = ctx.observed.pools;
  const seenById = new Map<string, ObservedCapacity['pools'][number]>();
  for (const candidate of observed) seenById.set(candidate.poolId, candidate); // the last report of an id wins
  const known = new Set<string>();
  for (const pool of ctx.target.pools) {
    views.push(view(ctx, pool.id, pool.instanceType, pool.capacityType, pool.zone, seenById.get(pool.id)));
    known.add(pool.id);
  }
  for (const pool of observed) {
    if (known.has(pool.poolId)) continue;
    known.add(pool.poolId);
    views.push(view(ctx, pool.poolId, pool.instanceType, pool.capacityType, undefined, pool));
  }
  ctx.views = views;
  return views;
}

/** The target's pools, which pool each node is in, and which nodes are ready. */
export interface NodeIndex {
  views: PoolView[];
  poolOf: ReadonlyMap<string, PoolView>;
  readyNodes: ReadonlySet<string>;
}

/**
 * Built once per context, as the views are (`ctx.nodes`): the snapshot it indexes does not change within a
 * decision, and no caller changes it. (A WeakMap keyed by the context cost an ephemeron entry per decision.)
 */
export function nodeIndex(ctx: MlContext): NodeIndex {
  const cached = ctx.nodes;
  if (cached) return cached;
  const views = poolViews(ctx);
  const poolOf = new Map<string, PoolView>();
  const readyNodes = new Set<string>();
  for (const pool of views)
    for (const node of pool.nodes) {
      poolOf.set(node.id, pool);
      if (node.state === 'ready') readyNodes.add(node.id);
    }
  const index = { views, poolOf, readyNodes };
  ctx.nodes = index;
  return index;
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
  return `$${fixed2(value)}`;
}
