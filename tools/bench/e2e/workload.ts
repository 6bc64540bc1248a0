/**
 * The workload every cloud's mode of `npm run bench:e2e` runs, pinned to the event's number so the same
 * events act on every run, fast or slow: event i goes to target `i % TARGETS`, and each target's demand
 * alternates between two levels, changing every `holdEvents` of its own events. An event where the level
 * changes asks for a new capacity (a provider write); the others find the target at the level they ask for
 * (a hold). So about one event in `holdEvents` acts, in the warm-up and in the timed part alike; where the
 * last session's workload let every target climb to its maximum during the warm-up, after which the timed
 * events only held.
 *
 * The policy makes demand, not the observed capacity, set the count: a `total` metric with a target value of
 * 1 per replica asks for exactly `value` replicas (no tolerance question: the levels are 2 and 4), read from
 * the latest sample; scale-in is not stabilized, no rate limit or burst mode holds a change back, and no
 * cooldown. What this measures is Tide's cost per event with a realistic share of writes, not a policy.
 */
import { PolicySchema, type Policy } from '../../../core/schema/policy.ts';

/** Targets the events are spread over (one resource each). */
export const TARGETS = 16;
/** Replica levels the demand alternates between. */
export const LEVELS = [2, 4] as const;
/** A target's events between two changes of its level (the default: one event in 4 acts). */
export const DEFAULT_HOLD_EVENTS = 4;

/** The target event `i` is for. */
export const targetOf = (i: number): number => i % TARGETS;

/** The demand event `i` reports, in replicas (the metric value, 1 per replica). */
export function demandOf(i: number, holdEvents: number): number {
  const k = Math.floor(i / TARGETS);
  return LEVELS[Math.floor(k / holdEvents) % 2]!;
}

/** Each target's policy; `alarmName` as the cloud's alert names it. */
export function benchPolicy(source: 'aws-cloudwatch' | 'gcp-monitoring' | 'azure-monitor', alarmName: string): Policy {
  const unlimited = [{ type: 'Replicas' as const, value: 64, periodSeconds: 1 }];
  return PolicySchema.parse({
    minCapacity: 1,
    maxCapacity: 64,
    targetTracking: [{ metric: 'cpu', targetValue: 1, metricType: 'total', aggregation: 'latest', windowSeconds: 0 }],
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, policies: unlimited },
      scaleDown: { stabilizationWindowSeconds: 0, policies: unlimited },
    },
    burst: { enabled: false },
    cooldown: { scaleOutSeconds: 0, scaleInSeconds: 0 },
    triggers: [{ source, alarmName, metric: 'cpu' }],
  });
}
