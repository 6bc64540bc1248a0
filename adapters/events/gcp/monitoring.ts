/**
 * Cloud Monitoring alerting notifications, webhook schema version 1.2 (`{"version":"1.2","incident":{…}}`).
 * The same JSON arrives as the data of a Pub/Sub notification channel. An incident that opens is `ALARM`,
 * one that closes is `OK`; the observed value and the threshold come as strings ("0.835", "0.9").
 */
import { looseObject, number, record, string, union, unknown as zunknown } from 'zod';
import {
  check,
  child,
  fail,
  finishSignal,
  stringMap,
  toNumber,
  type ParseContext,
  oneSignalEvent,
} from '../context.ts';
import type { ParsedEvent } from '../types.ts';

const LabelsSchema = record(string(), zunknown()).nullable().optional();

const IncidentSchema = looseObject({
  incident_id: string().min(1),
  scoping_project_id: string().optional(),
  url: string().optional(),
  started_at: number().nullable().optional(),
  ended_at: number().nullable().optional(),
  state: string().min(1),
  resource_id: string().nullable().optional(),
  resource_name: string().nullable().optional(),
  resource: looseObject({ type: string().optional(), labels: LabelsSchema }).nullable().optional(),
  metric: looseObject({ type: string().optional(), displayName: string().optional(), labels: LabelsSchema })
    .nullable()
    .optional(),
  metadata: looseObject({ system_labels: LabelsSchema, user_labels: LabelsSchema }).nullable().optional(),
  policy_name: string().min(1),
  policy_user_labels: LabelsSchema,
  condition_name: string().optional(),
  condition: looseObject({
    name: string().optional(),
    displayName: string().optional(),
    conditionThreshold: looseObject({
      comparison: string().optional(),
      thresholdValue: number().optional(),
    }).optional(),
  })
    .nullable()
    .optional(),
  threshold_value: union([string(), number()]).nullable().optional(),
  observed_value: union([string(), number()]).nullable().optional(),
  summary: string().optional(),
});

/** The Cloud Monitoring webhook body (schema version 1.x, Tide reads 1.2). */
export const MonitoringNotificationSchema = looseObject({
  version: string().regex(/^1\.\d+$/, { message: 'expected webhook schema version 1.x (Tide reads 1.2)' }),
  incident: IncidentSchema,
});

/** Whether the payload is a Cloud Monitoring notification (for `auto`). */
export function looksLikeMonitoring(payload: Record<string, unknown>): boolean {
  return typeof payload.incident === 'object' && payload.incident !== null && 'version' in payload;
}

function comparison(operator: string | undefined): 'above' | 'below' | undefined {
  if (operator === 'COMPARISON_GT' || operator === 'COMPARISON_GE') return 'above';
  if (operator === 'COMPARISON_LT' || operator === 'COMPARISON_LE') return 'below';
  return undefined;
}

/** A Cloud Monitoring incident → one `alarm` signal. */
export function parseMonitoring(payload: unknown, ctx: ParseContext): ParsedEvent {
  const { incident } = check(MonitoringNotificationSchema, payload, ctx);
  const state = incident.state.toLowerCase();
  if (state !== 'open' && state !== 'closed') {
    return fail(child(ctx, 'incident', 'state'), 'invalid', `expected "open" or "closed", was: "${incident.state}"`);
  }
  // Epoch seconds. A closed incident is observed when it ended.
  const seconds =
    state === 'closed' ? (incident.ended_at ?? incident.started_at) : (incident.started_at ?? incident.ended_at);
  if (seconds === null || seconds === undefined) {
    return fail(
      child(ctx, 'incident', 'started_at'),
      'invalid',
      'an incident needs started_at (or ended_at), was: nothing',
    );
  }
  const dimensions = {
    ...stringMap(incident.policy_user_labels),
    ...stringMap(incident.metadata?.system_labels),
    ...stringMap(incident.metadata?.user_labels),
    ...stringMap(incident.metric?.labels),
    ...stringMap(incident.resource?.labels),
  };
  const value = toNumber(incident.observed_value);
  const threshold = toNumber(incident.threshold_value) ?? incident.condition?.conditionThreshold?.thresholdValue;
  const compare = comparison(incident.condition?.conditionThreshold?.comparison);
  // The same incident id comes twice, opened then closed: the state is part of the event's identity.
  const eventId = `${incident.incident_id}:${state}`;
  const signal = finishSignal(
    {
      kind: 'alarm',
      alarmName: incident.policy_name,
      state: state === 'open' ? 'ALARM' : 'OK',
      ...(incident.metric?.type ? { metric: incident.metric.type } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      ...(compare ? { comparison: compare } : {}),
      ...(value !== undefined ? { value, datapoints: [value] } : {}),
      ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}),
      observedAt: Math.round(seconds * 1000),
      source: 'gcp-monitoring',
      eventId,
    },
    ctx,
  );
  const resourceIds = [incident.resource_name, incident.resource_id, incident.condition?.name].filter(
    (id): id is string => typeof id === 'string' && id.length > 0,
  );
  return oneSignalEvent(ctx, eventId, signal, {
    source: 'gcp-monitoring',
    alarmName: incident.policy_name,
    dimensions,
    resourceIds,
  });
}
