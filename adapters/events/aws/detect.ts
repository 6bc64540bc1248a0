/**
 * How AWS's envelopes are recognised (`auto`) and what they may carry, apart from their parsers: a function that
 * loads the parsers on demand (the HTTP API's webhooks, adapters/events/sources/aws-lazy.ts) tells the formats
 * apart at start and loads an envelope's parser with those of what it carries.
 */
import type { EventSourceName } from '../types.ts';

/** What an SQS body may carry. */
export const SQS_INNER_SOURCES: readonly EventSourceName[] = [
  'aws-eventbridge',
  'aws-sns',
  'aws-cloudwatch-alarm',
  'tide-tick',
  'cloudevents',
];

/** Whether the payload looks like a Lambda SQS event (for `auto`). */
export function looksLikeSqs(payload: Record<string, unknown>): boolean {
  const first = Array.isArray(payload.Records)
    ? (payload.Records[0] as Record<string, unknown> | undefined)
    : undefined;
  return (
    typeof first === 'object' &&
    first !== null &&
    (first.eventSource === 'aws:sqs' || ('messageId' in first && 'body' in first))
  );
}

/** What an SNS message may carry. */
export const SNS_INNER_SOURCES: readonly EventSourceName[] = [
  'aws-cloudwatch-alarm',
  'aws-eventbridge',
  'tide-tick',
  'cloudevents',
];

/** True when the payload looks like an SNS notification or a Lambda SNS event. */
export function looksLikeSns(payload: Record<string, unknown>): boolean {
  if (typeof payload.Type === 'string' && typeof payload.TopicArn === 'string') return true;
  const first = Array.isArray(payload.Records)
    ? (payload.Records[0] as Record<string, unknown> | undefined)
    : undefined;
  return typeof first === 'object' && first !== null && (first.EventSource === 'aws:sns' || 'Sns' in first);
}
