/**
 * Tide's tick body: what to configure as the payload of a timer that carries no fixed format of its own
 * (EventBridge Scheduler targets, Cloud Scheduler jobs). With EventBridge Scheduler, its context attributes
 * fill it in:
 *
 *   {"tide":"schedule-tick","schedule":"<aws.scheduler.schedule-arn>",
 *    "scheduledTime":"<aws.scheduler.scheduled-time>","executionId":"<aws.scheduler.execution-id>"}
 */
import { literal, looseObject, string } from 'zod';
import {
  check,
  contentHash,
  emptyEvent,
  fail,
  finishSignal,
  ProviderTimeSchema,
  type ParseContext,
} from './context.ts';
import type { ParsedEvent } from './types.ts';

/** Tide's tick body. */
export const TideTickSchema = looseObject({
  tide: literal('schedule-tick'),
  /** Schedule name or ARN; triggers match its last path segment as `alarmName`. */
  schedule: string().min(1).optional(),
  /** When the tick was due; without it the receive time is used. */
  scheduledTime: ProviderTimeSchema.optional(),
  /** The scheduler's id for this run (idempotency). */
  executionId: string().min(1).optional(),
});

/** `my-schedule` from `arn:aws:scheduler:…:schedule/default/my-schedule` or `projects/p/locations/l/jobs/my-schedule`. */
export function scheduleName(nameOrArn: string | undefined): string | undefined {
  if (!nameOrArn) return undefined;
  const slash = nameOrArn.lastIndexOf('/');
  return slash >= 0 && slash < nameOrArn.length - 1 ? nameOrArn.slice(slash + 1) : nameOrArn;
}

/** A schedule tick at `observedAt`, routed by schedule name. */
export function tickEvent(
  ctx: ParseContext,
  facts: { schedule?: string; observedAt: number; eventId: string },
): ParsedEvent {
  const name = scheduleName(facts.schedule);
  const signal = finishSignal(
    {
      kind: 'schedule-tick',
      ...(name ? { schedule: name } : {}),
      observedAt: facts.observedAt,
      source: 'schedule',
      eventId: facts.eventId,
    },
    ctx,
  );
  const event = emptyEvent(ctx.source, facts.eventId);
  event.signals.push({
    signal,
    route: {
      source: 'schedule',
      ...(name ? { alarmName: name } : {}),
      dimensions: {},
      resourceIds: facts.schedule ? [facts.schedule] : [],
    },
  });
  return event;
}

/** Tide's tick body (see above). */
export function parseTideTick(payload: unknown, ctx: ParseContext): ParsedEvent {
  const tick = check(TideTickSchema, payload, ctx);
  const observedAt = tick.scheduledTime ?? ctx.options.receivedAt;
  if (observedAt === undefined) {
    return fail(
      { ...ctx, path: [...ctx.path, 'scheduledTime'] },
      'invalid',
      'a tick needs "scheduledTime" (or a receive time from the caller), was: nothing',
    );
  }
  const eventId = tick.executionId ?? ctx.envelopeId ?? contentHash(payload);
  return tickEvent(ctx, { ...(tick.schedule ? { schedule: tick.schedule } : {}), observedAt, eventId });
}
