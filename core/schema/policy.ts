import {
  array,
  boolean,
  enum as zenum,
  number,
  object,
  record,
  string,
  type infer as Infer,
  type input as Input,
} from 'zod';
import { CalendarDateSchema, IdSchema } from './common.ts';
import { PlanSchema } from './plan.ts';
import { TriggerSchema } from './trigger.ts';
import { MlPolicyShape } from './ml-policy.ts';
import { BUILT_IN_CALENDAR_NAMES } from '../calendars/index.ts';

const seconds = (max: number) => number().int().min(0).max(max);

/**
 * Target tracking on one metric, as Kubernetes HPA does it:
 * desired = ceil(ready × observed / target) for a per-replica metric (GPU utilization, concurrent requests per
 * replica, p95 latency), desired = ceil(observed / target) for a total (queue depth). Inside the tolerance the
 * recommendation is "no change", so a metric at 95 % of target does not shed a replica.
 */
export const TargetTrackingSchema = object({
  /** Metric name as signals carry it, e.g. `gpu_utilization` (Percent), `concurrent_requests_per_replica`. */
  metric: string().min(1),
  /** Value per replica the target should hold (for a total metric: what one replica can take). Metric's unit. */
  targetValue: number().positive(),
  /** `per-replica`: the value is an average over ready replicas. `total`: the value is for the whole target. */
  metricType: zenum(['per-replica', 'total']).default('per-replica'),
  /** How samples inside the window are combined. */
  aggregation: zenum(['average', 'max', 'latest']).default('average'),
  /** Look-back for the aggregation, seconds (0 = the latest sample only). */
  windowSeconds: seconds(3600).default(60),
  /** Fraction above target that is still "on target" (HPA default 0.1 = 10 %). */
  scaleOutTolerance: number().min(0).max(1).default(0.1),
  /** Fraction below target that is still "on target". */
  scaleInTolerance: number().min(0).max(1).default(0.1),
  /**
   * Read "no fresh sample" as 0 (like CloudWatch's TreatMissingData: notBreaching). For request metrics that
   * simply stop when traffic stops (SageMaker reports no datapoint for an idle endpoint), so an idle target is
   * released instead of held by the missing-metrics fallback.
   */
  treatMissingAsZero: boolean().default(false),
});
export type TargetTracking = Infer<typeof TargetTrackingSchema>;

/** One step of a step-scaling policy. Bounds are relative to the alarm threshold: breach = value − threshold. */
export const StepAdjustmentSchema = object({
  /** Inclusive lower bound of the breach, metric's unit; absent = −∞. */
  lowerBound: number().optional(),
  /** Exclusive upper bound of the breach, metric's unit; absent = +∞. */
  upperBound: number().optional(),
  /** Replicas (change-in-capacity), percent (percent-change-in-capacity) or absolute (exact-capacity). */
  adjustment: number(),
});

/** Step scaling on the size of an alarm breach, in the manner of AWS Application Auto Scaling. */
export const StepScalingSchema = object({
  /** Alarm name the policy reacts to (exact match). */
  alarmName: string().min(1),
  adjustmentType: zenum(['change-in-capacity', 'percent-change-in-capacity', 'exact-capacity']).default(
    'change-in-capacity',
  ),
  steps: array(StepAdjustmentSchema).min(1),
  /** For percent changes: the smallest change in replicas (AWS MinAdjustmentMagnitude). */
  minAdjustmentMagnitude: number().int().positive().optional(),
});
export type StepScaling = Infer<typeof StepScalingSchema>;

/** A rate limit in the manner of HPA behavior policies: at most `value` replicas or percent per period. */
export const RateLimitSchema = object({
  type: zenum(['Replicas', 'Percent']),
  /** Replicas, or percent of the count at the start of the period. */
  value: number().int().positive(),
  /** Length of the sliding period, seconds (HPA allows 1 to 1800). */
  periodSeconds: number().int().min(1).max(1800),
});
export type RateLimit = Infer<typeof RateLimitSchema>;

const direction = (stabilizationDefault: number, policiesDefault: Infer<typeof RateLimitSchema>[]) =>
  object({
    /** Look-back for recommendations, seconds. Scale-up takes the lowest inside it, scale-down the highest. */
    stabilizationWindowSeconds: seconds(3600).default(stabilizationDefault),
    /** `Max`: the policy allowing the most change wins; `Min`: the least; `Disabled`: no change this way. */
    selectPolicy: zenum(['Max', 'Min', 'Disabled']).default('Max'),
    policies: array(RateLimitSchema).min(1).default(policiesDefault),
  });

export const BehaviorSchema = object({
  /** HPA defaults: no stabilization, at most +100 % or +4 replicas (whichever is more) per 15 s. */
  scaleUp: direction(0, [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Replicas', value: 4, periodSeconds: 15 },
  ]).prefault({}),
  /** HPA defaults: 300 s stabilization, at most −100 % per 15 s. */
  scaleDown: direction(300, [{ type: 'Percent', value: 100, periodSeconds: 15 }]).prefault({}),
});

