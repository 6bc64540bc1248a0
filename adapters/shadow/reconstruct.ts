/**
 * What capacity Tide believes a target has in shadow mode, rebuilt from its own audit log. Pure: the
 * caller reads the audit pages; this folds them.
 *
 * The assumption, stated plainly: **every earlier decision took effect at once and nothing else changed
 * the fleet.** Shadow mode acts on nothing, so there is no cloud to ask; the honest answer to "what would
 * the fleet look like had Tide been in charge" is the fleet its own decisions describe. Real fleets boot in
 * minutes, fail launches and get scaled by people too; none of that is visible here.
 */
import type { Action, Decision } from '../../core/decision.ts';
import type { ObservedCapacity, ObservedPool, Target } from '../../core/schema/target.ts';
import type { AuditEntry, RecordedFleet } from '../ports/state-store.ts';

/** One pool being rebuilt, newest decision first. */
interface PoolFold {
  base: ObservedPool;
  /** Sum of the relative changes (launches, releases) newer than the newest absolute count seen so far. */
  delta: number;
  /** The newest absolute count (set-capacity `to`, change-instance-type `count`), once one is seen. */
  absolute: number | null;
  /** The newest instance type a change-instance-type moved the pool to, once one is seen. */
  instanceType: string | null;
}

/**
 * Folds audit entries, newest first, into each pool's latest desired count and instance type.
 *
 * Absolute anchors: a pool's newest `set-capacity` (or `change-instance-type`) fixes its count; later
 * launches (+count) and releases (-1) are added to it. For a one-pool target the newest decision made with a
 * snapshot is an anchor too: its `desiredCapacity` is the total after it, which is that pool's count. This
 * matters because most decisions are holds: with a tick a minute, the last set-capacity may be hours and
 * hundreds of entries back, further than `observe` reads (and the audit log keeps 1,000 entries).
 */
export class CapacityReconstruction {
  private readonly pools = new Map<string, PoolFold>();
  private readonly onePool: PoolFold | null;

  /**
   * @param target the target whose pools are rebuilt
   * @param minCapacity the policy's `minCapacity`: where the primary pool starts when no decision set it
   */
  constructor(target: Target, minCapacity: number) {
    target.pools.forEach((pool, index) => {
      this.pools.set(pool.id, {
        base: {
          poolId: pool.id,
          instanceType: pool.instanceType,
          capacityType: pool.capacityType,
          desired: index === 0 ? minCapacity : 0,
          ready: 0,
          pending: 0,
        },
        delta: 0,
        absolute: null,
        instanceType: null,
      });
    });
    this.onePool = this.pools.size === 1 ? [...this.pools.values()][0]! : null;
  }

  /** True once every pool's count is anchored on an absolute action: older entries cannot change it. */
  get settled(): boolean {
    for (const pool of this.pools.values()) if (pool.absolute === null) return false;
    return true;
  }

  /** Apply one page of entries, newest first (the order `readAudit` returns them in). */
  addNewestFirst(entries: readonly AuditEntry[]): void {
    for (const entry of entries) {
      if (this.onePool && this.onePool.absolute === null && madeWithSnapshot(entry))
        this.onePool.absolute = entry.desiredCapacity;
      // Within one decision the actions run in order, so walking backwards keeps "newest first".
      for (let i = entry.actions.length - 1; i >= 0; i--) this.apply(entry.actions[i]!);
    }
  }

  /** The snapshot: `ready = desired`, nothing pending, observed `now`. */
  snapshot(now: number): ObservedCapacity {
    const pools = [...this.pools.values()].map(({ base, delta, absolute, instanceType }) => {
      const desired = Math.max(0, (absolute ?? base.desired) + delta);
      return { ...base, instanceType: instanceType ?? base.instanceType, desired, ready: desired, pending: 0 };
    });
    return { observedAt: now, pools };
  }

  private apply(action: Action): void {
    // Count actions older than a pool's anchor are in the anchor already; type changes still name the type.
    if (action.type === 'request-checkpoint') return; // moves no capacity
    const pool = this.pools.get(action.poolId);
    // A pool removed from the target since: its history no longer matters.
    if (!pool || (pool.absolute !== null && action.type !== 'change-instance-type')) return;
    switch (action.type) {
      case 'set-capacity':
        pool.absolute = action.to;
        break;
      case 'change-instance-type':
        // The newest move names the type; its count is absolute like the simulated cloud's (the new type
        // replaces the old nodes), but only if no newer absolute count was seen.
        pool.instanceType ??= action.toInstanceType;
        pool.absolute ??= action.count;
        break;
      case 'launch-capacity':
        pool.delta += action.count;
        break;
      case 'drain-and-release':
        pool.delta -= 1;
        break;
    }
  }
}

/**
 * False for a decision made without a capacity snapshot (observe failed and the core held at "0 -> 0"
 * with `valid: false`): its capacity figures say nothing about the fleet. A real hold at zero looks the
 * same and is skipped too; an older entry then anchors the count.
 */
function madeWithSnapshot(entry: Omit<Decision, 'memory'>): boolean {
  return entry.valid || entry.currentCapacity !== 0 || entry.desiredCapacity !== 0 || entry.actions.length > 0;
}

/**
 * The capacity a recorded fleet describes, on the assumption above. Pools the target has and the record
 * lacks (added since) start where a target never decided on starts: the primary at `minCapacity`, others at 0.
 */
export function capacityOfFleet(
  target: Target,
  fleet: RecordedFleet,
  minCapacity: number,
  now: number,
): ObservedCapacity {
  const recorded = new Map(fleet.pools.map((pool) => [pool.poolId, pool]));
  const pools = target.pools.map((pool, index): ObservedPool => {
    const kept = recorded.get(pool.id);
    const desired = kept ? kept.desired : index === 0 ? minCapacity : 0;
    return {
      poolId: pool.id,
      instanceType: kept?.instanceType ?? pool.instanceType,
      capacityType: pool.capacityType,
      desired,
      ready: desired,
      pending: 0,
    };
  });
  return { observedAt: now, pools };
}

/**
 * The fleet after `decision` took effect on `observed`, folded by the same rules as the audit log's
 * reconstruction (so both give one answer): a one-pool target's count is the decision's `desiredCapacity`
 * when it was made with a snapshot; otherwise each action moves its pool (set-capacity and
 * change-instance-type set the count, launches add, releases take one).
 */
export function fleetAfter(observed: ObservedCapacity, decision: Omit<Decision, 'memory'>): RecordedFleet {
  const pools = observed.pools.map((pool) => ({
    poolId: pool.poolId,
    instanceType: pool.instanceType,
    desired: pool.desired,
  }));
  const byId = new Map(pools.map((pool) => [pool.poolId, pool]));
  const anchored = pools.length === 1 && madeWithSnapshot(decision);
  for (const action of decision.actions) {
    if (action.type === 'request-checkpoint') continue;
    const pool = byId.get(action.poolId);
    if (!pool) continue;
    switch (action.type) {
      case 'set-capacity':
        pool.desired = action.to;
        break;
      case 'change-instance-type':
        pool.instanceType = action.toInstanceType;
        pool.desired = action.count;
        break;
      case 'launch-capacity':
        pool.desired += action.count;
        break;
      case 'drain-and-release':
        pool.desired -= 1;
        break;
    }
  }
  if (anchored) pools[0]!.desired = decision.desiredCapacity;
  for (const pool of pools) pool.desired = Math.max(0, pool.desired);
  return { pools };
}
