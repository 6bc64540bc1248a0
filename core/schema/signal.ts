import {
  array,
  discriminatedUnion,
  enum as zenum,
  literal,
  number,
  strictObject,
  string,
  type infer as Infer,
  type input as Input,
} from 'zod';
import { dictionary, TimestampSchema } from './common.ts';
import { LIMITS } from './limits.ts';

/** Longest expected running time of a training job: 366 days, seconds (deadlines stay inside the Date range). */
export const MAX_RUN_SECONDS = 366 * 86400;

/**
 * Signals are what the outside world tells the decision core. Every event parser in `adapters/events/`
 * turns a provider payload into one or more of these; `decide` takes exactly one at a time.
 *
 * Common fields: `observedAt` (when the fact was true at the source, epoch ms), `source` (which system said
 * it, e.g. `aws-cloudwatch`, `gcp-monitoring`, `alertmanager`, `tide-api`) and `eventId` (the provider's
 * delivery id, used by the state layer for idempotency).
 */
const base = {
  observedAt: TimestampSchema,
  source: string().min(1),
  eventId: string().min(1).optional(),
};

/** A metric value, e.g. `gpu_utilization` 87 (Percent) or `concurrent_requests_per_replica` 3.5 (Count). */
export const MetricObservationSchema = strictObject({
  kind: literal('metric'),
  /** Metric name as the policy's target tracking and triggers refer to it. */
  metric: string().min(1),
  value: number().refine(Number.isFinite, { message: 'expected a finite number' }),
  /** Unit as the source reports it (Percent, Count, Milliseconds, …); informational. */
  unit: string().optional(),
  dimensions: dictionary(string(), string())
    .refine((map) => Object.keys(map).length <= LIMITS.dimensions, { message: `at most ${LIMITS.dimensions} keys` })
    .optional(),
  ...base,
});

/** The source could not produce a metric (query failed, exporter down): feeds the missing-metrics fallback. */
export const MetricFailureSchema = strictObject({
  kind: literal('metric-failure'),
  metric: string().min(1),
  error: string(),
  ...base,
});

export const AlarmStateSchema = zenum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

/** An alarm changed state (CloudWatch, Cloud Monitoring incident, Azure Monitor alert, Alertmanager). */
export const AlarmStateChangeSchema = strictObject({
  kind: literal('alarm'),
  alarmName: string().min(1),
  state: AlarmStateSchema,
  previousState: AlarmStateSchema.optional(),
  /** Metric the alarm watches, when the source names it; lets the value feed target tracking too. */
  metric: string().min(1).optional(),
  /** Alarm threshold in the metric's unit. */
  threshold: number().optional(),
  /** `above` when the alarm fires on value > threshold (scale-out alarms), `below` for scale-in alarms. */
  comparison: zenum(['above', 'below']).optional(),
  /** Most recent datapoints, oldest first, where the source gives them. */
  datapoints: array(number()).max(LIMITS.datapoints).optional(),
  /** Latest observed value (defaults to the last datapoint). */
  value: number().optional(),
  dimensions: dictionary(string(), string())
    .refine((map) => Object.keys(map).length <= LIMITS.dimensions, { message: `at most ${LIMITS.dimensions} keys` })
    .optional(),
  ...base,
});

/** A scheduled tick (EventBridge Scheduler, Cloud Scheduler, Azure timer): re-evaluate plans at `observedAt`. */
export const ScheduleTickSchema = strictObject({
  kind: literal('schedule-tick'),
  schedule: string().optional(),
  ...base,
});

/** An operator pins capacity until `expiresAt`; `capacity: null` cancels an earlier override. */
export const ManualOverrideSchema = strictObject({
  kind: literal('manual-override'),
  capacity: number().int().nonnegative().nullable(),
  expiresAt: TimestampSchema,
  reason: string().min(1),
  requestedBy: string().optional(),
  ...base,
});

