import {
  array,
  boolean,
  discriminatedUnion,
  enum as zenum,
  literal,
  number,
  strictObject,
  string,
  type infer as Infer,
  type input as Input,
} from 'zod';
import { CalendarDateSchema, dictionary, IdSchema } from './common.ts';
import { PlanSchema } from './plan.ts';
import { TriggerSchema } from './trigger.ts';
import { MlPolicyShape } from './ml-policy.ts';
import { BUILT_IN_CALENDAR_NAMES } from '../calendars/index.ts';
import { LIMITS } from './limits.ts';

const seconds = (max: number) => number().int().min(0).max(max);

/**
 * Target tracking on one metric, as Kubernetes HPA does it:
 * desired = ceil(ready × observed / target) for a per-replica metric (GPU utilization, concurrent requests per
 * replica, p95 latency), desired = ceil(observed / target) for a total (queue depth). Inside the tolerance the
 * recommendation is "no change", so a metric at 95 % of target does not shed a replica.
 */
/**
 * An environment variable that holds a Prometheus credential. The policy names the variable, never the
 * secret, and only a `TIDE_PROMETHEUS_` one: anyone with the `write` scope edits policies, and a free name
 * would let them send, say, `UPSTASH_REDIS_REST_TOKEN` to a server of their choosing.
 */
const CredentialEnvSchema = string().regex(/^TIDE_PROMETHEUS_[A-Z0-9_]{1,64}$/, {
  message: 'expected the name of an environment variable starting TIDE_PROMETHEUS_, e.g. TIDE_PROMETHEUS_TOKEN',
});

/** How a Prometheus query authenticates: HTTP basic (Prometheus's own web config) or a bearer token. */
export const PrometheusAuthSchema = discriminatedUnion('type', [
  strictObject({
    type: literal('basic'),
    usernameEnv: CredentialEnvSchema,
    passwordEnv: CredentialEnvSchema,
  }),
  strictObject({
    type: literal('bearer'),
    tokenEnv: CredentialEnvSchema,
  }),
]);
export type PrometheusAuth = Infer<typeof PrometheusAuthSchema>;

/**
 * A metric read from Prometheus, like KEDA's Prometheus scaler: on every scheduled tick Tide runs `query` as
 * an instant query against `server` (HTTP API `/api/v1/query`) and hands the one value it returns to the
 * decision as this rule's metric. An empty result, more than one series, or a failed query is a missing
 * sample (a `metric-failure`), so the missing-metrics fallback applies.
 */
export const PrometheusMetricSchema = strictObject({
  server: string()
    .max(2048)
    .regex(/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, {
      message: 'expected an http(s) URL of the Prometheus server, e.g. http://prometheus:9090',
    })
    .describe(
      'Base URL of the Prometheus server (or anything serving its HTTP API, e.g. Thanos, Mimir), e.g. `http://prometheus:9090`.',
    ),
  query: string()
    .min(1)
    .max(4096)
    .describe(
      'PromQL instant query returning one series or a scalar, e.g. `sum(vllm:num_requests_waiting{model_name="llama"})`.',
    ),
  timeoutSeconds: number()
    .min(0.1)
    .max(30)
    .default(5)
    .describe('Time allowed for one query attempt, seconds (two more attempts follow a timeout or a 5xx).'),
  auth: PrometheusAuthSchema.optional().describe(
    "Credentials for a Prometheus behind authentication (its web config, or a gateway such as Mimir's), named by environment variable: `{ type: 'basic', usernameEnv, passwordEnv }` or `{ type: 'bearer', tokenEnv }`, each a `TIDE_PROMETHEUS_…` variable of the runtimes that tick.",
  ),
});
export type PrometheusMetric = Infer<typeof PrometheusMetricSchema>;

/**
 * Size by a queueing model (core/strategies/queueing.ts, Erlang C) instead of `targetValue`: the metric is offered
 * load in slots (erlangs, arrivals × mean service time), and the fewest replicas whose chance of a request
 * waiting longer than `maxWaitSeconds` for a slot is at most `waitProbability` are asked for.
 */
export const QueueingSchema = strictObject({
  slotsPerReplica: number().int().min(1).max(10000).describe('Requests one replica serves at once.'),
  serviceSeconds: number().positive().max(86400).describe('Mean service time of a request, seconds.'),
  maxWaitSeconds: number().min(0).max(86400).describe('Longest wait for a slot the SLO allows, seconds.'),
  waitProbability: number().positive().lt(1).default(0.01).describe('Largest share that may wait longer.'),
});

