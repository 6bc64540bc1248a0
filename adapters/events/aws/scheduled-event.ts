/** EventBridge schedule rules ("Scheduled Event", source `aws.events`): a tick at the event's time. */
import type { ParseContext } from '../context.ts';
import { tickEvent } from '../schedule-tick.ts';
import type { ParsedEvent } from '../types.ts';
import type { EventBridgeEnvelope } from './eventbridge-envelope.ts';

/** A schedule rule's "Scheduled Event" → one `schedule-tick`. */
export function parseScheduledEvent(envelope: EventBridgeEnvelope, ctx: ParseContext): ParsedEvent {
  const schedule = envelope.resources[0];
  const event = tickEvent(ctx, { ...(schedule ? { schedule } : {}), observedAt: envelope.time, eventId: envelope.id });
  for (const routable of event.signals) routable.route.resourceIds = [...envelope.resources];
  return event;
}
