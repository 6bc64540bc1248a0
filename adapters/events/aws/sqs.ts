/**
 * SQS batches (a Lambda event source mapping). Each record's `body` is parsed on its own: an EventBridge event
 * (an SQS target of a rule), an SNS notification (SNS → SQS), a raw CloudWatch alarm (raw message delivery),
 * a Tide tick (EventBridge Scheduler's SQS target) or a CloudEvent. A bad record fails alone: it is listed in
 * `batchItemFailures`, so only it is retried and then dead-lettered, never the whole batch.
 */
import { array, looseObject, string } from 'zod';
import { as, check, child, contentHash, decodeJson, emptyEvent, type ParseContext } from '../context.ts';
import { EventParseError } from '../errors.ts';
import type { BatchRecordResult, ParsedEvent } from '../types.ts';
import { SQS_INNER_SOURCES } from './detect.ts';

const SqsEventSchema = looseObject({
  Records: array(
    looseObject({
      messageId: string().min(1),
      body: string(),
      eventSource: string().optional(),
      eventSourceARN: string().optional(),
    }),
  ).min(1),
});

export { looksLikeSqs, SQS_INNER_SOURCES } from './detect.ts';

/** A Lambda SQS batch → every record parsed on its own, failures listed by messageId. */
export function parseSqs(payload: unknown, ctx: ParseContext): ParsedEvent {
  const sqsCtx = as(ctx, 'aws-sqs');
  const batch = check(SqsEventSchema, payload, sqsCtx);
  const records: BatchRecordResult[] = batch.Records.map((record, i) => {
    const bodyCtx = { ...child(sqsCtx, 'Records', i, 'body'), envelopeId: record.messageId };
    try {
      const event = ctx.dispatch(decodeJson(record.body, bodyCtx), SQS_INNER_SOURCES, bodyCtx);
      return { itemIdentifier: record.messageId, ok: true, event };
    } catch (error) {
      const typed =
        error instanceof EventParseError
          ? error
          : new EventParseError(
              'aws-sqs',
              `Records[${i}].body`,
              'parser-failure',
              `unexpected failure: ${String(error)}`,
              { cause: error },
            );
      return { itemIdentifier: record.messageId, ok: false, error: typed };
    }
  });
  const event = emptyEvent('aws-sqs', contentHash(batch.Records.map((record) => record.messageId)));
  for (const record of records) {
    if (record.ok) {
      event.signals.push(...record.event.signals);
      event.notes.push(...record.event.notes);
    }
  }
  event.batch = {
    records,
    batchItemFailures: records
      .filter((record) => !record.ok)
      .map((record) => ({ itemIdentifier: record.itemIdentifier })),
  };
  return event;
}