export const TargetTrackingSchema = strictObject({
  metric: string()
    .min(1)
    .describe('Metric name as signals carry it, e.g. `gpu_utilization` (Percent), `concurrent_requests_per_replica`.'),
  targetValue: number()
    .positive()
    .describe(
      "Value per replica the target should hold (for a total metric: what one replica can take). Metric's unit.",
    ),
  metricType: zenum(['per-replica', 'total'])
    .default('per-replica')
    .describe(
      '`per-replica`: the value is an average over ready replicas. `total`: the value is for the whole target.',
    ),
  aggregation: zenum(['average', 'max', 'latest'])
    .default('average')
    .describe('How samples inside the window are combined.'),
  windowSeconds: seconds(3600)
    .default(60)
    .describe('Look-back for the aggregation, seconds (0 = the latest sample only).'),
  scaleOutTolerance: number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('Fraction above target that is still "on target" (HPA default 0.1 = 10 %).'),
  scaleInTolerance: number().min(0).max(1).default(0.1).describe('Fraction below target that is still "on target".'),
  treatMissingAsZero: boolean()
    .default(false)
    .describe(
      'Read "no fresh sample" as 0 (like CloudWatch\'s TreatMissingData: notBreaching). For request metrics that simply stop when traffic stops (SageMaker reports no datapoint for an idle endpoint), so an idle target is released instead of held by the missing-metrics fallback.',
    ),
  prometheus: PrometheusMetricSchema.optional().describe(
    "Read this metric from Prometheus with a PromQL query on every tick (KEDA-style); absent: the metric comes in signals (webhooks, the cloud's metrics).",
  ),
  queueing: QueueingSchema.optional().describe('Size by an Erlang C model of offered load, not targetValue.'),
});
export type TargetTracking = Infer<typeof TargetTrackingSchema>;

/** One step of a step-scaling policy. Bounds are relative to the alarm threshold: breach = value − threshold. */
export const StepAdjustmentSchema = strictObject({
  lowerBound: number().optional().describe("Inclusive lower bound of the breach, metric's unit; absent = −∞."),
  upperBound: number().optional().describe("Exclusive upper bound of the breach, metric's unit; absent = +∞."),
  adjustment: number().describe(
    'Replicas (change-in-capacity), percent (percent-change-in-capacity) or absolute (exact-capacity).',
  ),
});

/** Step scaling on the size of an alarm breach, in the manner of AWS Application Auto Scaling. */
export const StepScalingSchema = strictObject({
  alarmName: string().min(1).describe('Alarm name the policy reacts to (exact match).'),
  adjustmentType: zenum(['change-in-capacity', 'percent-change-in-capacity', 'exact-capacity'])
    .default('change-in-capacity')
    .describe(
      'How `adjustment` is read: replicas to add (negative removes), percent of current capacity, or the capacity to set.',
    ),
  steps: array(StepAdjustmentSchema)
    .max(LIMITS.steps)
    .min(1)
    .describe('Steps by breach size; the first whose bounds hold the breach applies.'),
  minAdjustmentMagnitude: number()
    .int()
    .positive()
    .optional()
    .describe('For percent changes: the smallest change in replicas (AWS MinAdjustmentMagnitude).'),
});
export type StepScaling = Infer<typeof StepScalingSchema>;

/** A rate limit in the manner of HPA behavior policies: at most `value` replicas or percent per period. */
export const RateLimitSchema = strictObject({
  type: zenum(['Replicas', 'Percent']).describe(
    '`Replicas`: a count; `Percent`: of the count at the start of the period.',
  ),
  value: number().int().positive().describe('Replicas, or percent of the count at the start of the period.'),
  periodSeconds: number()
    .int()
    .min(1)
    .max(1800)
    .describe('Length of the sliding period, seconds (HPA allows 1 to 1800).'),
});
export type RateLimit = Infer<typeof RateLimitSchema>;

const direction = (stabilizationDefault: number, policiesDefault: Infer<typeof RateLimitSchema>[]) =>
  strictObject({
    stabilizationWindowSeconds: seconds(3600)
      .default(stabilizationDefault)
      .describe('Look-back for recommendations, seconds. Scale-up takes the lowest inside it, scale-down the highest.'),
    selectPolicy: zenum(['Max', 'Min', 'Disabled'])
      .default('Max')
      .describe('`Max`: the policy allowing the most change wins; `Min`: the least; `Disabled`: no change this way.'),
    policies: array(RateLimitSchema)
      .max(LIMITS.rateLimits)
      .min(1)
      .default(policiesDefault)
      .describe('Rate limits; `selectPolicy` chooses among them.'),
  });

export const BehaviorSchema = strictObject({
  scaleUp: direction(0, [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Replicas', value: 4, periodSeconds: 15 },
  ])
    .prefault({})
    .describe('HPA defaults: no stabilization, at most +100 % or +4 replicas (whichever is more) per 15 s.'),
  scaleDown: direction(300, [{ type: 'Percent', value: 100, periodSeconds: 15 }])
    .prefault({})
    .describe('HPA defaults: 300 s stabilization, at most −100 % per 15 s.'),
});

