/**
 * One row per fixture: the exact signals a documented provider payload yields, the event id, the source
 * `auto` recognises, and the targets of FLEET the signals are routed to (`targetId#triggerIndex`).
 *
 * Where the fixtures' shapes come from (facts taken from the providers' documentation, values adapted):
 * - aws/eventbridge-cloudwatch-alarm-*: Amazon CloudWatch User Guide, "Alarm events and EventBridge"
 *   (single-metric, metric-math and anomaly-detection examples, verbatim).
 * - aws/sns-*-cloudwatch-alarm*: CloudWatch's SNS alarm notification JSON (AlarmName, NewStateValue,
 *   NewStateReason, StateChangeTime, Trigger{…, Metrics[]}) inside the SNS envelope of the Lambda SNS event
 *   (Records[].Sns) and of an HTTPS delivery (Type/MessageId/TopicArn/Message); SNS developer guide for
 *   the SubscriptionConfirmation example.
 * - aws/eventbridge-spot-interruption, -rebalance-recommendation: EC2 User Guide, "Spot Instance
 *   interruption notices" and "EC2 instance rebalance recommendations" example events.
 * - aws/eventbridge-sagemaker-training-*: SageMaker Developer Guide, "Automating SageMaker with EventBridge",
 *   training job state change example (verbatim for -completed; -interrupted changes the status to managed
 *   spot's InProgress/Interrupted and a real instance type).
 * - aws/eventbridge-scheduled-event: EventBridge "Scheduled Event" (aws.events) envelope.
 * - tide/schedule-tick: Tide's tick body filled by EventBridge Scheduler context attributes
 *   (<aws.scheduler.schedule-arn>, <aws.scheduler.scheduled-time>, <aws.scheduler.execution-id>, whose
 *   documented example id d32c5kddcf5bb8c3 is used).
 * - aws/sqs-batch-mixed: Lambda SQS event (Records[].messageId/body/eventSource "aws:sqs").
 * - gcp/monitoring-incident-*: Cloud Monitoring "notification channels", webhook schema 1.2 incident example.
 * - gcp/pubsub-*: Pub/Sub push delivery (message.data base64, messageId, publishTime, subscription).
 * - gcp/eventarc-*: Eventarc CloudEvents google.cloud.pubsub.topic.v1.messagePublished and
 *   google.cloud.audit.log.v1.written.
 * - gcp/audit-log-compute-preempted: Compute Engine system-event audit log entry (protoPayload.methodName
 *   compute.instances.preempted, resource gce_instance, principal system@google.com).
 * - gcp/vertex-*: Vertex AI REST CustomJob resource (name, jobSpec.workerPoolSpecs[].machineSpec, int64
 *   replicaCount as a string, JobState values).
 * - azure/monitor-*: Azure Monitor "Common alert schema" sample payloads (metric static threshold, fired and
 *   resolved; Log Alerts V2).
 * - azure/eventgrid-*, azure/cloudevents-*: Event Grid "Azure Machine Learning as an Event Grid source"
 *   RunStatusChanged examples (both schemas), and the SubscriptionValidationEvent example;
 *   eventgrid-cloudevents-tide-job-started is a Tide job event through a custom topic (CloudEvents schema).
 * - azure/scheduled-events-preempt: "Scheduled Events for Linux VMs" document (DocumentIncarnation, Events[],
 *   NotBefore in RFC 1123), plus the node agent's resourceId.
 * - azure/timer-info: Azure Functions timer trigger TimerInfo (schedule, scheduleStatus, isPastDue).
 * - alertmanager/*: Alertmanager configuration docs, webhook_config payload, "version": "4".
 * - cloudevents/*: CloudEvents 1.0 structured JSON with Tide's documented types (docs/events.md);
 *   ray-job-queued-deadline adds the optional `deadline` (RFC 3339) and `runSeconds` of a job with a deadline.
 */
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../adapters/events/index.ts';
import type { Signal } from '../../../core/schema/signal.ts';
import { routeSignals } from '../../../core/triggers/index.ts';
import { FLEET, fixtureText, RECEIVED_AT } from './support.ts';

const at = (iso: string) => Date.parse(iso);

