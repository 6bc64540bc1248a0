/**
 * Azure Monitor alerts in the common alert schema (`schemaId: azureMonitorCommonAlertSchema`): metric alerts
 * (static and dynamic thresholds), log search alerts (Log Alerts V2 and the older Log Analytics shape),
 * fired and resolved. `Fired` is `ALARM`, `Resolved` is `OK`.
 */
import {
  array,
  type infer as Infer,
  enum as zenum,
  literal,
  looseObject,
  number,
  record,
  string,
  union,
  unknown as zunknown,
} from 'zod';
import {
  check,
  emptyEvent,
  finishSignal,
  ProviderTimeSchema,
  stringMap,
  toEpochMs,
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

type CommonAlert = Infer<typeof CommonAlertSchema>;

/** What `parseAzureMonitor` reads of an alert, as the schema gives it (times in epoch ms). */
interface AlertFacts {
  essentials: Pick<
    CommonAlert['data']['essentials'],
    | 'alertId'
    | 'alertRule'
    | 'alertRuleId'
    | 'monitorCondition'
    | 'alertTargetIDs'
    | 'firedDateTime'
    | 'resolvedDateTime'
  >;
  alertContext?: CommonAlert['data']['alertContext'];
  customProperties?: CommonAlert['data']['customProperties'];
}

/** A plain JSON object (what JSON.parse makes): anything else is left to the schema. */
function isPlain(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    // The schema's copy would take a `__proto__` key as the copy's prototype: left to it.
    !Object.hasOwn(value, '__proto__')
  );
}
const absent = (value: unknown) => value === undefined || value === null;
const nullableString = (value: unknown) => absent(value) || typeof value === 'string';
const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const numberish = (value: unknown) =>
  absent(value) || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
function nullableList(value: unknown, item: (value: unknown) => boolean): boolean {
  if (absent(value)) return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!item(value[i])) return false;
  return true;
}
const isDimension = (value: unknown) =>
  isPlain(value) &&
  typeof value.name === 'string' &&
  (typeof value.value === 'string' || (typeof value.value === 'number' && Number.isFinite(value.value)));
const isCriterion = (value: unknown) =>
  isPlain(value) &&
  nullableString(value.metricName) &&
  nullableString(value.metricMeasureColumn) &&
  nullableString(value.operator) &&
  numberish(value.threshold) &&
  numberish(value.metricValue) &&
  nullableList(value.dimensions, isDimension);

/**
 * The alert read by hand, or `undefined` for anything the schema might read otherwise (which then reads it
 * and names what is wrong): the fields `parseAzureMonitor` uses, accepted exactly where CommonAlertSchema
 * accepts them, from plain JSON objects only. The schema's parse was about 2 % of the CPU and 7 % of the bytes
 * allocated per event in `npm run bench:e2e -- --cloud azure`.
 */
export function readCommonAlert(payload: unknown): AlertFacts | undefined {
  if (!isPlain(payload) || payload.schemaId !== 'azureMonitorCommonAlertSchema') return undefined;
  const { data } = payload;
  if (!isPlain(data)) return undefined;
  const { essentials, alertContext, customProperties } = data;
  if (!isPlain(essentials)) return undefined;
  const { alertId, alertRule, alertRuleId, monitorCondition, alertTargetIDs } = essentials;
  if (typeof alertId !== 'string' || alertId.length === 0) return undefined;
  if (typeof alertRule !== 'string' || alertRule.length === 0) return undefined;
  if (monitorCondition !== 'Fired' && monitorCondition !== 'Resolved') return undefined;
  if (!optionalString(alertRuleId) || !optionalString(essentials.severity)) return undefined;
  if (!optionalString(essentials.signalType) || !optionalString(essentials.monitoringService)) return undefined;
  const isString = (value: unknown) => typeof value === 'string';
  if (!nullableList(alertTargetIDs, isString) || !nullableList(essentials.configurationItems, isString))
    return undefined;
  const firedDateTime = timeOf(essentials.firedDateTime);
  if (firedDateTime === undefined) return undefined;
  let resolvedDateTime: number | undefined;
  if (essentials.resolvedDateTime !== undefined) {
    resolvedDateTime = timeOf(essentials.resolvedDateTime);
    if (resolvedDateTime === undefined) return undefined;
  }
  if (!absent(alertContext)) {
    if (!isPlain(alertContext)) return undefined;
    const { condition } = alertContext;
    if (!absent(condition) && !(isPlain(condition) && nullableList(condition.allOf, isCriterion))) return undefined;
    if (!numberish(alertContext.Threshold) || !nullableString(alertContext.Operator)) return undefined;
    if (!numberish(alertContext.ResultCount) || !nullableList(alertContext.Dimensions, isDimension)) return undefined;
  }
  if (!absent(customProperties) && !isPlain(customProperties)) return undefined;
  return {
    essentials: {
      alertId,
      alertRule,
      ...(alertRuleId === undefined ? {} : { alertRuleId: alertRuleId as string }),
      monitorCondition,
      alertTargetIDs: alertTargetIDs as string[] | null | undefined,
      firedDateTime,
      ...(resolvedDateTime === undefined ? {} : { resolvedDateTime }),
    },
    alertContext: alertContext as AlertFacts['alertContext'],
    customProperties: customProperties as AlertFacts['customProperties'],
  };
}

/** ProviderTimeSchema's answer: a string or a number that `toEpochMs` reads. */
function timeOf(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? toEpochMs(value) : undefined;
}

/** An Azure Monitor alert → one `alarm` signal. */
export function parseAzureMonitor(payload: unknown, ctx: ParseContext, read = readCommonAlert): ParsedEvent {
  const data: AlertFacts = read(payload) ?? check(CommonAlertSchema, payload, ctx).data;
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
