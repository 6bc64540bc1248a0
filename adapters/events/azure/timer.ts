/**
 * Azure Functions timer triggers: the `TimerInfo` object (`isPastDue`, `scheduleStatus`). It says nothing of
 * the time it fired, so the tick is at the receive time the caller passes (the function's invocation time).
 */
import { boolean, looseObject, string } from 'zod';
import { check, contentHash, fail, type ParseContext } from '../context.ts';
import { tickEvent } from '../schedule-tick.ts';
import type { ParsedEvent } from '../types.ts';

/** The Azure Functions TimerInfo object. */
export const TimerInfoSchema = looseObject({
  isPastDue: boolean(),
  schedule: looseObject({}).nullable().optional(),
  scheduleStatus: looseObject({
    last: string().optional(),
    next: string().optional(),
    lastUpdated: string().optional(),
  })
    .nullable()
    .optional(),
  /** Added by Tide's timer function: which schedule fired (Azure does not say). */
  scheduleName: string().optional(),
});

/** Whether the payload is a TimerInfo (for `auto`). */
export function looksLikeTimerInfo(payload: Record<string, unknown>): boolean {
  return typeof payload.isPastDue === 'boolean';
}

/** A TimerInfo → one `schedule-tick` at the receive time. */
export function parseTimerInfo(payload: unknown, ctx: ParseContext): ParsedEvent {
  const timer = check(TimerInfoSchema, payload, ctx);
  const at = ctx.options.receivedAt;
  if (at === undefined)
    return fail(ctx, 'invalid', 'a TimerInfo carries no time: the caller must pass the receive time, was: nothing');
  // TimerInfo is the same every run: the receive time makes each tick's id its own.
  const eventId = ctx.envelopeId ?? contentHash([payload, at]);
  const event = tickEvent(ctx, {
    ...(timer.scheduleName ? { schedule: timer.scheduleName } : {}),
    observedAt: at,
    eventId,
  });
  if (timer.isPastDue) event.notes.push('the timer is past due (the function app was down or busy): ticking now');
  return event;
}