export const CooldownSchema = object({
  /** After a scale-out, seconds before another scale-out (0 = none; rate limits still apply). */
  scaleOutSeconds: seconds(604800).default(0),
  /** After a scale-in, seconds before another scale-in. */
  scaleInSeconds: seconds(604800).default(0),
});

/**
 * Burst mode, like Knative's panic mode: when demand over the short window reaches `thresholdRatio` × ready
 * capacity, scale up at once (no rate limit, no scale-up stabilization) and do not scale in until the burst
 * condition has been absent for `stableWindowSeconds`.
 */
export const BurstSchema = object({
  enabled: boolean().default(true),
  /** Short window, seconds (Knative: 10 % of the 60 s stable window = 6 s). */
  windowSeconds: seconds(600).default(6),
  /** Demand ÷ ready capacity that starts a burst (Knative: 2.0 = 200 %). */
  thresholdRatio: number().min(1).max(100).default(2),
  /** A burst ends after this long without the condition, seconds (Knative: 60). */
  stableWindowSeconds: seconds(3600).default(60),
});

/**
 * Missing metrics, in the manner of KEDA's fallback: after `failureThreshold` consecutive failed or
 * INSUFFICIENT_DATA observations (or evaluations with no fresh metric), hold, or go to `capacity`;
 * never below the current capacity unless `allowScaleIn` is true (KEDA #6450: do not collapse a fleet).
 */
export const MissingMetricsSchema = object({
  /** A sample older than this is not used, seconds. */
  staleAfterSeconds: number().int().min(1).max(86400).default(300),
  failureThreshold: number().int().min(1).max(1000).default(3),
  action: zenum(['hold', 'set-capacity']).default('hold'),
  /** Replicas to go to when `action` is `set-capacity`. */
  capacity: number().int().nonnegative().optional(),
  allowScaleIn: boolean().default(false),
});

const PolicyObject = object({
  /** Lowest capacity, replicas or nodes. 0 allows scale to zero; the first demand signal wakes to ≥ 1. */
  minCapacity: number().int().min(0).max(100000).default(1),
  /** Highest capacity, replicas or nodes. */
  maxCapacity: number().int().min(1).max(100000).default(10),
  targetTracking: array(TargetTrackingSchema).default([]),
  stepScaling: array(StepScalingSchema).default([]),
  behavior: BehaviorSchema.prefault({}),
  cooldown: CooldownSchema.prefault({}),
  burst: BurstSchema.prefault({}),
  missingMetrics: MissingMetricsSchema.prefault({}),
  /** A capacity snapshot older than this is stale: hold rather than act on it, seconds. */
  observedStaleAfterSeconds: number().int().min(1).max(86400).default(300),
  /** Scheduled plans (floors and ceilings by time of day). */
  schedules: array(PlanSchema).default([]),
  /** Named exclusion calendars (lists of dates) that plans can refer to, besides the built-in ones. */
  calendars: record(IdSchema, array(CalendarDateSchema)).default({}),
  /** Which signals feed this target (in the manner of KEDA triggers). */
  triggers: array(TriggerSchema).default([]),
  ...MlPolicyShape,
});

/** The policy document: one schema for the core, the HTTP API and the CLI. */
export const PolicySchema = PolicyObject.superRefine((policy, ctx) => {
  if (policy.maxCapacity < policy.minCapacity) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxCapacity'],
      message: `must be at least minCapacity (${policy.minCapacity}), was: ${policy.maxCapacity}`,
      input: policy.maxCapacity,
    });
  }
  const names = new Set<string>();
  policy.schedules.forEach((plan, index) => {
    if (names.has(plan.name)) {
      ctx.addIssue({ code: 'custom', path: ['schedules', index, 'name'], message: `duplicate plan name, was: "${plan.name}"`, input: plan.name });
    }
    names.add(plan.name);
    if (plan.minCapacity > policy.maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedules', index, 'minCapacity'],
        message: `must not exceed maxCapacity (${policy.maxCapacity}), was: ${plan.minCapacity}`,
        input: plan.minCapacity,
      });
    }
    plan.excludeCalendars.forEach((name, j) => {
      if (!(name in policy.calendars) && !BUILT_IN_CALENDAR_NAMES.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', index, 'excludeCalendars', j],
          message: `unknown calendar; define it under "calendars" or use one of ${BUILT_IN_CALENDAR_NAMES.join(', ')}, was: "${name}"`,
          input: name,
        });
      }
    });
  });
  const fallback = policy.missingMetrics;
  if (fallback.action === 'set-capacity' && fallback.capacity === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['missingMetrics', 'capacity'],
      message: 'is required when missingMetrics.action is "set-capacity", was: undefined',
      input: undefined,
    });
  }
});

export type Policy = Infer<typeof PolicySchema>;
export type PolicyInput = Input<typeof PolicySchema>;
