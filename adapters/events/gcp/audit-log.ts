/**
 * Compute Engine preemption, from the system-event audit log entry `compute.instances.preempted` (delivered by
 * a log sink to Pub/Sub, or by Eventarc's audit-log CloudEvents). Google gives a preemptible or spot VM about
 * 30 seconds between the preemption notice and the stop, so the deadline is the entry's time + 30 s.
 */
import { looseObject, record, string, unknown as zunknown } from 'zod';
import {
  check,
  child,
  contentHash,
  fail,
  finishSignal,
  ProviderTimeSchema,
  stringMap,
  type ParseContext,
  oneSignalEvent,
} from '../context.ts';
import type { ParsedEvent } from '../types.ts';

/** Google's notice before a preempted VM stops. */
export const GCP_PREEMPTION_NOTICE_MS = 30_000;

/** A Cloud Logging LogEntry with an audit-log protoPayload. */
export const AuditLogEntrySchema = looseObject({
  protoPayload: looseObject({
    methodName: string().min(1),
    resourceName: string().optional(),
    serviceName: string().optional(),
  }),
  insertId: string().optional(),
  resource: looseObject({ type: string().optional(), labels: record(string(), zunknown()).optional() }).optional(),
  timestamp: ProviderTimeSchema,
  logName: string().optional(),
});

/** Whether the payload is an audit-log entry (for `auto`). */
export function looksLikeAuditLog(payload: Record<string, unknown>): boolean {
  return typeof payload.protoPayload === 'object' && payload.protoPayload !== null;
}

/** `{ zone, name }` from `projects/p/zones/us-central1-f/instances/my-vm`. */
function instanceFromResourceName(resourceName: string | undefined): { zone?: string; name?: string } {
  const found = /zones\/([^/]+)\/instances\/([^/]+)$/.exec(resourceName ?? '');
  return found ? { zone: found[1]!, name: found[2]! } : {};
}

/** A `compute.instances.preempted` entry → one `spot-interruption`. */
export function parseAuditLog(payload: unknown, ctx: ParseContext): ParsedEvent {
  const entry = check(AuditLogEntrySchema, payload, ctx);
  const method = entry.protoPayload.methodName;
  if (method !== 'compute.instances.preempted') {
    return fail(
      child(ctx, 'protoPayload', 'methodName'),
      'unsupported',
      `Tide reads "compute.instances.preempted", was: "${method}"`,
    );
  }
  const labels = stringMap(entry.resource?.labels);
  const fromName = instanceFromResourceName(entry.protoPayload.resourceName);
  const instanceId = fromName.name ?? labels.instance_id;
  if (!instanceId) {
    return fail(
      child(ctx, 'protoPayload', 'resourceName'),
      'invalid',
      'expected projects/…/zones/…/instances/NAME, was: nothing',
    );
  }
  const zone = labels.zone ?? fromName.zone;
  const eventId = entry.insertId ?? ctx.envelopeId ?? contentHash(payload);
  const signal = finishSignal(
    {
      kind: 'spot-interruption',
      instanceId,
      ...(zone ? { zone } : {}),
      action: 'preempt',
      deadlineAt: entry.timestamp + GCP_PREEMPTION_NOTICE_MS,
      observedAt: entry.timestamp,
      source: 'gcp-compute',
      eventId,
    },
    ctx,
  );
  return oneSignalEvent(ctx, eventId, signal, {
    source: 'gcp-compute',
    dimensions: labels,
    resourceIds: [entry.protoPayload.resourceName, instanceId].filter((id): id is string => Boolean(id)),
  });
}
