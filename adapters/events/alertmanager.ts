/**
 * Prometheus Alertmanager webhooks (`"version": "4"`). A notification groups alerts; each alert becomes one
 * `alarm` signal named by its `alertname` label, `firing` → `ALARM`, `resolved` → `OK`, with its labels as
 * dimensions. Alertmanager carries no sample values, so the rule puts them in annotations: `value` (the
 * observed value, e.g. `{{ $value }}`), and optionally `threshold`, `metric` and `comparison` (`above` or
 * `below`). The annotation names for value and threshold are configurable.
 */
import { array, enum as zenum, literal, looseObject, number, record, string } from 'zod';
import {
  check,
  child,
  contentHash,
  emptyEvent,
  fail,
  finishSignal,
  ProviderTimeSchema,
  toEpochMs,
  toNumber,
  type ParseContext,
} from './context.ts';
import type { ParsedEvent } from './types.ts';

const AlertSchema = looseObject({
  status: zenum(['firing', 'resolved']),
  labels: record(string(), string()),
  annotations: record(string(), string()).default({}),
  startsAt: ProviderTimeSchema,
  // "0001-01-01T00:00:00Z" while firing: not a time to read.
  endsAt: string().optional(),
  generatorURL: string().optional(),
  fingerprint: string().optional(),
});

/** The Alertmanager webhook body, version 4. */
export const AlertmanagerWebhookSchema = looseObject({
  version: literal('4'),
  groupKey: string(),
  truncatedAlerts: number().optional(),
  status: zenum(['firing', 'resolved']),
  receiver: string(),
  groupLabels: record(string(), string()).default({}),
  commonLabels: record(string(), string()).default({}),
  commonAnnotations: record(string(), string()).default({}),
  externalURL: string().optional(),
  alerts: array(AlertSchema).min(1),
});

export { looksLikeAlertmanager } from './detect.ts';

/** An Alertmanager webhook → one `alarm` per alert. */
export function parseAlertmanager(payload: unknown, ctx: ParseContext): ParsedEvent {
  const webhook = check(AlertmanagerWebhookSchema, payload, ctx);
  const event = emptyEvent(ctx.source, contentHash(payload));
  if (webhook.truncatedAlerts)
    event.notes.push(`Alertmanager left out ${webhook.truncatedAlerts} alert(s) of this group (max_alerts)`);
  webhook.alerts.forEach((alert, i) => {
    const at = child(ctx, 'alerts', i);
    const alarmName = alert.labels.alertname;
    if (!alarmName)
      fail(child(at, 'labels', 'alertname'), 'invalid', 'every alert needs an alertname label, was: nothing');
    const value = toNumber(alert.annotations[ctx.options.valueAnnotation]);
    const threshold = toNumber(alert.annotations[ctx.options.thresholdAnnotation]);
    const comparison =
      alert.annotations.comparison === 'above' || alert.annotations.comparison === 'below'
        ? alert.annotations.comparison
        : undefined;
    const metric = alert.annotations.metric;
    const endedAt = alert.status === 'resolved' ? toEpochMs(alert.endsAt) : undefined;
    // The fingerprint names the alert (its label set); status and start tell this notification apart
    // from the repeats Alertmanager sends every repeat_interval.
    const eventId = `${alert.fingerprint ?? contentHash(alert.labels)}:${alert.status}:${alert.startsAt}`;
    const signal = finishSignal(
      {
        kind: 'alarm',
        alarmName,
        state: alert.status === 'firing' ? 'ALARM' : 'OK',
        ...(metric ? { metric } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
        ...(comparison ? { comparison } : {}),
        ...(value !== undefined ? { value, datapoints: [value] } : {}),
        dimensions: alert.labels,
        observedAt: endedAt ?? alert.startsAt,
        source: 'alertmanager',
        eventId,
      },
      at,
    );
    event.signals.push({
      signal,
      route: { source: 'alertmanager', alarmName, dimensions: alert.labels, resourceIds: [] },
    });
  });
  return event;
}
