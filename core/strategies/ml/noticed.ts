import type { DrainAndReleaseAction } from '../../decision.ts';
import type { MlState, NoticedNode } from '../../schema/ml-memory.ts';
import { ML_MEMORY_LIMITS } from '../../schema/ml-memory.ts';
import type { Policy } from '../../schema/policy.ts';
import type { ObservedCapacity } from '../../schema/target.ts';

/**
 * Replicas of an inference endpoint named by a spot interruption notice keep serving until the provider takes
 * them (the notice's deadline: AWS gives 2 minutes, GCP 30 s, Azure at least 30 s), while their replacement,
 * launched at the notice, boots. Releasing one at the notice (the behaviour before) threw away up to 2 minutes
 * of a replica that still serves, with its replacement 4-17 minutes from ready: on the code trace three
 * notices left 0 replicas ready for three minutes.
 *
 * The memory keeps each such replica (`ml.noticed`) until it is released or gone. From the notice on, it is
 * not counted in the target's capacity (its replacement is: together they are one replica, so no scale-in
 * takes the replacement for a spare), but it is counted as ready while it serves, because the metric each
 * replica reports is divided by the ready replicas that served it. Past its deadline it counts for nothing.
 * It is drained and released `spot.drainBeforeReclaimSeconds` before its deadline (in-flight requests finish
 * first), at the first decision in that time, or at once when a resize is about to change its pool (a set
 * count would otherwise release whichever replica the provider picks, and the noticed one would go too).
 */

/** How long before the deadline a noticed replica is released, ms (the policy's seconds). */
export function drainLeadMs(policy: Policy): number {
  return policy.spot.drainBeforeReclaimSeconds * 1000;
}

/** Whether a notice with this deadline keeps its replica serving (false: released at once, as before). */
export function servesUntilReclaim(policy: Policy, now: number, deadlineAt: number): boolean {
  return deadlineAt - drainLeadMs(policy) > now;
}

/** Remember a replica that serves until the provider takes it; the list is bounded (oldest dropped). */
export function rememberNoticed(ml: MlState, node: NoticedNode): MlState {
  const kept = (ml.noticed ?? []).filter((entry) => entry.instanceId !== node.instanceId);
  return { ...ml, noticed: [...kept, node].slice(-ML_MEMORY_LIMITS.noticedNodes) };
}

/** The noticed replicas the snapshot still shows, by instance id, with their pool. */
function present(observed: ObservedCapacity, noticed: readonly NoticedNode[]): Map<string, NoticedNode> {
  const found = new Map<string, NoticedNode>();
  if (noticed.length === 0) return found;
  const ids = new Map(noticed.map((entry) => [entry.instanceId, entry]));
  for (const pool of observed.pools)
    for (const node of pool.nodes ?? []) {
      const entry = ids.get(node.id);
      if (entry) found.set(node.id, { ...entry, poolId: pool.poolId });
    }
  return found;
}

/**
 * The snapshot without the noticed replicas (each pool's desired count, ready or booting count and node list
 * one lower per replica): the capacity the strategies size and allocate, since each one's replacement is
 * already asked for. The snapshot itself when nothing is noticed.
 */
export function withoutNoticed(observed: ObservedCapacity, noticed: readonly NoticedNode[] = []): ObservedCapacity {
  const found = present(observed, noticed);
  if (found.size === 0) return observed;
  return {
    ...observed,
    pools: observed.pools.map((pool) => {
      const leaving = (pool.nodes ?? []).filter((node) => found.has(node.id));
      if (leaving.length === 0) return pool;
      const ready = leaving.filter((node) => node.state === 'ready').length;
      const booting = leaving.filter((node) => node.state === 'pending').length;
      return {
        ...pool,
        desired: Math.max(0, pool.desired - leaving.length),
        ready: Math.max(0, pool.ready - ready),
        pending: Math.max(0, pool.pending - booting),
        nodes: (pool.nodes ?? []).filter((node) => !found.has(node.id)),
      };
    }),
  };
}

/** Ready replicas that serve now: the noticed ones count until their deadline, not after it. */
export function readyServing(observed: ObservedCapacity, noticed: readonly NoticedNode[], now: number): number {
  let ready = 0;
  for (const pool of observed.pools) ready += pool.ready;
  for (const [, entry] of present(observed, noticed)) {
    const node = observed.pools
      .find((pool) => pool.poolId === entry.poolId)
      ?.nodes?.find((n) => n.id === entry.instanceId);
    if (entry.deadlineAt <= now && node?.state === 'ready') ready--;
  }
  return Math.max(0, ready);
}

/**
 * The releases due now: each noticed replica within `drainBeforeReclaimSeconds` of its deadline (or past it),
 * and each in a pool one of `resizedPoolIds` is about to set a count for; and the memory without them and
 * without the ones the provider already took (no longer in the snapshot).
 */
export function releaseNoticed(
  policy: Policy,
  ml: MlState,
  observed: ObservedCapacity,
  now: number,
  resizedPoolIds: ReadonlySet<string>,
): { ml: MlState; actions: DrainAndReleaseAction[]; reasons: string[] } {
  const noticed = ml.noticed ?? [];
  if (noticed.length === 0) return { ml, actions: [], reasons: [] };
  const found = present(observed, noticed);
  const actions: DrainAndReleaseAction[] = [];
  const reasons: string[] = [];
  const kept: NoticedNode[] = [];
  for (const entry of noticed) {
    const seen = found.get(entry.instanceId);
    if (!seen) {
      reasons.push(`${entry.instanceId} is gone (the provider took it): no longer remembered as noticed`);
      continue;
    }
    const left = Math.round((entry.deadlineAt - now) / 1000);
    const due = entry.deadlineAt - drainLeadMs(policy) <= now;
    if (!due && !resizedPoolIds.has(seen.poolId)) {
      kept.push(entry);
      continue;
    }
    const reason = due
      ? `${entry.instanceId} drained and released ${left > 0 ? `${left} s before` : `${-left} s after`} the provider's deadline (spot.drainBeforeReclaimSeconds ${policy.spot.drainBeforeReclaimSeconds}): in-flight requests finish first`
      : `${entry.instanceId} drained and released ${left} s before its deadline: ${seen.poolId} is resized now, and a set count would release another replica`;
    actions.push({ type: 'drain-and-release', poolId: seen.poolId, instanceId: entry.instanceId, reason });
    reasons.push(reason);
  }
  if (kept.length === noticed.length) return { ml, actions, reasons };
  const { noticed: _dropped, ...rest } = ml;
  return { ml: kept.length === 0 ? rest : { ...rest, noticed: kept }, actions, reasons };
}
