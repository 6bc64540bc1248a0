/**
 * Cloud Scheduler ticks. A job's body is whatever the job is configured with; Tide reads its tick body
 * (`{"tide":"schedule-tick","schedule":"…"}`) when it is there, and otherwise treats any delivery as a tick:
 * a Pub/Sub target's message at its publish time (schedule = the `schedule` attribute, else the
 * subscription), an HTTP target's body at the receive time the caller passes.
 */
import { looseObject, record, string, unknown } from 'zod';
import { as, check, contentHash, fail, toEpochMs, type ParseContext } from '../context.ts';
import { parseTideTick, tickEvent } from '../schedule-tick.ts';
import type { ParsedEvent } from '../types.ts';
import { looksLikePubSub, readPubSub } from './pubsub.ts';

/** The fields of a Pub/Sub push a tick reads (Pub/Sub attributes are strings; a subscription is a name). */
const SchedulerPushSchema = looseObject({
  message: looseObject({
    messageId: string().min(1).optional(),
    message_id: string().min(1).optional(),
    publishTime: unknown().optional(),
    publish_time: unknown().optional(),
    attributes: record(string(), string()).nullable().optional(),
  }),
  subscription: string().nullable().optional(),
});

function isTideTick(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).tide === 'schedule-tick';
}

/** A Cloud Scheduler delivery → one `schedule-tick`. */
export function parseCloudScheduler(payload: unknown, ctx: ParseContext): ParsedEvent {
  const schedulerCtx = as(ctx, 'gcp-scheduler');
  if (
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    looksLikePubSub(payload as Record<string, unknown>)
  ) {
    // A Pub/Sub target may carry any text: only JSON tick bodies are read as such.
    let data: unknown;
    let message: ReturnType<typeof readPubSub> | undefined;
    try {
      message = readPubSub(payload, schedulerCtx);
      data = message.data;
    } catch {
      message = undefined;
    }
    if (message && isTideTick(data)) {
      const event = parseTideTick(data, { ...message.dataCtx, source: 'gcp-scheduler' });
      return { ...event, source: 'gcp-scheduler' };
    }
    // Read through a schema, not a cast: a non-string subscription or schedule attribute is a typed error
    // naming the field (it used to fail inside the tick builder as an untyped parser-failure).
    const raw = check(SchedulerPushSchema, payload, schedulerCtx);
    const messageId = raw.message.messageId ?? raw.message.message_id;
    const at = toEpochMs(raw.message.publishTime ?? raw.message.publish_time) ?? ctx.options.receivedAt;
    if (at === undefined || messageId === undefined) {
      return fail(
        { ...schedulerCtx, path: [...schedulerCtx.path, 'message', 'publishTime'] },
        'invalid',
        'a Pub/Sub tick needs messageId and publishTime, was: nothing',
      );
    }
    const schedule = raw.message.attributes?.schedule ?? raw.subscription ?? undefined;
    return tickEvent(schedulerCtx, { ...(schedule ? { schedule } : {}), observedAt: at, eventId: messageId });
  }
  if (isTideTick(payload)) return parseTideTick(payload, schedulerCtx);
  if (ctx.options.receivedAt === undefined) {
    return fail(
      schedulerCtx,
      'invalid',
      'an HTTP tick without a Tide tick body needs the receive time from the caller, was: nothing',
    );
  }
  // Every tick sends the same body: the receive time is what makes one tick's id differ from the next's.
  return tickEvent(schedulerCtx, {
    observedAt: ctx.options.receivedAt,
    eventId: ctx.envelopeId ?? contentHash([payload, ctx.options.receivedAt]),
  });
}