interface Row {
  file: string;
  /** Source passed to parseEvent. */
  source: string;
  /** What `auto` recognises (null: not recognisable on its own, see gcp-scheduler). */
  detected: string | null;
  eventId: string;
  signals: Signal[];
  /** `targetId#triggerIndex` for every delivery, in order. */
  deliveries: string[];
}

const cpuAlarm: Signal = {
  kind: 'alarm',
  alarmName: 'ServerCpuTooHigh',
  state: 'ALARM',
  previousState: 'OK',
  metric: 'CPUUtilization',
  threshold: 50,
  comparison: 'above',
  datapoints: [99.50160229693434],
  value: 99.50160229693434,
  dimensions: { InstanceId: 'i-12345678901234567' },
  observedAt: at('2019-10-02T17:04:40.989Z'),
  source: 'aws-cloudwatch',
  eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
};

const endpointAlarm: Signal = {
  kind: 'alarm',
  alarmName: 'tide-llama-endpoint-concurrency-high',
  state: 'ALARM',
  previousState: 'OK',
  metric: 'ConcurrentRequestsPerModel',
  threshold: 4,
  comparison: 'above',
  // The reason text lists newest first; the signal is oldest first.
  datapoints: [4, 4.25, 5.5],
  value: 5.5,
  dimensions: { EndpointName: 'llama-endpoint', VariantName: 'AllTraffic' },
  observedAt: at('2026-03-09T13:32:05.118Z'),
  source: 'aws-cloudwatch',
  eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
};

const spotWarning: Signal = {
  kind: 'spot-interruption',
  instanceId: 'i-1234567890abcdef0',
  action: 'terminate',
  deadlineAt: at('2026-03-09T14:04:11Z'),
  observedAt: at('2026-03-09T14:02:11Z'),
  source: 'aws-ec2',
  eventId: '12345678-1234-1234-1234-123456789012',
};

const marketOpenTick: Signal = {
  kind: 'schedule-tick',
  schedule: 'tide-market-open',
  observedAt: at('2026-03-09T13:25:00Z'),
  source: 'schedule',
  eventId: 'd32c5kddcf5bb8c3',
};

const incidentDimensions = {
  team: 'inference',
  machine_type: 'e2-medium',
  'tide-target': 'llama-endpoint',
  instance_name: 'gke-cluster-1-default-pool-e2df4cbd-dgp3',
  instance_id: '11223344',
  project_id: 'internal-project',
  zone: 'us-central1-c',
};

const incidentOpen: Signal = {
  kind: 'alarm',
  alarmName: 'Monitor-Project-Cluster',
  state: 'ALARM',
  metric: 'compute.googleapis.com/instance/cpu/utilization',
  threshold: 0.9,
  comparison: 'above',
  datapoints: [0.955],
  value: 0.955,
  dimensions: incidentDimensions,
  observedAt: 1577840461000,
  source: 'gcp-monitoring',
  eventId: '0.opqiw61fsv7p:open',
};

const gcpPreemption: Signal = {
  kind: 'spot-interruption',
  instanceId: 'tide-a100-spot-7k2p',
  zone: 'us-central1-a',
  action: 'preempt',
  deadlineAt: at('2026-03-09T14:10:32.515Z'),
  observedAt: at('2026-03-09T14:10:02.515Z'),
  source: 'gcp-compute',
  eventId: '-9n7qkze1a8wq',
};

const vertexJob = (event: 'queued' | 'started', observedAt: string, state: string): Signal => ({
  kind: 'job',
  event,
  jobId: '8452961247563169792',
  gpusPerNode: 8,
  nodeCount: 4,
  gpuModel: 'A100',
  observedAt: at(observedAt),
  source: 'gcp-vertex',
  eventId: `projects/123456789012/locations/us-central1/customJobs/8452961247563169792:${state}`,
});

const azureAlarm = (state: 'ALARM' | 'OK', value: number, observedAt: string, condition: string): Signal => ({
  kind: 'alarm',
  alarmName: 'WCUS-R2-Gen2',
  state,
  metric: 'Percentage CPU',
  threshold: 25,
  comparison: 'above',
  datapoints: [value],
  value,
  dimensions: { Key1: 'Value1', Key2: 'Value2', ResourceId: 'a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1' },
  observedAt: at(observedAt),
  source: 'azure-monitor',
  eventId: `/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e:${condition}`,
});

