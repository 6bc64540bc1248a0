/**
 * SNS notifications: as a Lambda subscriber gets them (`Records[].Sns`) and as an HTTPS subscriber gets them
 * (the notification object itself). `Message` holds the payload as a JSON string: a CloudWatch alarm, an
 * EventBridge event (an SNS target of a rule), a Tide tick or a CloudEvent. A `SubscriptionConfirmation`
 * yields no signals, only the handshake for the caller to complete.
 */
import { array, literal, looseObject, string, union } from 'zod';
import { as, check, child, decodeJson, emptyEvent, fail, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import { SNS_INNER_SOURCES } from './detect.ts';

const SnsMessageSchema = looseObject({
  Type: union([literal('Notification'), literal('SubscriptionConfirmation'), literal('UnsubscribeConfirmation')]),
  MessageId: string().min(1),
  TopicArn: string().min(1),
  Message: string(),
  Subject: string().nullable().optional(),
  Timestamp: string().optional(),
  SubscribeURL: string().optional(),
});

const SnsLambdaEventSchema = looseObject({
  Records: array(looseObject({ EventSource: string().optional(), Sns: SnsMessageSchema })).min(1),
});

export { looksLikeSns, SNS_INNER_SOURCES } from './detect.ts';

function parseNotification(payload: unknown, ctx: ParseContext): ParsedEvent {
  const message = check(SnsMessageSchema, payload, ctx);
  const event = emptyEvent(ctx.source, message.MessageId);
  if (message.Type === 'SubscriptionConfirmation') {
    if (!message.SubscribeURL)
      return fail(
        child(ctx, 'SubscribeURL'),
        'invalid',
        'a subscription confirmation needs SubscribeURL, was: nothing',
      );
    event.handshake = {
      kind: 'aws-sns-subscription-confirmation',
      subscribeUrl: message.SubscribeURL,
      topicArn: message.TopicArn,
    };
    event.notes.push(`SNS subscription confirmation for ${message.TopicArn}: confirm it, no signals`);
    return event;
  }
  if (message.Type === 'UnsubscribeConfirmation') {
    event.notes.push(`SNS unsubscribe confirmation for ${message.TopicArn}: no signals`);
    return event;
  }
  const messageCtx = child(ctx, 'Message');
  const inner = ctx.dispatch(decodeJson(message.Message, messageCtx), SNS_INNER_SOURCES, {
    ...messageCtx,
    envelopeId: message.MessageId,
  });
  event.signals.push(...inner.signals);
  event.notes.push(...inner.notes);
  return event;
}

/** An SNS notification (Lambda event or HTTPS body) → the signals its message carries. */
export function parseSns(payload: unknown, ctx: ParseContext): ParsedEvent {
  const snsCtx = as(ctx, 'aws-sns');
  if (typeof payload === 'object' && payload !== null && 'Records' in payload) {
    const lambdaEvent = check(SnsLambdaEventSchema, payload, snsCtx);
    const events = lambdaEvent.Records.map((record, i) =>
      parseNotification(record.Sns, child(snsCtx, 'Records', i, 'Sns')),
    );
    const first = events[0]!;
    return { ...first, signals: events.flatMap((e) => e.signals), notes: events.flatMap((e) => e.notes) };
  }
  return parseNotification(payload, snsCtx);
}
