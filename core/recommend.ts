import { seconds } from './format.ts';
import type { Hold } from './decision.ts';
import type { Memory } from './schema/memory.ts';
import type { Policy } from './schema/policy.ts';
import type { AlarmStateChange, Signal } from './schema/signal.ts';
import { aggregate, aggregateTwo, type AggregatedValue } from './strategies/metric-samples.ts';
import { recommendByStep } from './strategies/step-scaling.ts';
import { recommendByTargetTracking } from './strategies/target-tracking.ts';
import { own } from './dictionary.ts';

export interface RawRecommendation {
  /** Replicas the strategies ask for; undefined when none has an opinion (hold at current). */
  replicas?: number;
  /** What short-window demand asks for, unrounded replicas (burst detection); undefined without fresh data. */
  shortWindowDemand?: number;
  /** The winning strategy's reason (what the actions will say). */
  cause: string;
  /** Some strategy sees demand (wakes a target at zero). */
  demand: boolean;
  missing: Memory['missing'];
  notes: string[];
  holds: Hold[];
}

/**
 * The strategies' raw recommendation, before stabilization and guards: target tracking on every metric
 * and step scaling on the alarm in hand; the largest wins (HPA and AWS both do this: the policy asking for
 * the most capacity wins). With no fresh data the missing-metrics fallback decides.
 */
