/**
 * The source registry: every payload format Tide reads, how to recognise it (`--source auto`), and its
 * parser. Envelopes (SQS, SNS, Pub/Sub, Eventarc, Event Grid) hand what they carry back to `dispatch`, which
 * recognises it among the formats that envelope can carry.
 */
import { looksLikeAlertmanager, parseAlertmanager } from './alertmanager.ts';
import { parseCloudWatchSnsAlarm } from './aws/cloudwatch-alarm.ts';
import { parseEventBridge } from './aws/envelope.ts';
import { looksLikeSns, parseSns } from './aws/sns.ts';
import { looksLikeSqs, parseSqs } from './aws/sqs.ts';
import { looksLikeAzureMonitor, parseAzureMonitor } from './azure/monitor.ts';
import { looksLikeEventGrid, parseEventGrid } from './azure/eventgrid.ts';
import { looksLikeScheduledEvents, parseScheduledEvents } from './azure/scheduled-events.ts';
import { looksLikeTimerInfo, parseTimerInfo } from './azure/timer.ts';
import { looksLikeCloudEvent, parseCloudEvent } from './cloudevents.ts';
import { contentHash, fail, type ParseContext } from './context.ts';
import { looksLikeAuditLog, parseAuditLog } from './gcp/audit-log.ts';
import { parseEventarc } from './gcp/eventarc.ts';
import { looksLikeMonitoring, parseMonitoring } from './gcp/monitoring.ts';
import { looksLikePubSub, parsePubSub } from './gcp/pubsub.ts';
import { parseCloudScheduler } from './gcp/scheduler.ts';
import { looksLikeVertexJob, parseVertexJob } from './gcp/vertex.ts';
import { parseTideTick } from './schedule-tick.ts';
import type { EventSourceName, ParsedEvent } from './types.ts';

type Json = Record<string, unknown>;

/** One payload format. */
export interface EventSource {
  name: EventSourceName;
  /** One line for `tide parse --help` and the docs. */
  summary: string;
  /** Whether a payload looks like this format (cheap; `auto` tries the sources in registry order). */
  detect(payload: unknown): boolean;
  parse(payload: unknown, ctx: ParseContext): ParsedEvent;
}

const isObject = (payload: unknown): payload is Json =>
  typeof payload === 'object' && payload !== null && !Array.isArray(payload);
const objectWith = (test: (payload: Json) => boolean) => (payload: unknown) => isObject(payload) && test(payload);

