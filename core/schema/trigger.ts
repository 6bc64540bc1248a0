import { enum as zenum, object, record, string, type infer as Infer } from 'zod';

/** Event sources Tide ingests (see adapters/events). */
export const TriggerSourceSchema = zenum([
  'aws-cloudwatch',
  'gcp-monitoring',
  'azure-monitor',
  'alertmanager',
  'cloudevents',
  'aws-ec2',
  'aws-sagemaker',
  'gcp-compute',
  'gcp-vertex',
  'azure-ml',
  'azure-scheduled-events',
  'schedule',
  'any',
]);

/**
 * A trigger says which signals feed a target, in the manner of KEDA's triggers: a source and a match on the
 * alarm name, dimensions or labels, or resource id. `metric` renames what the trigger matches to the metric
 * name the policy's target tracking uses.
 */
export const TriggerSchema = object({
  source: TriggerSourceSchema,
  /** Exact alarm or alert name (policy name for Alertmanager: `alertname`). */
  alarmName: string().min(1).optional(),
  /** Every key must be present with this exact value (CloudWatch dimensions, Prometheus labels, …). */
  dimensions: record(string(), string()).optional(),
  /** Provider resource id (ARN, resource name, Azure resource id), exact match. */
  resourceId: string().min(1).optional(),
  /** The metric name this trigger feeds. */
  metric: string().min(1).optional(),
});
export type Trigger = Infer<typeof TriggerSchema>;
