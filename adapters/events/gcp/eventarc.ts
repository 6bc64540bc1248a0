/**
 * Eventarc deliveries, as structured CloudEvents JSON: Pub/Sub messages
 * (`google.cloud.pubsub.topic.v1.messagePublished`, whose `data` is the Pub/Sub push object) and audit-log
 * entries (`google.cloud.audit.log.v1.written`, whose `data` is the LogEntry). In binary mode the HTTP layer
 * turns the `ce-*` headers and the body into this JSON first (see `structuredFromBinary`).
 */
import { literal, looseObject, string, unknown as zunknown } from 'zod';
import { as, check, child, emptyEvent, fail, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import { parseAuditLog } from './audit-log.ts';
import { parsePubSub } from './pubsub.ts';

const EventarcEventSchema = looseObject({
  specversion: literal('1.0'),
  id: string().min(1),
  source: string().min(1),
  type: string().min(1),
  time: string().optional(),
  data: zunknown(),
});

/** The Eventarc CloudEvents types Tide reads. */
export const EVENTARC_TYPES = ['google.cloud.pubsub.topic.v1.messagePublished', 'google.cloud.audit.log.v1.written'];

/** An Eventarc CloudEvent → the signals its data carries. */
export function parseEventarc(payload: unknown, ctx: ParseContext): ParsedEvent {
  const eventarcCtx = as(ctx, 'gcp-eventarc');
  const cloudEvent = check(EventarcEventSchema, payload, eventarcCtx);
  const dataCtx = { ...child(eventarcCtx, 'data'), envelopeId: cloudEvent.id };
  let inner: ParsedEvent;
  if (cloudEvent.type === EVENTARC_TYPES[0]) inner = parsePubSub(cloudEvent.data, dataCtx);
  else if (cloudEvent.type === EVENTARC_TYPES[1]) inner = parseAuditLog(cloudEvent.data, dataCtx);
  else {
    return fail(
      child(eventarcCtx, 'type'),
      'unsupported',
      `Tide reads ${EVENTARC_TYPES.map((t) => `"${t}"`).join(', ')}, was: "${cloudEvent.type}"`,
    );
  }
  const event = emptyEvent('gcp-eventarc', cloudEvent.id);
  event.signals.push(...inner.signals);
  event.notes.push(...inner.notes);
  return event;
}