export const CooldownSchema = strictObject({
  scaleOutSeconds: seconds(604800)
    .default(0)
    .describe('After a scale-out, seconds before another scale-out (0 = none; rate limits still apply).'),
  scaleInSeconds: seconds(604800).default(0).describe('After a scale-in, seconds before another scale-in.'),
});

/**
 * Burst mode, like Knative's panic mode: when demand over the short window reaches `thresholdRatio` × ready
 * capacity, scale up at once (no rate limit, no scale-up stabilization) and do not scale in until the burst
 * condition has been absent for `stableWindowSeconds`.
 */
export const BurstSchema = strictObject({
  enabled: boolean().default(true).describe('Whether burst mode is on.'),
  windowSeconds: seconds(600)
    .default(6)
    .describe('Short window, seconds (Knative: 10 % of the 60 s stable window = 6 s).'),
  thresholdRatio: number()
    .min(1)
    .max(100)
    .default(2)
    .describe('Demand ÷ ready capacity that starts a burst (Knative: 2.0 = 200 %).'),
  stableWindowSeconds: seconds(3600)
    .default(60)
    .describe('A burst ends after this long without the condition, seconds (Knative: 60).'),
});

/**
 * Look-ahead: buy at a scale-out for the demand one horizon (a replica's boot) ahead, not only for now
 * (core/strategies/look-ahead.ts). A replica bought now serves only a boot later, and an endpoint that refuses a
 * resize while it is `Updating` (SageMaker) takes no further change until then: a small first step locks
 * the target at it for a boot while the load keeps rising.
 */
export const LookAheadSchema = strictObject({
  enabled: boolean().default(false).describe('On or off.'),
  horizonSeconds: seconds(86400).nullable().default(null).describe('Seconds; null: `replicaBootSeconds`.'),
  trendWindowSeconds: seconds(3600).default(600).describe('Trend look-back, seconds.'),
  maxGrowthRatio: number().min(1).max(100).default(2).describe('At most this × the demand now.'),
  keepThroughLull: boolean().default(false).describe('Scale in to no less than the horizon’s peak demand.'),
  keepAboveNoise: number()
    .min(0)
    .max(10)
    .nullable()
    .default(null)
    .describe('Kept peak less this many standard deviations of demand noise; null: the raw peak.'),
});

/**
 * Predictive scaling (core/strategies/predictive.ts), after AWS's: a daily profile of the demand, learned from
 * the target's own history (per bucket of the UTC day, an exponentially weighted peak), sets a floor a lead
 * ahead. `forecast-only` explains the forecast and never acts (AWS `ForecastOnly`); `forecast-and-scale` acts
 * (AWS `ForecastAndScale`). Both fall back to reactive scaling while the last bucket's forecast was wrong.
 */
export const PredictiveSchema = strictObject({
  mode: zenum(['off', 'forecast-only', 'forecast-and-scale']).default('off').describe('Off, explain only, or act.'),
  bucketSeconds: number()
    .int()
    .min(900)
    .max(3600)
    .refine((value) => 86400 % value === 0, { message: 'must divide a day (86400 s)' })
    .default(900)
    .describe('Profile resolution, seconds (divides a day).'),
  weekly: boolean().default(false).describe('Learn weekdays and weekends (UTC) apart.'),
  minHistorySeconds: seconds(1209600).default(86400).describe('History before a forecast is used, seconds.'),
  leadSeconds: seconds(86400)
    .nullable()
    .default(null)
    .describe('Forecast this far ahead, seconds; null: the look-ahead horizon or `replicaBootSeconds`.'),
  maxForecastErrorRatio: number()
    .min(0)
    .max(100)
    .default(0.25)
    .describe('Reactive only while the last forecast exceeded the observed peak by more.'),
});

/** An EC2 Auto Scaling warm pool, as `PutWarmPool` takes it. */
export const WarmPoolSchema = strictObject({
  minSize: number()
    .int()
    .min(0)
    .max(10000)
    .default(0)
    .describe('Instances kept in the warm pool at least (AWS `MinSize`).'),
  maxPreparedCapacity: number()
    .int()
    .min(0)
    .max(100000)
    .optional()
    .describe(
      "Most instances in the group and its warm pool together (AWS `MaxGroupPreparedCapacity`); absent: the group's maximum size.",
    ),
  state: zenum(['Stopped', 'Running', 'Hibernated'])
    .default('Stopped')
    .describe('How warm instances wait (AWS `PoolState`): stopped GPU nodes cost only their volumes.'),
});
export type WarmPool = Infer<typeof WarmPoolSchema>;

/**
 * Missing metrics, in the manner of KEDA's fallback: after `failureThreshold` consecutive failed or
 * INSUFFICIENT_DATA observations (or evaluations with no fresh metric), hold, or go to `capacity`;
 * never below the current capacity unless `allowScaleIn` is true (KEDA #6450: do not collapse a fleet).
 */