/** In detection order: envelopes first, then the specific shapes; a format that only says "JSON" never. */
export const EVENT_SOURCES: readonly EventSource[] = [
  {
    name: 'aws-sqs',
    summary: 'Lambda SQS batch (Records[].body: EventBridge, SNS, raw alarm, tick or CloudEvent)',
    detect: objectWith(looksLikeSqs),
    parse: parseSqs,
  },
  {
    name: 'aws-sns',
    summary: 'SNS notification, Lambda (Records[].Sns) or HTTPS; Message: alarm, EventBridge, tick or CloudEvent',
    detect: objectWith(looksLikeSns),
    parse: parseSns,
  },
  {
    name: 'aws-eventbridge',
    summary: 'EventBridge event: CloudWatch alarm, spot warning, rebalance, SageMaker training job, schedule rule',
    detect: objectWith((p) => typeof p['detail-type'] === 'string' && 'detail' in p),
    parse: parseEventBridge,
  },
  {
    name: 'aws-cloudwatch-alarm',
    summary: 'the CloudWatch alarm JSON that SNS carries (also a raw-delivery SQS body)',
    detect: objectWith((p) => typeof p.AlarmName === 'string' && 'NewStateValue' in p),
    parse: (payload, ctx) => parseCloudWatchSnsAlarm(payload, ctx.envelopeId ?? contentHash(payload), ctx),
  },
  {
    name: 'gcp-pubsub',
    summary: 'Pub/Sub push (base64 data: incident, audit-log entry, Vertex job, tick or CloudEvent)',
    detect: objectWith(looksLikePubSub),
    parse: parsePubSub,
  },
  {
    name: 'gcp-eventarc',
    summary: 'Eventarc CloudEvent (structured): Pub/Sub messagePublished or audit log written',
    detect: objectWith((p) => looksLikeCloudEvent(p) && String(p.type).startsWith('google.cloud.')),
    parse: parseEventarc,
  },
  {
    name: 'gcp-monitoring',
    summary: 'Cloud Monitoring webhook, schema version 1.2 (incident open/closed)',
    detect: objectWith(looksLikeMonitoring),
    parse: parseMonitoring,
  },
  {
    name: 'gcp-audit-log',
    summary: 'Cloud Audit Logs entry compute.instances.preempted',
    detect: objectWith(looksLikeAuditLog),
    parse: parseAuditLog,
  },
  {
    name: 'gcp-vertex',
    summary: 'Vertex AI CustomJob resource (state and worker pools)',
    detect: objectWith(looksLikeVertexJob),
    parse: parseVertexJob,
  },
  {
    name: 'gcp-scheduler',
    summary: 'Cloud Scheduler tick (Pub/Sub or HTTP target; never auto-detected: any body can be a tick)',
    detect: () => false,
    parse: parseCloudScheduler,
  },
  {
    name: 'azure-monitor',
    summary: 'Azure Monitor alert, common alert schema (metric and log, fired/resolved)',
    detect: objectWith(looksLikeAzureMonitor),
    parse: parseAzureMonitor,
  },
  {
    name: 'azure-eventgrid',
    summary:
      'Event Grid (Event Grid or CloudEvents schema): validation handshake, Azure ML run status, dev.tide.* events',
    detect: looksLikeEventGrid,
    parse: parseEventGrid,
  },
  {
    name: 'azure-scheduled-events',
    summary: 'Azure Scheduled Events document (Preempt), as forwarded by a node agent',
    detect: objectWith(looksLikeScheduledEvents),
    parse: parseScheduledEvents,
  },
  {
    name: 'azure-timer',
    summary: 'Azure Functions TimerInfo (tick at the receive time)',
    detect: objectWith(looksLikeTimerInfo),
    parse: parseTimerInfo,
  },
  {
    name: 'alertmanager',
    summary: 'Prometheus Alertmanager webhook, version 4',
    detect: objectWith(looksLikeAlertmanager),
    parse: parseAlertmanager,
  },
  {
    name: 'cloudevents',
    summary: "Tide's CloudEvents 1.0 job events (dev.tide.job.*)",
    detect: objectWith(looksLikeCloudEvent),
    parse: parseCloudEvent,
  },
  {
    name: 'tide-tick',
    summary: 'Tide tick body {"tide":"schedule-tick",…} (EventBridge Scheduler, Cloud Scheduler)',
    detect: objectWith((p) => p.tide === 'schedule-tick'),
    parse: parseTideTick,
  },
];

const BY_NAME = new Map(EVENT_SOURCES.map((source) => [source.name, source]));

/** The source called `name`, if Tide knows it. */
export function findEventSource(name: string): EventSource | undefined {
  return BY_NAME.get(name as EventSourceName);
}

/** The first of `allowed` (in registry order) that recognises the payload. */
export function detectSource(payload: unknown, allowed?: readonly EventSourceName[]): EventSource | undefined {
  return EVENT_SOURCES.find((source) => (!allowed || allowed.includes(source.name)) && source.detect(payload));
}

/** Recognise a payload among `allowed` and parse it; the envelopes call this for what they carry. */
export function dispatch(payload: unknown, allowed: readonly EventSourceName[], ctx: ParseContext): ParsedEvent {
  const source = detectSource(payload, allowed);
  if (!source) {
    return fail(
      ctx,
      'unknown-source',
      `expected ${allowed.length === EVENT_SOURCES.length ? 'a payload Tide knows' : `one of ${allowed.join(', ')}`}, was: a payload none of them recognises`,
    );
  }
  return source.parse(payload, { ...ctx, source: source.name });
}
