/**
 * Azure Scheduled Events, as a node agent forwards the instance metadata document
 * (`GET http://169.254.169.254/metadata/scheduledevents`) unchanged: `{"DocumentIncarnation":…,"Events":[…]}`.
 * Each `Preempt` event (a spot VM being evicted) becomes a `spot-interruption` per resource, due at
 * `NotBefore` (Azure gives at least 30 s). The document has no time of its own: the signal is observed at the
 * receive time the caller passes, or 30 s before `NotBefore`. The agent may add `resourceId` (the VM's Azure
 * resource id) for trigger matching; everything else is Azure's.
 */
import { array, looseObject, number, string, union } from 'zod';
import { check, child, contentHash, emptyEvent, fail, finishSignal, toEpochMs, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';

/** Azure's minimum notice for a Preempt event. */
export const AZURE_PREEMPT_NOTICE_MS = 30_000;

const ScheduledEventSchema = looseObject({
  EventId: string().min(1),
  EventType: string().min(1),
  ResourceType: string().optional(),
  Resources: array(string()).default([]),
  EventStatus: string().optional(),
  NotBefore: string().optional(),
  Description: string().optional(),
  EventSource: string().optional(),
  DurationInSeconds: number().optional(),
});

/** The Scheduled Events document, plus the node agent's optional `resourceId`. */
export const ScheduledEventsDocumentSchema = looseObject({
  DocumentIncarnation: union([number(), string()]),
  Events: array(ScheduledEventSchema),
  /** Added by Tide's node agent: the VM's Azure resource id. */
  resourceId: string().optional(),
});

/** Whether the payload is a Scheduled Events document (for `auto`). */
export function looksLikeScheduledEvents(payload: Record<string, unknown>): boolean {
  return 'DocumentIncarnation' in payload && Array.isArray(payload.Events);
}

/** A Scheduled Events document → one `spot-interruption` per resource of each Preempt event. */
export function parseScheduledEvents(payload: unknown, ctx: ParseContext): ParsedEvent {
  const doc = check(ScheduledEventsDocumentSchema, payload, ctx);
  const event = emptyEvent(ctx.source, contentHash(payload));
  doc.Events.forEach((scheduled, i) => {
    const at = child(ctx, 'Events', i);
    if (scheduled.EventType !== 'Preempt') {
      event.notes.push(`scheduled event ${scheduled.EventId} is ${scheduled.EventType}: Tide acts only on Preempt`);
      return;
    }
    const deadlineAt = toEpochMs(scheduled.NotBefore);
    if (deadlineAt === undefined) {
      fail(
        child(at, 'NotBefore'),
        'invalid',
        `expected a time such as "Mon, 19 Sep 2016 18:29:47 GMT", was: ${JSON.stringify(scheduled.NotBefore ?? null)}`,
      );
    }
    if (scheduled.Resources.length === 0)
      fail(child(at, 'Resources'), 'invalid', 'a Preempt event names at least one resource, was: []');
    const observedAt = ctx.options.receivedAt ?? Math.max(0, deadlineAt - AZURE_PREEMPT_NOTICE_MS);
    for (const resource of scheduled.Resources) {
      const signal = finishSignal(
        {
          kind: 'spot-interruption',
          instanceId: resource,
          action: 'evict',
          deadlineAt,
          observedAt,
          source: 'azure-scheduled-events',
          // One event can name several VMs: each gets its own id.
          eventId: scheduled.Resources.length === 1 ? scheduled.EventId : `${scheduled.EventId}:${resource}`,
        },
        at,
      );
      event.signals.push({
        signal,
        route: {
          source: 'azure-scheduled-events',
          dimensions: { ...(scheduled.ResourceType ? { ResourceType: scheduled.ResourceType } : {}) },
          resourceIds: [resource, ...(doc.resourceId ? [doc.resourceId] : [])],
        },
      });
    }
  });
  if (doc.Events.length === 0) event.notes.push('no scheduled events in the document');
  return event;
}