/** The provider will take a spot node: AWS two-minute warning, GCP preemption, Azure eviction. */
export const SpotInterruptionNoticeSchema = strictObject({
  kind: literal('spot-interruption'),
  instanceId: string().min(1),
  poolId: string().optional(),
  instanceType: string().optional(),
  zone: string().optional(),
  /** What the provider will do: terminate, stop, hibernate (AWS), preempt (GCP), evict (Azure). */
  action: zenum(['terminate', 'stop', 'hibernate', 'preempt', 'evict']).default('terminate'),
  /** When the node goes away. */
  deadlineAt: TimestampSchema,
  ...base,
});

/** AWS EC2 instance rebalance recommendation: elevated interruption risk, no deadline yet. */
export const RebalanceRecommendationSchema = strictObject({
  kind: literal('rebalance-recommendation'),
  instanceId: string().min(1),
  poolId: string().optional(),
  instanceType: string().optional(),
  zone: string().optional(),
  ...base,
});

/** A launch failed for lack of capacity (InsufficientInstanceCapacity, ZONE_RESOURCE_POOL_EXHAUSTED, …). */
export const CapacityErrorSchema = strictObject({
  kind: literal('capacity-error'),
  poolId: string().min(1),
  instanceType: string().optional(),
  capacityType: zenum(['spot', 'on-demand']),
  zone: string().optional(),
  code: string().min(1),
  message: string().default(''),
  ...base,
});

export const JobEventTypeSchema = zenum([
  'queued',
  'started',
  'finished',
  'failed',
  'preempted',
  'checkpoint-acknowledged',
]);

/** A training job's lifecycle (SageMaker, Vertex AI, Azure ML, or Tide's CloudEvents for Ray and Spark). */
export const JobEventSchema = strictObject({
  kind: literal('job'),
  event: JobEventTypeSchema,
  jobId: string().min(1),
  /** GPUs each node of the job needs. */
  gpusPerNode: number().int().positive().optional(),
  /** Nodes the job needs at once (multi-node jobs are placed all or nothing). */
  nodeCount: number().int().positive().optional(),
  /** Higher runs first when a cap binds. */
  priority: number().int().optional(),
  /** GPU model the job needs, if any (e.g. `A100`, `H100`). */
  gpuModel: string().optional(),
  /** Instances the job runs on, when the source says. */
  instanceIds: array(string()).max(LIMITS.instanceIds).optional(),
  /** For `checkpoint-acknowledged`: when the checkpoint that was written was taken. */
  checkpointAt: TimestampSchema.optional(),
  /**
   * For `queued`: when the job must be done. While it has slack Tide waits for spot capacity instead of
   * falling back to on-demand (see `training.deadlineSafetySeconds`). Needs `runSeconds` to be used.
   */
  deadlineAt: TimestampSchema.optional(),
  /** For `queued`: expected running time of the whole job on one placement, seconds (no boot, no load). */
  runSeconds: number()
    .positive()
    .max(MAX_RUN_SECONDS, { message: `expected at most ${MAX_RUN_SECONDS} s (366 days)` })
    .optional(),
  ...base,
});

export const SignalSchema = discriminatedUnion('kind', [
  MetricObservationSchema,
  MetricFailureSchema,
  AlarmStateChangeSchema,
  ScheduleTickSchema,
  ManualOverrideSchema,
  SpotInterruptionNoticeSchema,
  RebalanceRecommendationSchema,
  CapacityErrorSchema,
  JobEventSchema,
]);

export type Signal = Infer<typeof SignalSchema>;
export type SignalInput = Input<typeof SignalSchema>;
export type SignalKind = Signal['kind'];
export type MetricObservation = Infer<typeof MetricObservationSchema>;
export type MetricFailure = Infer<typeof MetricFailureSchema>;
export type AlarmStateChange = Infer<typeof AlarmStateChangeSchema>;
export type AlarmState = Infer<typeof AlarmStateSchema>;
export type ScheduleTick = Infer<typeof ScheduleTickSchema>;
export type ManualOverride = Infer<typeof ManualOverrideSchema>;
export type SpotInterruptionNotice = Infer<typeof SpotInterruptionNoticeSchema>;
export type RebalanceRecommendation = Infer<typeof RebalanceRecommendationSchema>;
export type CapacityError = Infer<typeof CapacityErrorSchema>;
export type JobEvent = Infer<typeof JobEventSchema>;
export type JobEventType = Infer<typeof JobEventTypeSchema>;
