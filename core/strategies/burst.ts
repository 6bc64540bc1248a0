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
 *
 * GPU replicas boot for minutes (525 s on SageMaker), and while they do, the requests that wait for them
 * pile up and raise every later 6 s average: a queue growing behind capacity already on its way is not
 * new demand. So while any replica asked for is still booting (`current` > `ready`), a burst starts or
 * grows only when demand reaches `thresholdRatio` × everything asked for, not × ready. (Knative compares
 * with ready pods only; its pods start in seconds. Knative issue #13284 asks for this for slow starters.)
 * Example, from the trading-day replay: 4 ready, 10 asked for; the backlog makes the 6 s demand 15, then
 * 17, then 20: before, each bought more (10 → 15 → 17 → 20); now only 20 (= 2 × 10) does.
 */
export function evaluateBurst(
  policy: Policy['burst'],
  previous: BurstState | null,
  now: number,
  shortWindowDemand: number | undefined,
  ready: number,
  current: number,
  replicaBootSeconds: number | null = null,
): BurstOutcome {
  if (!policy.enabled) return { state: null };
  // A replica that boots slower than a burst lasts cannot serve it (policy.ts, `replicaBootSeconds`).
  if (replicaBootSeconds !== null && replicaBootSeconds > policy.stableWindowSeconds) {
    const asked = shortWindowDemand !== undefined && ready > 0 && shortWindowDemand >= policy.thresholdRatio * ready;
    return asked
      ? {
          state: null,
          reason: `no burst: replicas boot in ${replicaBootSeconds} s, longer than a burst's ${policy.stableWindowSeconds} s stable window`,
        }
      : { state: null };
  }
  // Compared unrounded (Knative: desired pods ÷ ready pods ≥ threshold). A burst must also ask for more
  // than is already on its way, and while replicas boot, thresholdRatio × that (see above).
  const booting = current > ready;
  const triggered =
    shortWindowDemand !== undefined &&
    ready > 0 &&
    shortWindowDemand >= policy.thresholdRatio * ready &&
    (booting ? shortWindowDemand >= policy.thresholdRatio * current : shortWindowDemand > current);
  if (triggered) {
    const wanted = ceilCount(shortWindowDemand);
    const peak = Math.max(wanted, previous?.peak ?? 0);
    const state = { since: previous?.since ?? now, lastTriggeredAt: now, peak };
    const verb = previous ? 'continues' : 'starts';
    return {
      state,
      floor: peak,
      reason: booting
        ? `burst ${verb}: the last ${policy.windowSeconds} s ask for ${num(shortWindowDemand)} replicas, ≥ ${num(policy.thresholdRatio)} × ${current} asked for (${current - ready} still booting); scaling to ${peak} at once`
        : `burst ${verb}: the last ${policy.windowSeconds} s ask for ${num(shortWindowDemand)} replicas, ≥ ${num(policy.thresholdRatio)} × ${ready} ready and more than the ${current} asked for; scaling to ${peak} at once`,
    };
  }
  if (!previous) return { state: null };
  const quietFor = now - previous.lastTriggeredAt;
  if (quietFor >= policy.stableWindowSeconds * 1000) {
    return {
      state: null,
      reason: `burst over: ${seconds(quietFor)} without burst demand (stable window ${policy.stableWindowSeconds} s)`,
    };
  }
  return {
    state: previous,
    floor: previous.peak,
    reason: `burst holds at ${previous.peak}: ${seconds(policy.stableWindowSeconds * 1000 - quietFor)} left before scale-in is allowed again`,
  };
}
