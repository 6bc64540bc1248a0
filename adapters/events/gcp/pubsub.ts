/**
 * Pub/Sub push deliveries: `{"message":{"data":"<base64>","attributes":{…},"messageId":…,"publishTime":…},
 * "subscription":…}`. The data is decoded and read as what the topic carries: a Cloud Monitoring incident, a
 * Compute Engine audit-log entry (a log sink on `compute.instances.preempted`), a Vertex AI custom job, a
 * Tide tick or a CloudEvent. Eventarc's Pub/Sub CloudEvents carry the same object as their `data`.
 */
import { looseObject, record, string } from 'zod';
import { as, check, child, decodeBase64, decodeJson, emptyEvent, fail, type ParseContext } from '../context.ts';
import type { EventSourceName, ParsedEvent } from '../types.ts';

/** A Pub/Sub push request body. */
export const PubSubPushSchema = looseObject({
  message: looseObject({
    data: string().optional(),
    attributes: record(string(), string()).nullable().optional(),
    messageId: string().min(1).optional(),
    message_id: string().min(1).optional(),
    publishTime: string().optional(),
    publish_time: string().optional(),
  }),
  subscription: string().optional(),
});

/** What a Pub/Sub message may carry. */
export const PUBSUB_INNER_SOURCES: readonly EventSourceName[] = [
  'gcp-monitoring',
  'gcp-audit-log',
  'gcp-vertex',
  'tide-tick',
  'cloudevents',
];

/** Whether the payload is a Pub/Sub push body (for `auto`). */
export function looksLikePubSub(payload: Record<string, unknown>): boolean {
  return (
    typeof payload.message === 'object' &&
    payload.message !== null &&
    ('subscription' in payload || 'data' in payload.message)
  );
}

/** The message's id and decoded JSON data, for parsers that read Pub/Sub envelopes themselves. */
export function readPubSub(
  payload: unknown,
  ctx: ParseContext,
): {
  messageId: string;
  publishTime?: string;
  attributes: Record<string, string>;
  subscription?: string;
  data: unknown;
  dataCtx: ParseContext;
} {
  const push = check(PubSubPushSchema, payload, ctx);
  const messageId = push.message.messageId ?? push.message.message_id;
  if (!messageId)
    return fail(child(ctx, 'message', 'messageId'), 'invalid', 'a Pub/Sub message needs messageId, was: nothing');
  const dataCtx = { ...child(ctx, 'message', 'data'), envelopeId: messageId };
  if (push.message.data === undefined) return fail(dataCtx, 'invalid', 'the Pub/Sub message has no data, was: nothing');
  const data = decodeJson(decodeBase64(push.message.data, dataCtx), dataCtx);
  const publishTime = push.message.publishTime ?? push.message.publish_time;
  return {
    messageId,
    ...(publishTime ? { publishTime } : {}),
    attributes: push.message.attributes ?? {},
    ...(push.subscription ? { subscription: push.subscription } : {}),
    data,
    dataCtx,
  };
}

/** A Pub/Sub push → the signals its data carries. */
export function parsePubSub(payload: unknown, ctx: ParseContext): ParsedEvent {
  const pubsubCtx = ctx.source === 'gcp-eventarc' ? ctx : as(ctx, 'gcp-pubsub');
  const { messageId, data, dataCtx } = readPubSub(payload, pubsubCtx);
  const inner = ctx.dispatch(data, PUBSUB_INNER_SOURCES, dataCtx);
  const event = emptyEvent(pubsubCtx.source, messageId);
  event.signals.push(...inner.signals);
  event.notes.push(...inner.notes);
  return event;
}