const gpuAlert = (pod: string, value: number, startsAt: string, fingerprint: string): Signal => ({
  kind: 'alarm',
  alarmName: 'TideGpuUtilizationHigh',
  state: 'ALARM',
  metric: 'gpu_utilization',
  threshold: 80,
  comparison: 'above',
  datapoints: [value],
  value,
  dimensions: {
    alertname: 'TideGpuUtilizationHigh',
    severity: 'warning',
    job: 'dcgm-exporter',
    deployment: 'llama-serve',
    pod,
  },
  observedAt: at(startsAt),
  source: 'alertmanager',
  eventId: `${fingerprint}:firing:${at(startsAt)}`,
});

const rayJob = {
  jobId: 'raysubmit_XYZ123abc',
  source: 'cloudevents',
} as const;

const rows: Row[] = [
  {
    file: 'aws/eventbridge-cloudwatch-alarm-single-metric.json',
    source: 'aws-eventbridge',
    detected: 'aws-eventbridge',
    eventId: cpuAlarm.eventId!,
    signals: [cpuAlarm],
    deliveries: ['cpu-fleet#0'],
  },
  {
    file: 'aws/eventbridge-cloudwatch-alarm-metric-math.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: '2dde0eb1-528b-d2d5-9ca6-6d590caf2329',
    signals: [
      {
        kind: 'alarm',
        alarmName: 'TotalNetworkTrafficTooHigh',
        state: 'ALARM',
        previousState: 'INSUFFICIENT_DATA',
        // The expression's label: the metric the alarm really evaluates.
        metric: 'Total Network Traffic',
        threshold: 10000,
        comparison: 'above',
        datapoints: [45628],
        value: 45628,
        dimensions: { InstanceId: 'i-12345678901234567' },
        observedAt: at('2019-10-02T17:20:48.554Z'),
        source: 'aws-cloudwatch',
        eventId: '2dde0eb1-528b-d2d5-9ca6-6d590caf2329',
      },
    ],
    deliveries: ['cpu-fleet#0'],
  },
  {
    file: 'aws/eventbridge-cloudwatch-alarm-anomaly-band.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: 'daafc9f1-bddd-c6c9-83af-74971fcfc4ef',
    signals: [
      {
        // A band has no single threshold or direction.
        kind: 'alarm',
        alarmName: 'EC2 CPU Utilization Anomaly',
        state: 'ALARM',
        previousState: 'OK',
        metric: 'CPUUtilization',
        datapoints: [0],
        value: 0,
        dimensions: { InstanceId: 'i-12345678901234567' },
        observedAt: at('2019-10-03T16:00:04.653Z'),
        source: 'aws-cloudwatch',
        eventId: 'daafc9f1-bddd-c6c9-83af-74971fcfc4ef',
      },
    ],
    deliveries: ['cpu-fleet#0'],
  },
  {
    file: 'aws/sns-lambda-cloudwatch-alarm.json',
    source: 'aws-sns',
    detected: 'aws-sns',
    eventId: endpointAlarm.eventId!,
    signals: [endpointAlarm],
    deliveries: ['llama-endpoint#0'],
  },
  {
    file: 'aws/sns-http-cloudwatch-alarm-metric-math.json',
    source: 'auto',
    detected: 'aws-sns',
    eventId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    signals: [
      {
        kind: 'alarm',
        alarmName: 'tide-gpu-fleet-utilization-low',
        state: 'ALARM',
        previousState: 'OK',
        metric: 'fleet_gpu_utilization',
        threshold: 30,
        comparison: 'below',
        datapoints: [22.5],
        value: 22.5,
        // Pool=pool-a and Pool=pool-b disagree: no dimensions.
        observedAt: at('2026-03-09T20:06:12.004Z'),
        source: 'aws-cloudwatch',
        eventId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      },
    ],
    deliveries: ['fleet-wide-ticks#1'],
  },
  {
    file: 'aws/sns-subscription-confirmation.json',
    source: 'auto',
    detected: 'aws-sns',
    eventId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
    signals: [],
    deliveries: [],
  },
  {
    file: 'aws/eventbridge-spot-interruption.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: spotWarning.eventId!,
    signals: [spotWarning],
    deliveries: ['a100-training#1'],
  },
  {
    file: 'aws/eventbridge-rebalance-recommendation.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: '12345678-1234-1234-1234-123456789013',
    signals: [
      {
        kind: 'rebalance-recommendation',
        instanceId: 'i-1234567890abcdef0',
        observedAt: at('2026-03-09T13:58:40Z'),
        source: 'aws-ec2',
        eventId: '12345678-1234-1234-1234-123456789013',
      },
    ],
    deliveries: ['a100-training#1'],
  },
  {
    file: 'aws/eventbridge-sagemaker-training-completed.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: '844e2571-85d4-695f-b930-0153b71dcb42',
    signals: [
      // The documented example's instance type is the placeholder "InstanceType": no GPU figures.
      {
        kind: 'job',
        event: 'finished',
        jobId: '89c96cc8-dded-4739-afcc-6f1dc936701d',
        nodeCount: 3,
        observedAt: at('2018-10-06T12:26:13Z'),
        source: 'aws-sagemaker',
        eventId: '844e2571-85d4-695f-b930-0153b71dcb42',
      },
    ],
    deliveries: [],
  },
  {
    file: 'aws/eventbridge-sagemaker-training-interrupted.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: '5b1e1d9c-31f6-4a8e-9d0e-6f2f1f6f7a01',
    signals: [
      {
        kind: 'job',
        event: 'preempted',
        jobId: 'llama-ft-0309',
        gpusPerNode: 8,
        nodeCount: 2,
        gpuModel: 'A100',
        observedAt: at('2026-03-09T15:41:07Z'),
        source: 'aws-sagemaker',
        eventId: '5b1e1d9c-31f6-4a8e-9d0e-6f2f1f6f7a01',
      },
    ],
    deliveries: ['a100-training#2'],
  },
  {
    file: 'aws/eventbridge-scheduled-event.json',
    source: 'auto',
    detected: 'aws-eventbridge',
    eventId: '89d1a02d-5ec7-412e-82f5-13505f849b41',
    signals: [
      {
        kind: 'schedule-tick',
        schedule: 'tide-every-minute',
        observedAt: at('2026-03-09T13:30:00Z'),
        source: 'schedule',
        eventId: '89d1a02d-5ec7-412e-82f5-13505f849b41',
      },
    ],
    deliveries: ['fleet-wide-ticks#0'],
  },
  {
    file: 'tide/schedule-tick.json',
    source: 'auto',
    detected: 'tide-tick',
    eventId: 'd32c5kddcf5bb8c3',
    signals: [marketOpenTick],
    deliveries: ['llama-endpoint#3', 'fleet-wide-ticks#0'],
  },
  {
    file: 'aws/sqs-batch-mixed.json',
    source: 'aws-sqs',
    detected: 'aws-sqs',
    eventId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown as string,
    signals: [spotWarning, endpointAlarm, marketOpenTick],
    deliveries: ['a100-training#1', 'llama-endpoint#0', 'llama-endpoint#3', 'fleet-wide-ticks#0'],
  },
  {
    file: 'gcp/monitoring-incident-open.json',
    source: 'gcp-monitoring',
    detected: 'gcp-monitoring',
    eventId: '0.opqiw61fsv7p:open',
    signals: [incidentOpen],
    deliveries: ['llama-endpoint#2'],
  },
  {
    file: 'gcp/monitoring-incident-closed.json',
    source: 'auto',
    detected: 'gcp-monitoring',
    eventId: '0.opqiw61fsv7p:closed',
    signals: [
      {
        ...incidentOpen,
        state: 'OK',
        datapoints: [0.835],
        value: 0.835,
        observedAt: 1577877071000,
        eventId: '0.opqiw61fsv7p:closed',
      } as Signal,
    ],
    deliveries: ['llama-endpoint#2'],
  },
  {
    file: 'gcp/pubsub-monitoring-incident.json',
    source: 'gcp-pubsub',
    detected: 'gcp-pubsub',
    eventId: '2070443601311540',
    signals: [incidentOpen],
    deliveries: ['llama-endpoint#2'],
  },
  {
    file: 'gcp/eventarc-pubsub-monitoring-incident.json',
    source: 'gcp-eventarc',
    detected: 'gcp-eventarc',
    eventId: '2070443601311540',
    signals: [incidentOpen],
    deliveries: ['llama-endpoint#2'],
  },
  {
    file: 'gcp/audit-log-compute-preempted.json',
    source: 'auto',
    detected: 'gcp-audit-log',
    eventId: '-9n7qkze1a8wq',
    signals: [gcpPreemption],
    deliveries: ['a100-training#3'],
  },
  {
    file: 'gcp/pubsub-compute-preempted.json',
    source: 'auto',
    detected: 'gcp-pubsub',
    eventId: '7440918385519731',
    signals: [gcpPreemption],
    deliveries: ['a100-training#3'],
  },
  {
    file: 'gcp/eventarc-audit-log-preempted.json',
    source: 'auto',
    detected: 'gcp-eventarc',
    eventId: 'projects/ml-prod/logs/cloudaudit.googleapis.com%2Fsystem_event-9n7qkze1a8wq1773065402515',
    signals: [gcpPreemption],
    deliveries: ['a100-training#3'],
  },
  {
    file: 'gcp/vertex-custom-job-pending.json',
    source: 'auto',
    detected: 'gcp-vertex',
    eventId: 'projects/123456789012/locations/us-central1/customJobs/8452961247563169792:JOB_STATE_PENDING',
    // Two worker pools of a2-highgpu-8g (1 + 3 replicas), 8 × A100 each.
    signals: [vertexJob('queued', '2026-03-09T15:00:09.112Z', 'JOB_STATE_PENDING')],
    deliveries: ['a100-training#4'],
  },
  {
    file: 'gcp/pubsub-vertex-custom-job-running.json',
    source: 'auto',
    detected: 'gcp-pubsub',
    eventId: '9120346612204731',
    signals: [vertexJob('started', '2026-03-09T15:06:44.812Z', 'JOB_STATE_RUNNING')],
    deliveries: ['a100-training#4'],
  },
  {
    file: 'gcp/scheduler-pubsub-tick.json',
    source: 'gcp-scheduler',
    detected: null,
    eventId: '11842933011847561',
    signals: [
      {
        kind: 'schedule-tick',
        schedule: 'tide-market-open',
        observedAt: at('2026-03-09T13:25:00.204Z'),
        source: 'schedule',
        eventId: '11842933011847561',
      },
    ],
    deliveries: ['llama-endpoint#3', 'fleet-wide-ticks#0'],
  },
  {
    file: 'azure/monitor-metric-alert-fired.json',
    source: 'azure-monitor',
    detected: 'azure-monitor',
    eventId: azureAlarm('ALARM', 31.1105, '2019-03-22T13:58:24.371Z', 'Fired').eventId!,
    signals: [azureAlarm('ALARM', 31.1105, '2019-03-22T13:58:24.371Z', 'Fired')],
    deliveries: ['cpu-fleet#1'],
  },
  {
    file: 'azure/monitor-metric-alert-resolved.json',
    source: 'auto',
    detected: 'azure-monitor',
    eventId: azureAlarm('OK', 7.727, '2019-03-22T14:03:16.224Z', 'Resolved').eventId!,
    signals: [azureAlarm('OK', 7.727, '2019-03-22T14:03:16.224Z', 'Resolved')],
    deliveries: ['cpu-fleet#1'],
  },
  {
    file: 'azure/monitor-log-alert-v2-fired.json',
    source: 'auto',
    detected: 'azure-monitor',
    eventId:
      '/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.AlertsManagement/alerts/bbbb1b1b-cc2c-dd3d-ee4e-ffffff5f5f5f:Fired',
    signals: [
      {
        kind: 'alarm',
        alarmName: 'tide-queue-depth-low',
        state: 'ALARM',
        metric: 'CounterValue',
        threshold: 1,
        comparison: 'below',
        datapoints: [0],
        value: 0,
        dimensions: { Computer: 'TestComputer' },
        observedAt: at('2020-07-09T14:04:49.996Z'),
        source: 'azure-monitor',
        eventId:
          '/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.AlertsManagement/alerts/bbbb1b1b-cc2c-dd3d-ee4e-ffffff5f5f5f:Fired',
      },
    ],
    deliveries: [],
  },
  {
    file: 'azure/eventgrid-subscription-validation.json',
    source: 'azure-eventgrid',
    detected: 'azure-eventgrid',
    eventId: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
    signals: [],
    deliveries: [],
  },
  {
    file: 'azure/eventgrid-ml-run-status-changed.json',
    source: 'auto',
    detected: 'azure-eventgrid',
    eventId: '831e1650-001e-001b-66ab-eeb76e069631',
    // The documented example writes the status in lower case ("failed").
    signals: [
      {
        kind: 'job',
        event: 'failed',
        jobId: 'AutoML_ad912b2d-6467-4f32-a616-dbe4af6dd8fc_5',
        observedAt: at('2017-06-26T18:41:00.958Z'),
        source: 'azure-ml',
        eventId: '831e1650-001e-001b-66ab-eeb76e069631',
      },
    ],
    deliveries: [],
  },
  {
    file: 'azure/cloudevents-ml-run-status-changed.json',
    source: 'auto',
    detected: 'azure-eventgrid',
    eventId: '931e1650-001e-001b-66ab-eeb76e069632',
    signals: [
      {
        kind: 'job',
        event: 'started',
        jobId: 'AutoML_ad912b2d-6467-4f32-a616-dbe4af6dd8fc_5',
        observedAt: at('2026-03-09T16:00:12.501Z'),
        source: 'azure-ml',
        eventId: '931e1650-001e-001b-66ab-eeb76e069632',
      },
    ],
    deliveries: ['a100-training#5'],
  },
  {
    file: 'azure/eventgrid-cloudevents-tide-job-started.json',
    source: 'auto',
    detected: 'azure-eventgrid',
    eventId: '/ray/clusters/train-a100#4f7c2d1e-9a8b-4c3d-8e2f-1a0b9c8d7e6f',
    // A Tide job event through an Event Grid custom topic in the CloudEvents schema.
    signals: [
      {
        kind: 'job',
        event: 'started',
        ...rayJob,
        gpusPerNode: 8,
        nodeCount: 4,
        gpuModel: 'A100',
        instanceIds: ['i-0a1b2c3d4e5f60718', 'i-0a1b2c3d4e5f60719', 'i-0a1b2c3d4e5f60720', 'i-0a1b2c3d4e5f60721'],
        observedAt: at('2026-03-09T15:06:30Z'),
        eventId: '/ray/clusters/train-a100#4f7c2d1e-9a8b-4c3d-8e2f-1a0b9c8d7e6f',
      },
    ],
    deliveries: ['a100-training#0'],
  },
  {
    file: 'azure/scheduled-events-preempt.json',
    source: 'auto',
    detected: 'azure-scheduled-events',
    eventId: expect.stringMatching(/^sha256:/) as unknown as string,
    // No time in the document: observed at the receive time, due at NotBefore.
    signals: [
      {
        kind: 'spot-interruption',
        instanceId: 'tide-nc24-spot_3',
        action: 'evict',
        deadlineAt: at('2026-03-09T14:20:47Z'),
        observedAt: RECEIVED_AT,
        source: 'azure-scheduled-events',
        eventId: 'A123BC45-1234-5678-AB90-ABCDEF123456',
      },
    ],
    deliveries: ['a100-training#6'],
  },
  {
    file: 'azure/timer-info.json',
    source: 'azure-timer',
    detected: 'azure-timer',
    eventId: expect.stringMatching(/^sha256:/) as unknown as string,
    signals: [
      {
        kind: 'schedule-tick',
        observedAt: RECEIVED_AT,
        source: 'schedule',
        eventId: expect.stringMatching(/^sha256:/) as unknown as string,
      },
    ],
    deliveries: ['fleet-wide-ticks#0'],
  },
  {
    file: 'alertmanager/webhook-firing-grouped.json',
    source: 'alertmanager',
    detected: 'alertmanager',
    eventId: expect.stringMatching(/^sha256:/) as unknown as string,
    signals: [
      gpuAlert('llama-serve-7d9f8-abcde', 91.5, '2026-03-09T13:31:02.123Z', '1e6d6f3b2e7a9c01'),
      gpuAlert('llama-serve-7d9f8-fghij', 87.25, '2026-03-09T13:31:32.456Z', '5c2a9e8d4b1f7a02'),
    ],
    deliveries: ['llama-endpoint#1', 'llama-endpoint#1'],
  },
  {
    file: 'alertmanager/webhook-resolved.json',
    source: 'auto',
    detected: 'alertmanager',
    eventId: expect.stringMatching(/^sha256:/) as unknown as string,
    signals: [
      {
        ...gpuAlert('llama-serve-7d9f8-abcde', 62, '2026-03-09T13:31:02.123Z', '1e6d6f3b2e7a9c01'),
        state: 'OK',
        observedAt: at('2026-03-09T13:52:02.123Z'),
        eventId: `1e6d6f3b2e7a9c01:resolved:${at('2026-03-09T13:31:02.123Z')}`,
      } as Signal,
    ],
    deliveries: ['llama-endpoint#1'],
  },
  {
    file: 'cloudevents/ray-job-queued.json',
    source: 'cloudevents',
    detected: 'cloudevents',
    eventId: '/ray/clusters/train-a100#b2f6c6e0-5d55-4a4e-9a0e-0c5a1f3d2e11',
    signals: [
      {
        kind: 'job',
        event: 'queued',
        ...rayJob,
        gpusPerNode: 8,
        nodeCount: 4,
        priority: 10,
        gpuModel: 'A100',
        observedAt: at('2026-03-09T15:00:00Z'),
        eventId: '/ray/clusters/train-a100#b2f6c6e0-5d55-4a4e-9a0e-0c5a1f3d2e11',
      },
    ],
    deliveries: ['a100-training#0'],
  },
  {
    // A job that must be done by midnight: 6 h of work (runSeconds) queued at 15:00Z, due 9 h later.
    file: 'cloudevents/ray-job-queued-deadline.json',
    source: 'auto',
    detected: 'cloudevents',
    eventId: '/ray/clusters/train-a100#e4a1c2b3-7d8e-4f90-a1b2-c3d4e5f60718',
    signals: [
      {
        kind: 'job',
        event: 'queued',
        jobId: 'raysubmit_NIGHTLY42',
        gpusPerNode: 8,
        nodeCount: 2,
        gpuModel: 'A100',
        deadlineAt: at('2026-03-10T00:00:00Z'),
        runSeconds: 21600,
        observedAt: at('2026-03-09T15:00:00Z'),
        source: 'cloudevents',
        eventId: '/ray/clusters/train-a100#e4a1c2b3-7d8e-4f90-a1b2-c3d4e5f60718',
      },
    ],
    deliveries: ['a100-training#0'],
  },
  {
    file: 'cloudevents/ray-job-preempted.json',
    source: 'auto',
    detected: 'cloudevents',
    eventId: '/ray/clusters/train-a100#c7d9e0f1-2a3b-4c5d-8e9f-0a1b2c3d4e5f',
    signals: [
      {
        kind: 'job',
        event: 'preempted',
        ...rayJob,
        gpusPerNode: 8,
        nodeCount: 1,
        gpuModel: 'A100',
        instanceIds: ['i-0a1b2c3d4e5f60718'],
        observedAt: at('2026-03-09T16:42:10Z'),
        eventId: '/ray/clusters/train-a100#c7d9e0f1-2a3b-4c5d-8e9f-0a1b2c3d4e5f',
      },
    ],
    deliveries: ['a100-training#0'],
  },
  {
    file: 'cloudevents/ray-job-checkpoint-acknowledged.json',
    source: 'auto',
    detected: 'cloudevents',
    eventId: '/ray/clusters/train-a100#d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6',
    signals: [
      {
        kind: 'job',
        event: 'checkpoint-acknowledged',
        ...rayJob,
        instanceIds: ['i-0a1b2c3d4e5f60718'],
        checkpointAt: at('2026-03-09T16:42:58Z'),
        observedAt: at('2026-03-09T16:43:05Z'),
        eventId: '/ray/clusters/train-a100#d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6',
      },
    ],
    deliveries: ['a100-training#0'],
  },
  {
    file: 'cloudevents/spark-application-started.json',
    source: 'auto',
    detected: 'cloudevents',
    eventId: 'spark://emr-gpu.example.internal:7077#spark-app-20260309151500-0001-started',
    signals: [
      {
        kind: 'job',
        event: 'started',
        jobId: 'app-20260309151500-0001',
        gpusPerNode: 4,
        nodeCount: 6,
        gpuModel: 'A10G',
        observedAt: at('2026-03-09T15:15:04Z'),
        source: 'cloudevents',
        eventId: 'spark://emr-gpu.example.internal:7077#spark-app-20260309151500-0001-started',
      },
    ],
    deliveries: ['spark-pool#0'],
  },
  {
    file: 'cloudevents/spark-application-finished.json',
    source: 'auto',
    detected: 'cloudevents',
    eventId: 'spark://emr-gpu.example.internal:7077#spark-app-20260309151500-0001-finished',
    // data_base64 carries the data.
    signals: [
      {
        kind: 'job',
        event: 'finished',
        jobId: 'app-20260309151500-0001',
        observedAt: at('2026-03-09T17:02:40Z'),
        source: 'cloudevents',
        eventId: 'spark://emr-gpu.example.internal:7077#spark-app-20260309151500-0001-finished',
      },
    ],
    deliveries: ['spark-pool#0'],
  },
];

