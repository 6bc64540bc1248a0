import type { RoutableSignal } from '../../core/triggers/match.ts';
import type { EventParseError } from './errors.ts';

/**
 * The payload formats `tide parse --source SOURCE` and the cloud functions understand. A format is how the
 * bytes arrive (an SQS batch, a Pub/Sub push, an Event Grid array); the signals inside name the system that
 * spoke (`aws-cloudwatch`, `gcp-compute`, …) as their `source`.
 */
export const EVENT_SOURCE_NAMES = [
  'aws-eventbridge',
  'aws-sns',
  'aws-sqs',
  'aws-cloudwatch-alarm',
  'gcp-monitoring',
  'gcp-pubsub',
  'gcp-eventarc',
  'gcp-audit-log',
  'gcp-vertex',
  'gcp-scheduler',
  'azure-monitor',
  'azure-eventgrid',
  'azure-scheduled-events',
  'azure-timer',
  'alertmanager',
  'cloudevents',
  'tide-tick',
] as const;
/** A payload format name, as `tide parse --source` takes it. */
export type EventSourceName = (typeof EVENT_SOURCE_NAMES)[number];

/** Options of one parse. */
export interface ParseOptions {
  /** Largest payload accepted, bytes (UTF-8). Default 262 144 (256 KB, the SQS and EventBridge limit). */
  maxBytes?: number;
  /**
   * When the payload was received, epoch ms. Used only by payloads that carry no time of their own (the
   * Azure timer's TimerInfo); the parsers never read the clock, so the caller passes it.
   */
  receivedAt?: number;
  /** Alertmanager annotation that holds the observed value. Default `value`. */
  valueAnnotation?: string;
  /** Alertmanager annotation that holds the alert's threshold. Default `threshold`. */
  thresholdAnnotation?: string;
}

/** Options with their defaults filled in. */
export type ResolvedParseOptions = Required<Omit<ParseOptions, 'receivedAt'>> & { receivedAt?: number };

/** Default payload size limit: 256 KB, the SQS and EventBridge maximum message size. */
export const DEFAULT_MAX_BYTES = 256 * 1024;

/** Options with their defaults filled in. */
export function resolveOptions(options: ParseOptions = {}): ResolvedParseOptions {
  return {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    valueAnnotation: options.valueAnnotation ?? 'value',
    thresholdAnnotation: options.thresholdAnnotation ?? 'threshold',
    ...(options.receivedAt === undefined ? {} : { receivedAt: options.receivedAt }),
  };
}

/** A reply the sender expects before it delivers anything (subscription handshakes). */
export type Handshake =
  /** Event Grid (Event Grid schema): answer 200 with this body. */
  | { kind: 'azure-eventgrid-validation'; response: { validationResponse: string }; validationUrl?: string }
  /** SNS over HTTPS: confirm by fetching `subscribeUrl` (after checking `topicArn` is one you expect). */
  | { kind: 'aws-sns-subscription-confirmation'; subscribeUrl: string; topicArn: string };

/** One record of a batch (SQS): parsed, or failed on its own without failing the others. */
export type BatchRecordResult =
  | { itemIdentifier: string; ok: true; event: ParsedEvent }
  | { itemIdentifier: string; ok: false; error: EventParseError };

/** What a batch gave, in the shape Lambda's partial batch response wants for the failures. */
export interface BatchResult {
  records: BatchRecordResult[];
  /** Return `{ batchItemFailures }` from the Lambda: only these records are retried or dead-lettered. */
  batchItemFailures: { itemIdentifier: string }[];
}

/** A payload, understood. */
export interface ParsedEvent {
  /** The format that was read. */
  source: EventSourceName;
  /** The provider's event or delivery id, or `sha256:<hex>` of the payload when it gives none. */
  eventId: string;
  /** Signals for the decision core, each with what trigger matching needs. */
  signals: RoutableSignal[];
  /** Set when the sender waits for an answer (Event Grid validation, SNS subscription confirmation). */
  handshake?: Handshake;
  /** Set for batches (SQS): one result per record. */
  batch?: BatchResult;
  /** Things read but not turned into signals, in words (e.g. "SageMaker status Stopping: nothing to do"). */
  notes: string[];
}

/** The result of a parse: never a throw. */
export type EventParseResult = { ok: true; event: ParsedEvent } | { ok: false; error: EventParseError };
