import { ceilCount, num, seconds } from '../format.ts';
import type { Policy } from '../schema/policy.ts';

export interface BurstState {
  since: number;
  lastTriggeredAt: number;
  peak: number;
}

export interface BurstOutcome {
  state: BurstState | null;
  /** While a burst lasts: scale up to at least this, at once. */
  floor?: number;
  reason?: string;
}

/**
 * Knative's panic mode, for GPU endpoints: when the short-window demand asks for at least
 * `thresholdRatio` × ready replicas (default 2×), scale to that at once, skipping rate limits, and never
 * scale in while the burst lasts; the burst ends after `stableWindowSeconds` without the condition.
 * During a burst the target never decreases below its peak (Knative keeps the panic-mode maximum).
 *
 * Worked example: 2 ready at target 4 concurrent per replica; a 6 s average of 17 per replica asks for
 * ceil(2 × 17 ÷ 4) = 9 ≥ 2 × 2: burst, scale to 9 now.
 */
export function evaluateBurst(
  policy: Policy['burst'],
  previous: BurstState | null,
  now: number,
  shortWindowDemand: number | undefined,
  ready: number,
  current: number,
): BurstOutcome {
  if (!policy.enabled) return { state: null };
  // Compared unrounded (Knative: desired pods ÷ ready pods ≥ threshold). A burst must also ask for more
  // than is already on its way: GPU replicas boot for minutes, and re-triggering against READY capacity
  // while the replicas asked for are still booting would pile up capacity for the same spike.
  const triggered =
    shortWindowDemand !== undefined && ready > 0 && shortWindowDemand >= policy.thresholdRatio * ready && shortWindowDemand > current;
  if (triggered) {
    const wanted = ceilCount(shortWindowDemand);
    const peak = Math.max(wanted, previous?.peak ?? 0);
    const state = { since: previous?.since ?? now, lastTriggeredAt: now, peak };
    const verb = previous ? 'continues' : 'starts';
    return {
      state,
      floor: peak,
      reason: `burst ${verb}: the last ${policy.windowSeconds} s ask for ${num(shortWindowDemand)} replicas, ≥ ${num(policy.thresholdRatio)} × ${ready} ready and more than the ${current} asked for; scaling to ${peak} at once`,
    };
  }
  if (!previous) return { state: null };
  const quietFor = now - previous.lastTriggeredAt;
  if (quietFor >= policy.stableWindowSeconds * 1000) {
    return { state: null, reason: `burst over: ${seconds(quietFor)} without burst demand (stable window ${policy.stableWindowSeconds} s)` };
  }
  return {
    state: previous,
    floor: previous.peak,
    reason: `burst holds at ${previous.peak}: ${seconds(policy.stableWindowSeconds * 1000 - quietFor)} left before scale-in is allowed again`,
  };
}
