/**
 * Event Grid deliveries, in the Event Grid schema (`eventType`, `eventTime`, `topic`) or the CloudEvents 1.0
 * schema (`type`, `time`, `source`), as an array (the normal delivery) or a single event. Includes the
 * subscription validation handshake (`Microsoft.EventGrid.SubscriptionValidationEvent`): no signals, a reply
 * of `{"validationResponse": code}`. (With the CloudEvents schema the handshake is an HTTP OPTIONS request
 * with a `WebHook-Request-Origin` header: the HTTP layer answers it; there is no payload to parse.)
 */
import { array, literal, looseObject, string, unknown as zunknown } from 'zod';
import { as, check, child, contentHash, emptyEvent, fail, ProviderTimeSchema, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import type { GridEvent } from './grid-event.ts';
import { parseAzureMlRunStatus } from './ml.ts';

const GridSchemaEventSchema = looseObject({
  id: string().min(1),
  topic: string().optional(),
  subject: string().optional(),
  eventType: string().min(1),
  eventTime: ProviderTimeSchema,
  data: zunknown(),
  dataVersion: string().optional(),
  metadataVersion: string().optional(),
});

const CloudEventSchemaEventSchema = looseObject({
  specversion: literal('1.0'),
  id: string().min(1),
  source: string().min(1),
  subject: string().optional(),
  type: string().min(1),
  time: ProviderTimeSchema,
  data: zunknown(),
});

const VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';
const ML_RUN_STATUS = 'Microsoft.MachineLearningServices.RunStatusChanged';

const ValidationDataSchema = looseObject({ validationCode: string().min(1), validationUrl: string().optional() });

/**
 * Event Grid delivers arrays (of either schema); a single object is Event Grid only if it is in the Event
 * Grid schema or of a Microsoft type (a lone CloudEvent of another type is left to the other parsers).
 */
export function looksLikeEventGrid(payload: unknown): boolean {
  const first = Array.isArray(payload) ? payload[0] : payload;
  if (typeof first !== 'object' || first === null) return false;
  const event = first as Record<string, unknown>;
  if (typeof event.eventType === 'string') return true;
  if (Array.isArray(payload)) return event.specversion === '1.0' && typeof event.type === 'string';
  return typeof event.type === 'string' && event.type.startsWith('Microsoft.');
}

function normalise(raw: unknown, ctx: ParseContext): GridEvent {
  if (typeof raw === 'object' && raw !== null && 'specversion' in raw) {
    const ce = check(CloudEventSchemaEventSchema, raw, ctx);
    return {
      id: ce.id,
      type: ce.type,
      time: ce.time,
      source: ce.source,
      ...(ce.subject ? { subject: ce.subject } : {}),
      data: ce.data,
      raw,
    };
  }
  const ev = check(GridSchemaEventSchema, raw, ctx);
  return {
    id: ev.id,
    type: ev.eventType,
    time: ev.eventTime,
    source: ev.topic ?? '',
    ...(ev.subject ? { subject: ev.subject } : {}),
    data: ev.data,
    raw,
  };
}

function parseOne(raw: unknown, ctx: ParseContext): ParsedEvent {
  const grid = normalise(raw, ctx);
  if (grid.type === VALIDATION) {
    const data = check(ValidationDataSchema, grid.data, child(ctx, 'data'));
    const event = emptyEvent(ctx.source, grid.id);
    event.handshake = {
      kind: 'azure-eventgrid-validation',
      response: { validationResponse: data.validationCode },
      ...(data.validationUrl ? { validationUrl: data.validationUrl } : {}),
    };
    event.notes.push('Event Grid subscription validation: reply with the validation code, no signals');
    return event;
  }
  if (grid.type === ML_RUN_STATUS) return parseAzureMlRunStatus(grid, ctx);
  if (grid.type.startsWith('dev.tide.')) return ctx.dispatch(grid.raw, ['cloudevents'], ctx);
  const typeField = 'specversion' in (raw as object) ? 'type' : 'eventType';
  return fail(
    child(ctx, typeField),
    'unsupported',
    `Tide reads "${VALIDATION}", "${ML_RUN_STATUS}" and dev.tide.* CloudEvents, was: "${grid.type}"`,
  );
}

/** An Event Grid delivery (array or single event, either schema) → signals, or the validation handshake. */
export function parseEventGrid(payload: unknown, ctx: ParseContext): ParsedEvent {
  const gridCtx = as(ctx, 'azure-eventgrid');
  if (!Array.isArray(payload)) return { ...parseOne(payload, gridCtx), source: 'azure-eventgrid' };
  const list = check(array(zunknown()).min(1, { message: 'expected at least one event' }), payload, gridCtx);
  const events = list.map((raw, i) => parseOne(raw, child(gridCtx, i)));
  const result = emptyEvent(
    'azure-eventgrid',
    events.length === 1 ? events[0]!.eventId : contentHash(events.map((e) => e.eventId)),
  );
  for (const event of events) {
    result.signals.push(...event.signals);
    result.notes.push(...event.notes);
    if (event.handshake) result.handshake = event.handshake;
  }
  return result;
}

/**
 * The CloudEvents-schema handshake (CloudEvents Webhook abuse protection): Event Grid sends `OPTIONS` with a
 * `WebHook-Request-Origin` header; answering 200 with `WebHook-Allowed-Origin` set to it accepts deliveries.
 * Returns undefined when the request carries no origin (not a handshake).
 */
export function cloudEventsWebhookValidation(
  headers: Record<string, string | undefined>,
): { status: 200; headers: { 'WebHook-Allowed-Origin': string; 'WebHook-Allowed-Rate': string } } | undefined {
  const origin = Object.entries(headers).find(([key]) => key.toLowerCase() === 'webhook-request-origin')?.[1];
  if (!origin) return undefined;
  return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' } };
}