describe('documented provider payloads', () => {
  it.each(rows)('$file → exact signals, event id and targets', (row) => {
    const result = parseEvent(fixtureText(row.file), row.source, { receivedAt: RECEIVED_AT });
    if (!result.ok) throw result.error;
    expect(result.event.eventId).toEqual(row.eventId);
    expect(result.event.signals.map((routable) => routable.signal)).toEqual(row.signals);
    const routing = routeSignals(FLEET, result.event.signals);
    expect(routing.deliveries.map((d) => `${d.targetId}#${d.triggerIndex}`)).toEqual(row.deliveries);
  });

  it.each(rows)('$file → auto recognises it as $detected', (row) => {
    const result = parseEvent(fixtureText(row.file), 'auto', { receivedAt: RECEIVED_AT });
    if (row.detected === null) {
      expect(result.ok).toBe(false);
      return;
    }
    if (!result.ok) throw result.error;
    expect(result.event.source).toBe(row.detected);
  });
});

describe('what the fixtures carry besides signals', () => {
  it('answers the Event Grid validation handshake with the code', () => {
    const result = parseEvent(fixtureText('azure/eventgrid-subscription-validation.json'), 'auto');
    expect(result.ok && result.event.handshake).toEqual({
      kind: 'azure-eventgrid-validation',
      response: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' },
      validationUrl: expect.stringContaining('https://rp-eastus2.eventgrid.azure.net'),
    });
  });

  it('hands the SNS subscription confirmation URL back', () => {
    const result = parseEvent(fixtureText('aws/sns-subscription-confirmation.json'), 'auto');
    expect(result.ok && result.event.handshake).toEqual({
      kind: 'aws-sns-subscription-confirmation',
      subscribeUrl: expect.stringContaining('Action=ConfirmSubscription'),
      topicArn: 'arn:aws:sns:us-west-2:123456789012:MyTopic',
    });
  });

  it('reports the bad SQS records by messageId and keeps the good ones', () => {
    const result = parseEvent(fixtureText('aws/sqs-batch-mixed.json'), 'aws-sqs');
    if (!result.ok) throw result.error;
    expect(result.event.batch?.batchItemFailures).toEqual([
      { itemIdentifier: '7c1d9e2a-1111-4bb0-9a3e-0f1e2d3c4b5a' },
      { itemIdentifier: '9a8b7c6d-2222-4c1d-8e2f-3a4b5c6d7e8f' },
    ]);
    const failures = result.event.batch!.records.flatMap((r) =>
      r.ok ? [] : [[r.error.code, r.error.source, r.error.path]],
    );
    expect(failures).toEqual([
      ['malformed', 'aws-sqs', 'Records[3].body'],
      ['unsupported', 'aws-eventbridge', 'Records[4].body.detail-type'],
    ]);
  });

  it('renames the metric to what the trigger feeds', () => {
    const result = parseEvent(fixtureText('aws/sns-lambda-cloudwatch-alarm.json'), 'aws-sns');
    if (!result.ok) throw result.error;
    const [delivery] = routeSignals(FLEET, result.event.signals).deliveries;
    expect(delivery?.signal).toEqual({ ...endpointAlarm, metric: 'concurrent_requests_per_replica' });
  });

  it('notes what it read but did not turn into a signal', () => {
    const result = parseEvent(fixtureText('aws/eventbridge-sagemaker-training-completed.json'), 'auto');
    expect(result.ok && result.event.notes).toEqual([
      'instance type InstanceType is not in the catalog: GPU demand unknown',
    ]);
  });
});
