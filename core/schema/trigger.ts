import { array, enum as zenum, strictObject, string, type infer as Infer, type input as Input } from 'zod';
import { dictionary } from './common.ts';
import { LIMITS } from './limits.ts';

/**
 * Systems that say things to Tide. Every signal a parser in `adapters/events/` produces carries one of these
 * as its `source`, and a trigger names the one it listens to (`any` listens to all).
 */
export const TriggerSourceSchema = zenum([
  /** CloudWatch alarm state changes (EventBridge or SNS). */
  'aws-cloudwatch',
  /** EC2 spot interruption warnings and rebalance recommendations. */
  'aws-ec2',
  /** SageMaker training job state changes. */
  'aws-sagemaker',
  /** Cloud Monitoring incidents (webhook, Pub/Sub or Eventarc). */
  'gcp-monitoring',
  /** Compute Engine preemptions (audit log). */
  'gcp-compute',
  /** Vertex AI custom job state. */
  'gcp-vertex',
  /** Azure Monitor alerts (common alert schema). */
  'azure-monitor',
  /** Azure Machine Learning run status changes. */
  'azure-ml',
  /** Azure Scheduled Events (Preempt), forwarded by a node agent. */
  'azure-scheduled-events',
  /** Prometheus Alertmanager webhooks. */
  'alertmanager',
  /** Tide's CloudEvents job events (Ray, Spark, any scheduler). */
  'cloudevents',
  /** Schedule ticks from EventBridge Scheduler, Cloud Scheduler or an Azure timer. */
  'schedule',
  'any',
]);
export type TriggerSource = Infer<typeof TriggerSourceSchema>;

/** Signal kinds a trigger can be narrowed to (the `kind` of core/schema/signal.ts). */
export const TriggerSignalKindSchema = zenum([
  'metric',
  'metric-failure',
  'alarm',
  'schedule-tick',
  'manual-override',
  'spot-interruption',
  'rebalance-recommendation',
  'capacity-error',
  'job',
]);

/**
 * A trigger says which signals feed a target, in the manner of KEDA's triggers: a source and a match on the
 * alarm name, the dimensions or labels, or the resource id. Every field given must match; a trigger with
 * only `source` takes every signal from that source. `alarmName` and `resourceId` may use `*` as a wildcard
 * for any run of characters (`tide-llama-*`). One event can feed several targets.
 *
 * `metric` renames what the trigger matches to the metric name the policy's target tracking uses: an alarm
 * on CloudWatch `ConcurrentRequestsPerModel` can feed `concurrent_requests_per_replica`.
 */
export const TriggerSchema = strictObject({
  name: string().min(1).optional().describe('Optional label, shown in logs when the trigger matches.'),
  source: TriggerSourceSchema.describe('The system the trigger listens to (`any`: all of them).'),
  kinds: array(TriggerSignalKindSchema)
    .min(1)
    .optional()
    .describe('Only these signal kinds (e.g. `["spot-interruption"]` for `aws-ec2`); absent = every kind.'),
  alarmName: string()
    .min(1)
    .optional()
    .describe(
      'Alarm or alert name (`alertname` for Alertmanager, alert rule for Azure, policy for Cloud Monitoring); `*` matches any run of characters.',
    ),
  dimensions: dictionary(string(), string())
    .refine((map) => Object.keys(map).length <= LIMITS.dimensions, { message: `at most ${LIMITS.dimensions} keys` })
    .optional()
    .describe('Every key must be present with this exact value (CloudWatch dimensions, Prometheus labels, …).'),
  resourceId: string()
    .min(1)
    .optional()
    .describe(
      'Provider resource id: an ARN, a GCP resource name, an Azure resource id (compared case-insensitively, as Azure does), or a CloudEvents `source`; `*` matches any run of characters. Matches if any resource the event names matches.',
    ),
  metric: string()
    .min(1)
    .optional()
    .describe("The metric name this trigger feeds (renames the signal's metric for this target)."),
});
export type Trigger = Infer<typeof TriggerSchema>;
export type TriggerInput = Input<typeof TriggerSchema>;