export const MissingMetricsSchema = strictObject({
  staleAfterSeconds: number()
    .int()
    .min(1)
    .max(86400)
    .default(300)
    .describe('A sample older than this is not used, seconds.'),
  failureThreshold: number()
    .int()
    .min(1)
    .max(1000)
    .default(3)
    .describe('Consecutive failed observations before the fallback acts.'),
  action: zenum(['hold', 'set-capacity'])
    .default('hold')
    .describe('`hold`: keep the current capacity; `set-capacity`: go to `capacity`.'),
  capacity: number().int().nonnegative().optional().describe('Replicas to go to when `action` is `set-capacity`.'),
  allowScaleIn: boolean()
    .default(false)
    .describe(
      'Let the fallback go below the current capacity (off by default: lost metrics must not collapse a fleet).',
    ),
});

const PolicyObject = strictObject({
  minCapacity: number()
    .int()
    .min(0)
    .max(100000)
    .default(1)
    .describe('Lowest capacity, replicas or nodes. 0 allows scale to zero; the first demand signal wakes to ≥ 1.'),
  maxCapacity: number().int().min(1).max(100000).default(10).describe('Highest capacity, replicas or nodes.'),
  targetTracking: array(TargetTrackingSchema)
    .max(LIMITS.targetTracking)
    .default([])
    .describe('Target tracking, one entry per metric; the largest recommendation wins.'),
  stepScaling: array(StepScalingSchema).max(LIMITS.stepScaling).default([]).describe('Step scaling on alarm breaches.'),
  behavior: BehaviorSchema.prefault({}).describe(
    'Stabilization windows and rate limits per direction, as in HPA `behavior`.',
  ),
  cooldown: CooldownSchema.prefault({}).describe('Cooldowns after a scale-out or scale-in.'),
  burst: BurstSchema.prefault({}).describe('Burst mode (like Knative panic mode).'),
  lookAhead: LookAheadSchema.prefault({}).describe('Buy a boot ahead at a scale-out.'),
  predictive: PredictiveSchema.prefault({}).describe('Scale ahead of a learned daily profile.'),
  missingMetrics: MissingMetricsSchema.prefault({}).describe(
    'What to do when metrics go missing (like KEDA fallback).',
  ),
  replicaBootSeconds: seconds(86400)
    .nullable()
    .default(null)
    .describe(
      "Seconds a new replica or node takes from launch to serving (a GPU instance added to a SageMaker endpoint: about 525; 258 with container caching). null = unknown, no effect. When set, capacity is bought only for demand that lasts: scale-out goes to the lowest recommendation of the last `replicaBootSeconds` (the scale-up stabilization window is at least this long), because a replica bought for a shorter spike is ready only after the spike has passed (the ski-rental break-even: wait as long as buying takes); and burst mode is off when a replica boots slower than a burst's stable window. Plans, scale from zero, manual overrides and spot replacement are not delayed.",
    ),
  observedStaleAfterSeconds: number()
    .int()
    .min(1)
    .max(86400)
    .default(300)
    .describe('A capacity snapshot older than this is stale: hold rather than act on it, seconds.'),
  schedules: array(PlanSchema)
    .max(LIMITS.plans)
    .default([])
    .describe('Scheduled plans (floors and ceilings by time of day).'),
  calendars: dictionary(IdSchema, array(CalendarDateSchema).max(LIMITS.datesPerCalendar))
    .refine((map) => Object.keys(map).length <= LIMITS.calendars, {
      message: `at most ${LIMITS.calendars} calendars`,
    })
    .prefault({})
    .describe('Named exclusion calendars (lists of dates) that plans can refer to, besides the built-in ones.'),
  triggers: array(TriggerSchema)
    .max(LIMITS.triggers)
    .default([])
    .describe('Which signals feed this target (in the manner of KEDA triggers).'),
  warmPools: dictionary(IdSchema, WarmPoolSchema)
    .refine((map) => Object.keys(map).length <= LIMITS.pools, { message: `at most ${LIMITS.pools} pools` })
    .prefault({})
    .describe(
      "Warm pools by pool id (EC2 Auto Scaling groups): pre-initialized instances that join the group in about a minute instead of the ten a GPU node takes to boot and load. On every tick in act mode Tide puts the group's warm pool to this size (`PutWarmPool`) when it differs; a pool not named here keeps whatever warm pool its group has. Warm instances are observed as the pool's `warm` count.",
    ),
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
      ctx.addIssue({
        code: 'custom',
        path: ['schedules', index, 'name'],
        message: `duplicate plan name, was: "${plan.name}"`,
        input: plan.name,
      });
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
      if (!Object.hasOwn(policy.calendars, name) && !BUILT_IN_CALENDAR_NAMES.includes(name)) {
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
