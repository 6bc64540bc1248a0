import type { RateLimit } from '../schema/policy.ts';
import type { Sample } from './metric-samples.ts';

interface DirectionRules {
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: readonly RateLimit[];
}

function changeInPeriod(events: readonly Sample[], now: number, periodSeconds: number, sign: 1 | -1): number {
  const cutoff = now - periodSeconds * 1000;
  let total = 0;
  for (const [at, delta] of events) {
    if (at > cutoff && at <= now && Math.sign(delta) === sign) total += Math.abs(delta);
  }
  return total;
}

/**
 * Highest count allowed now, as HPA computes it: for each policy, the count at the start of its period
 * (current − added + removed within the period) plus the policy's allowance; `Max` takes the most generous.
 * Percent allowances round up so that 1 replica at +10 % can still grow.
 *
 * Worked example (defaults): 3 replicas, nothing added in the last 15 s: +100 % → 6, +4 → 7; Max → 7.
 */
export function scaleUpLimit(current: number, events: readonly Sample[], now: number, rules: DirectionRules): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const policy of rules.policies) {
    const start =
      current -
      changeInPeriod(events, now, policy.periodSeconds, 1) +
      changeInPeriod(events, now, policy.periodSeconds, -1);
    const proposed =
      policy.type === 'Replicas' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100) - 1e-9);
    result = rules.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** Lowest count allowed now (HPA): percent allowances truncate, `Max` takes the policy allowing most change. */
export function scaleDownLimit(current: number, events: readonly Sample[], now: number, rules: DirectionRules): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const policy of rules.policies) {
    const start =
      current -
      changeInPeriod(events, now, policy.periodSeconds, 1) +
      changeInPeriod(events, now, policy.periodSeconds, -1);
    const proposed =
      policy.type === 'Replicas' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100) + 1e-9);
    result = rules.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return Math.max(0, result);
}

/** Drop scale events older than the longest rate-limit period. */
export function pruneScaleEvents(events: readonly Sample[], now: number, longestPeriodSeconds: number): Sample[] {
  const cutoff = now - longestPeriodSeconds * 1000;
  return events.filter((event) => event[0] > cutoff && event[0] <= now);
}
