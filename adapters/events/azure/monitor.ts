/**
 * Azure Monitor alerts in the common alert schema (`schemaId: azureMonitorCommonAlertSchema`): metric alerts
 * (static and dynamic thresholds), log search alerts (Log Alerts V2 and the older Log Analytics shape),
 * fired and resolved. `Fired` is `ALARM`, `Resolved` is `OK`.
 */
import { array, enum as zenum, literal, looseObject, number, record, string, union, unknown as zunknown } from 'zod';
import {
  check,
  emptyEvent,
  finishSignal,
  ProviderTimeSchema,
  stringMap,
  toNumber,
  type ParseContext,
} from '../context.ts';
import type { ParsedEvent } from '../types.ts';

const DimensionsSchema = array(looseObject({ name: string(), value: union([string(), number()]) }))
  .nullable()
  .optional();
const NumberishSchema = union([string(), number()]).nullable().optional();

const CriterionSchema = looseObject({
  metricName: string().nullable().optional(),
  metricMeasureColumn: string().nullable().optional(),
  operator: string().nullable().optional(),
  threshold: NumberishSchema,
  metricValue: NumberishSchema,
  dimensions: DimensionsSchema,
});

const AlertContextSchema = looseObject({
  condition: looseObject({ allOf: array(CriterionSchema).nullable().optional() })
    .nullable()
    .optional(),
  // Older Log Analytics / Application Insights log alerts put these at the top of the context.
  Threshold: NumberishSchema,
  Operator: string().nullable().optional(),
  ResultCount: NumberishSchema,
  Dimensions: DimensionsSchema,
});

/** The Azure Monitor common alert schema (essentials and the alert context Tide reads). */
export const CommonAlertSchema = looseObject({
  schemaId: literal('azureMonitorCommonAlertSchema'),
  data: looseObject({
    essentials: looseObject({
      alertId: string().min(1),
      alertRule: string().min(1),
      alertRuleId: string().optional(),
      severity: string().optional(),
      signalType: string().optional(),
      monitorCondition: zenum(['Fired', 'Resolved']),
      monitoringService: string().optional(),
      alertTargetIDs: array(string()).nullable().optional(),
      configurationItems: array(string()).nullable().optional(),
      firedDateTime: ProviderTimeSchema,
      resolvedDateTime: ProviderTimeSchema.optional(),
    }),
    alertContext: AlertContextSchema.nullable().optional(),
    customProperties: record(string(), zunknown()).nullable().optional(),
  }),
});

/** Whether the payload is in the common alert schema (for `auto`). */
export function looksLikeAzureMonitor(payload: Record<string, unknown>): boolean {
  return payload.schemaId === 'azureMonitorCommonAlertSchema';
}

/** "GreaterThan", "GreaterThanOrEqual", "LessThan", "LowerThan", "Less Than" → above / below. */
export function azureComparison(operator: string | null | undefined): 'above' | 'below' | undefined {
  if (!operator) return undefined;
  if (/greater/i.test(operator)) return 'above';
  if (/less|lower/i.test(operator)) return 'below';
  return undefined;
}

function dimensionMap(list: { name: string; value: string | number }[] | null | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((d) => [d.name, String(d.value)]));
}

/** An Azure Monitor alert → one `alarm` signal. */
export function parseAzureMonitor(payload: unknown, ctx: ParseContext): ParsedEvent {
  const { data } = check(CommonAlertSchema, payload, ctx);
  const essentials = data.essentials;
  const context = data.alertContext ?? {};
  const criteria = context.condition?.allOf ?? [];
  const first = criteria[0];
  const dimensions: Record<string, string> = {
    ...stringMap(data.customProperties),
    ...dimensionMap(context.Dimensions),
    ...Object.assign({}, ...criteria.map((c) => dimensionMap(c.dimensions))),
  };
  const metric = first?.metricName ?? first?.metricMeasureColumn ?? undefined;
  const value = toNumber(first?.metricValue) ?? toNumber(context.ResultCount);
  const threshold = toNumber(first?.threshold) ?? toNumber(context.Threshold);
  const comparison = azureComparison(first?.operator ?? context.Operator);
  const resolved = essentials.monitorCondition === 'Resolved';
  // Fired and resolved share the alert id: the condition is part of the event's identity.
  const eventId = `${essentials.alertId}:${essentials.monitorCondition}`;
  const signal = finishSignal(
    {
      kind: 'alarm',
      alarmName: essentials.alertRule,
      state: resolved ? 'OK' : 'ALARM',
      ...(metric ? { metric } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      ...(comparison ? { comparison } : {}),
      ...(value !== undefined ? { value, datapoints: [value] } : {}),
      ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}),
      observedAt: resolved ? (essentials.resolvedDateTime ?? essentials.firedDateTime) : essentials.firedDateTime,
      source: 'azure-monitor',
      eventId,
    },
    ctx,
  );
  const event = emptyEvent(ctx.source, eventId);
  if (criteria.length > 1)
    event.notes.push(
      `alert rule ${essentials.alertRule} has ${criteria.length} criteria: the signal carries the first`,
    );
  event.signals.push({
    signal,
    route: {
      source: 'azure-monitor',
      alarmName: essentials.alertRule,
      dimensions,
      resourceIds: [...(essentials.alertTargetIDs ?? []), ...(essentials.alertRuleId ? [essentials.alertRuleId] : [])],
    },
  });
  return event;
}
