/**
 * What capacity Tide believes a target has in shadow mode, rebuilt from its own audit log. Pure: the
 * caller reads the audit pages; this folds them.
 *
 * The assumption, stated plainly: **every earlier decision took effect at once and nothing else changed
 * the fleet.** Shadow mode acts on nothing, so there is no cloud to ask; the honest answer to "what would
 * the fleet look like had Tide been in charge" is the fleet its own decisions describe. Real fleets boot in
 * minutes, fail launches and get scaled by people too; none of that is visible here.
 */
import type { Action } from '../../core/decision.ts';
import type { ObservedCapacity, ObservedPool, Target } from '../../core/schema/target.ts';
import type { AuditEntry } from '../ports/state-store.ts';

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

/** Folds audit entries, newest first, into each pool's latest desired count and instance type. */
export class CapacityReconstruction {
  private readonly pools = new Map<string, PoolFold>();

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
  }

  /** True once every pool's count is anchored on an absolute action: older entries cannot change it. */
  get settled(): boolean {
    for (const pool of this.pools.values()) if (pool.absolute === null) return false;
    return true;
  }

  /** Apply one page of entries, newest first (the order `readAudit` returns them in). */
  addNewestFirst(entries: readonly AuditEntry[]): void {
    for (const entry of entries) {
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
