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

/** The scale records of a memory: what {@link forgetRefusedScale} puts back. */
interface ScaleRecords {
  scaleEvents: Sample[];
  lastScaleOutAt: number | null;
  lastScaleInAt: number | null;
}

/**
 * The memory as if the resize decided at `at` had not been asked for: its scale event dropped and the last
 * scale-out or scale-in time put back to what `before` (the memory the decision started from) held. For a
 * driver whose provider refused the resize outright (an endpoint `Updating`: SageMaker takes no resize while
 * replicas of an earlier one boot) and that asks again at the next decision rather than redriving this one.
 * Kept, a refused +4 would count against the next 15 s of the scale-up rate limit (start = current − 4) as if
 * it had happened, and a scale-out cooldown would run from a change that never was: a phantom rate limit.
 */
export function forgetRefusedScale<M extends ScaleRecords>(memory: M, before: ScaleRecords, at: number): M {
  return {
    ...memory,
    // The decision appended one event at `at`; one decided earlier in the same millisecond stays.
    scaleEvents:
      atCount(memory.scaleEvents, at) > atCount(before.scaleEvents, at)
        ? memory.scaleEvents.slice(0, -1)
        : memory.scaleEvents,
    lastScaleOutAt: memory.lastScaleOutAt === at ? before.lastScaleOutAt : memory.lastScaleOutAt,
    lastScaleInAt: memory.lastScaleInAt === at ? before.lastScaleInAt : memory.lastScaleInAt,
  };
}

function atCount(events: readonly Sample[], at: number): number {
  let count = 0;
  for (const [when] of events) if (when === at) count++;
  return count;
}