export function recommend(
  policy: Policy,
  memory: Memory,
  signal: Signal,
  now: number,
  current: number,
  ready: number,
  /** Step alarms that step in this decision, as the fold found them (default: the alarm in hand, if in ALARM). */
  stepping: readonly string[] = signal.kind === 'alarm' && signal.state === 'ALARM' ? [signal.alarmName] : [],
): RawRecommendation {
  const notes: string[] = [];
  const holds: Hold[] = [];
  const staleMs = policy.missingMetrics.staleAfterSeconds * 1000;
  let replicas: number | undefined;
  let reason = '';
  let demand = false;
  let shortWindowDemand: number | undefined;
  /** Tracked metrics with no fresh sample (and not read as 0): they block a scale-in below. */
  let unread: string[] | undefined;
  const bursting = policy.burst.enabled && ready > 0;
  for (const rule of policy.targetTracking) {
    const samples = own(memory.samples, rule.metric);
    // With burst mode, the short window comes from the same pass over the samples.
    let value: AggregatedValue | undefined;
    let short: AggregatedValue | undefined;
    if (bursting)
      [value, short] = aggregateTwo(
        samples,
        now,
        rule.windowSeconds,
        rule.aggregation,
        policy.burst.windowSeconds,
        staleMs,
      );
    else value = aggregate(samples, now, rule.windowSeconds, rule.aggregation, staleMs);
    if (!value) {
      const last = samples?.at(-1);
      const why = `no fresh ${rule.metric}: ${last ? `last sample ${seconds(now - last[0])} ago, stale after ${policy.missingMetrics.staleAfterSeconds} s` : 'never observed'}`;
      if (!rule.treatMissingAsZero) {
        notes.push(why);
        unread ??= [];
        unread.push(rule.metric);
        continue;
      }
      notes.push(`${why}; treated as 0 (treatMissingAsZero)`);
      value = { value: 0, count: 0, latestAt: now };
    }
    const rec = recommendByTargetTracking(rule, value.value, current, ready);
    notes.push(rec.reason);
    demand ||= rec.demand;
    if (replicas === undefined || rec.replicas > replicas) {
      replicas = rec.replicas;
      reason = rec.reason;
    }
    if (bursting) {
      if (short) {
        // Unrounded (Knative compares the rounded pod count): rounding first would make 1 ready replica at
        // 104 % of target "ask for 2 = 2 × ready" and start a burst on noise.
        const wanted =
          rule.metricType === 'total' ? short.value / rule.targetValue : (ready * short.value) / rule.targetValue;
        shortWindowDemand = Math.max(shortWindowDemand ?? 0, wanted);
      }
    }
  }
  // Step scaling: on the alarm in hand, and on a tick for every step alarm still in ALARM. The fold said
  // which step now: a change into ALARM, or one whose repeat interval has passed.
  for (const step of policy.stepScaling) {
    const entry = own(memory.alarms, step.alarmName);
    if (!stepping.includes(step.alarmName) || entry?.state !== 'ALARM') continue;
    const inHand = signal.kind === 'alarm' && signal.alarmName === step.alarmName;
    const alarm: AlarmStateChange = inHand
      ? signal
      : {
          kind: 'alarm',
          alarmName: step.alarmName,
          state: 'ALARM',
          ...(entry.value === undefined ? {} : { value: entry.value }),
          ...(entry.threshold === undefined ? {} : { threshold: entry.threshold }),
          observedAt: entry.at,
          source: 'stored alarm state',
        };
    const stepped = recommendByStep(step, alarm, current);
    const rec = inHand ? stepped : { ...stepped, reason: `still in ALARM, steps again: ${stepped.reason}` };
    notes.push(rec.reason);
    if (rec.replicas === undefined) continue;
    if (rec.replicas > current) demand = true;
    if (replicas === undefined || rec.replicas > replicas) {
      replicas = rec.replicas;
      reason = rec.reason;
    }
  }
  let missing = memory.missing;
  if (replicas !== undefined && unread !== undefined && replicas < current) {
    // The HPA's rule (horizontal.go, computeReplicasForMetrics): when some metrics are invalid and the
    // valid ones would scale down, it does not scale. The metric that cannot be read may be the one
    // asking for capacity: GPU utilization falls while the queue that cannot be read grows.
    holds.push({
      rule: 'missing-metrics',
      reason: `scale-in to ${replicas} held: ${unread.join(', ')} has no fresh sample, and a metric that cannot be read may be the one asking for capacity (the HPA does not scale in on the metrics that remain either): holding at ${current}`,
    });
    return { shortWindowDemand, demand, missing, notes, holds, cause: '' };
  }
  if (replicas !== undefined) {
    if (policy.targetTracking.length + policy.stepScaling.length > 1)
      notes.push(`largest recommendation wins: ${replicas} (${reason})`);
    return { replicas, shortWindowDemand, demand, missing, notes, holds, cause: reason };
  }
  if (policy.targetTracking.length === 0 && policy.stepScaling.length === 0) {
    const cause = 'no metric strategy configured: capacity follows the plans and bounds';
    notes.push(cause);
    return { replicas: 0, demand, missing, notes, holds, cause };
  }
  if (policy.targetTracking.length === 0) {
    const waiting = policy.stepScaling.filter((step) => own(memory.alarms, step.alarmName)?.state === 'ALARM');
    holds.push({
      rule: 'no-signal',
      reason:
        waiting.length > 0
          ? `step alarm ${waiting.map((step) => step.alarmName).join(', ')} still in ALARM, its next step not due: holding at ${current}`
          : `no step-scaling alarm in ALARM: holding at ${current}`,
    });
    return { demand, missing, notes, holds, cause: '' };
  }
  // No fresh metric at all. A periodic evaluation without data counts as a failed observation, as KEDA
  // counts a failed poll; failures carried by the signal itself were counted when it was ingested.
  if (signal.kind === 'schedule-tick') missing = { consecutive: missing.consecutive + 1, since: missing.since ?? now };
  const fallback = policy.missingMetrics;
  if (missing.consecutive >= fallback.failureThreshold) {
    if (fallback.action === 'set-capacity' && fallback.capacity !== undefined) {
      const target = fallback.allowScaleIn ? fallback.capacity : Math.max(current, fallback.capacity);
      const cause = `missing metrics: ${missing.consecutive} failed observations (threshold ${fallback.failureThreshold}): fallback to ${target}${target !== fallback.capacity ? ` (configured ${fallback.capacity}, never below the current ${current} unless allowScaleIn)` : ''}`;
      notes.push(cause);
      return { replicas: target, demand, missing, notes, holds, cause };
    }
    holds.push({
      rule: 'missing-metrics',
      reason: `missing metrics: ${missing.consecutive} failed observations (threshold ${fallback.failureThreshold}): fallback holds at ${current}`,
    });
    return { demand, missing, notes, holds, cause: '' };
  }
  holds.push({
    rule: 'missing-metrics',
    reason: `no fresh metric to act on: holding at ${current} (${missing.consecutive} of ${fallback.failureThreshold} failed observations before the fallback)`,
  });
  return { demand, missing, notes, holds, cause: '' };
}
