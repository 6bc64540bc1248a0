/**
 * CloudWatch alarm state changes, as EventBridge delivers them ("CloudWatch Alarm State Change", single-metric,
 * metric-math and anomaly-detection alarms) and as SNS delivers them (the alarm JSON in the notification's
 * `Message`). Both become one `alarm` signal carrying the latest value and the threshold, read from the
 * state's reason data (EventBridge) or from the reason text (SNS, which has no reason data).
 */
import { array, boolean, looseObject, number, record, string, type infer as Infer } from 'zod';
import { AlarmStateSchema, type AlarmState, type Signal } from '../../../core/schema/signal.ts';
import type { RoutableSignal } from '../../../core/triggers/match.ts';
import {
  check,
  child,
  decodeJson,
  emptyEvent,
  finishSignal,
  ProviderTimeSchema,
  toEpochMs,
  type ParseContext,
} from '../context.ts';
import { LIMITS } from '../../../core/schema/limits.ts';
import type { ParsedEvent } from '../types.ts';
import type { EventBridgeEnvelope } from './eventbridge-envelope.ts';
import { dict } from '../../../core/dictionary.ts';

const MetricStatSchema = looseObject({
  metric: looseObject({
    name: string().min(1),
    namespace: string().optional(),
    dimensions: record(string(), string()).optional(),
  }),
  period: number().optional(),
  stat: string().optional(),
  unit: string().nullable().optional(),
});

const AlarmMetricSchema = looseObject({
  id: string(),
  expression: string().optional(),
  label: string().optional(),
  metricStat: MetricStatSchema.optional(),
  returnData: boolean().optional(),
});

const AlarmStateDetailSchema = looseObject({
  value: AlarmStateSchema,
  reason: string().optional(),
  reasonData: string().optional(),
  timestamp: ProviderTimeSchema.optional(),
});

/** `detail` of an EventBridge "CloudWatch Alarm State Change" event. */
export const CloudWatchAlarmDetailSchema = looseObject({
  alarmName: string().min(1),
  configuration: looseObject({
    description: string().nullable().optional(),
    metrics: array(AlarmMetricSchema).optional(),
  }).optional(),
  state: AlarmStateDetailSchema,
  previousState: AlarmStateDetailSchema.optional(),
});

/** The JSON reason data CloudWatch attaches to a state (a string inside the event). */
const ReasonDataSchema = looseObject({
  recentDatapoints: array(number()).optional(),
  threshold: number().optional(),
  statistic: string().optional(),
  period: number().optional(),
});

const DimensionListSchema = array(looseObject({ name: string(), value: string() }));

/** The alarm JSON SNS carries in `Message` (also what raw-delivery SQS bodies hold). */
export const CloudWatchSnsAlarmSchema = looseObject({
  AlarmName: string().min(1),
  AlarmDescription: string().nullable().optional(),
  AlarmArn: string().optional(),
  AWSAccountId: string().optional(),
  NewStateValue: AlarmStateSchema,
  OldStateValue: AlarmStateSchema.optional(),
  NewStateReason: string().optional(),
  StateChangeTime: ProviderTimeSchema,
  Region: string().optional(),
  Trigger: looseObject({
    MetricName: string().nullable().optional(),
    Namespace: string().nullable().optional(),
    Dimensions: DimensionListSchema.nullable().optional(),
    ComparisonOperator: string().optional(),
    Threshold: number().nullable().optional(),
    Unit: string().nullable().optional(),
    Metrics: array(
      looseObject({
        Id: string(),
        Expression: string().optional(),
        Label: string().optional(),
        ReturnData: boolean().optional(),
        MetricStat: looseObject({
          Metric: looseObject({
            MetricName: string(),
            Namespace: string().optional(),
            Dimensions: DimensionListSchema.optional(),
          }),
        }).optional(),
      }),
    ).optional(),
  }).optional(),
});
/** The CloudWatch alarm JSON of an SNS notification. */
export type CloudWatchSnsAlarm = Infer<typeof CloudWatchSnsAlarmSchema>;

/**
 * "above" or "below" from the reason text: "was greater than the threshold", "was not less than or equal
 * to the threshold". Anomaly bands ("less than the lower thresholds or greater than the upper") have none.
 */
export function comparisonFromReason(reason: string | undefined): 'above' | 'below' | undefined {
  const found = /\b(greater|less) than (?:or equal to )?the threshold\b/.exec(reason ?? '');
  if (!found) return undefined;
  return found[1] === 'greater' ? 'above' : 'below';
}

/** From a ComparisonOperator such as `GreaterThanOrEqualToThreshold`. */
export function comparisonFromOperator(operator: string | undefined): 'above' | 'below' | undefined {
  if (!operator || /LowerOr|Band|Upper/.test(operator)) return undefined;
  if (operator.startsWith('GreaterThan')) return 'above';
  if (operator.startsWith('LessThan')) return 'below';
  return undefined;
}

/** The threshold in "…the threshold (50.0)…". */
export function thresholdFromReason(reason: string | undefined): number | undefined {
  const found = /the threshold \((-?[\d.]+(?:[eE][-+]?\d+)?)\)/.exec(reason ?? '');
  return found ? Number(found[1]) : undefined;
}

/**
 * The text between the brackets of the first "datapoint [" or "datapoints [" that has a closing bracket.
 * Found with indexOf, not a regex: `/datapoints? \[([^\]]*)\]/` restarted its scan to the end of the text at
 * every "datapoints [" without a "]" after it, quadratic in the reason's length (a 241 KB reason: 3.3 s).
 * If the first opening has no "]" after it, no later one has either, so one scan of each kind is enough.
 */
function bracketedList(reason: string): string | undefined {
  const found = /datapoints? \[/.exec(reason);
  if (!found) return undefined;
  const open = found.index + found[0].length;
  const close = reason.indexOf(']', open);
  return close < 0 ? undefined : reason.slice(open, close);
}

/**
 * Datapoints in "… datapoints [84.0 (23/03/20 10:55:00), 86.0 (23/03/20 10:50:00)] …", oldest first. The
 * text lists the newest first; the timestamps (dd/MM/yy HH:mm:ss) decide the order.
 */
export function datapointsFromReason(reason: string | undefined): number[] | undefined {
  const list = bracketedList(reason ?? '');
  if (list === undefined) return undefined;
  const points: { value: number; at: number; index: number }[] = [];
  list.split(/,\s*(?=-?[\d.])/).forEach((item, index) => {
    const found = /^\s*(-?[\d.]+(?:[eE][-+]?\d+)?)\s*(?:\((\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\))?/.exec(
      item,
    );
    if (!found) return;
    const [, value, dd, mm, yy, hh, mi, ss] = found;
    const at = dd
      ? Date.UTC(2000 + Number(yy), Number(mm) - 1, Number(dd), Number(hh), Number(mi), Number(ss))
      : -index;
    if (Number.isFinite(Number(value))) points.push({ value: Number(value), at, index });
  });
  if (points.length === 0) return undefined;
  return points.sort((a, b) => a.at - b.at || b.index - a.index).map((point) => point.value);
}

/**
 * The dimensions of every metric an alarm reads. A key whose metrics disagree (a metric-math alarm over
 * `Pool=a` and `Pool=b`) is left out: it describes no single thing a trigger could match on.
 */
export function mergeDimensions(maps: Record<string, string>[]): Record<string, string> {
  const merged = dict<string>();
  const conflicting = new Set<string>();
  for (const map of maps) {
    for (const [key, value] of Object.entries(map)) {
      if (key in merged && merged[key] !== value) conflicting.add(key);
      else merged[key] = value;
    }
  }
  for (const key of conflicting) delete merged[key];
  return merged;
}

/** The metric an alarm evaluates: the one returning data, its dimensions and those of every input metric. */
function alarmMetric(metrics: Infer<typeof AlarmMetricSchema>[]): {
  metric?: string;
  dimensions: Record<string, string>;
} {
  const dimensions = mergeDimensions(metrics.map((entry) => entry.metricStat?.metric.dimensions ?? {}));
  const returned =
    metrics.find((entry) => entry.returnData !== false && entry.metricStat) ??
    metrics.find((entry) => entry.returnData !== false);
  const metric = returned?.metricStat?.metric.name ?? returned?.label ?? returned?.expression;
  return { ...(metric ? { metric } : {}), dimensions };
}

interface AlarmFacts {
  alarmName: string;
  state: AlarmState;
  previousState?: AlarmState;
  metric?: string;
  threshold?: number;
  comparison?: 'above' | 'below';
  datapoints?: number[];
  dimensions: Record<string, string>;
  observedAt: number;
  eventId: string;
  resourceIds: string[];
}

function alarmSignal(facts: AlarmFacts, ctx: ParseContext): RoutableSignal {
  const value = facts.datapoints?.[facts.datapoints.length - 1];
  const signal: Signal = finishSignal(
    {
      kind: 'alarm',
      alarmName: facts.alarmName,
      state: facts.state,
      ...(facts.previousState ? { previousState: facts.previousState } : {}),
      ...(facts.metric ? { metric: facts.metric } : {}),
      ...(facts.threshold !== undefined ? { threshold: facts.threshold } : {}),
      ...(facts.comparison ? { comparison: facts.comparison } : {}),
      ...(facts.datapoints ? { datapoints: facts.datapoints } : {}),
      ...(value !== undefined ? { value } : {}),
      ...(Object.keys(facts.dimensions).length > 0 ? { dimensions: facts.dimensions } : {}),
      observedAt: facts.observedAt,
      source: 'aws-cloudwatch',
      eventId: facts.eventId,
    },
    ctx,
  );
  return {
    signal,
    route: {
      source: 'aws-cloudwatch',
      alarmName: facts.alarmName,
      dimensions: facts.dimensions,
      resourceIds: facts.resourceIds,
    },
  };
}

/** An EventBridge "CloudWatch Alarm State Change" event. */
export function parseCloudWatchAlarmEvent(envelope: EventBridgeEnvelope, ctx: ParseContext): ParsedEvent {
  const detailCtx = child(ctx, 'detail');
  const detail = check(CloudWatchAlarmDetailSchema, envelope.detail, detailCtx);
  const reasonCtx = child(detailCtx, 'state', 'reasonData');
  const reasonData = detail.state.reasonData
    ? check(ReasonDataSchema, decodeJson(detail.state.reasonData, reasonCtx), reasonCtx)
    : undefined;
  const { metric, dimensions } = alarmMetric(detail.configuration?.metrics ?? []);
  const threshold = reasonData?.threshold ?? thresholdFromReason(detail.state.reason);
  const comparison = comparisonFromReason(detail.state.reason) ?? comparisonFromReason(detail.previousState?.reason);
  const datapoints = reasonData?.recentDatapoints ?? datapointsFromReason(detail.state.reason);
  const event = emptyEvent(ctx.source, envelope.id);
  event.signals.push(
    alarmSignal(
      {
        alarmName: detail.alarmName,
        state: detail.state.value,
        ...(detail.previousState ? { previousState: detail.previousState.value } : {}),
        ...(metric ? { metric } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
        ...(comparison ? { comparison } : {}),
        ...(datapoints && datapoints.length > 0 ? { datapoints } : {}),
        dimensions,
        observedAt: detail.state.timestamp ?? envelope.time,
        eventId: envelope.id,
        resourceIds: envelope.resources,
      },
      ctx,
    ),
  );
  return event;
}

// The common shape, read without zod.
//
// An EventBridge "CloudWatch Alarm State Change" costs about 15 µs to read through the schemas above (the
// envelope, the detail, the reason data and the signal's own schema: most of a webhook's parse, and of an
// SQS record's on the AWS function's events path), and about 3 µs by hand. `fastCloudWatchAlarmEvent` reads
// it by hand, and answers only when it can answer exactly as the schema path does: every field those
// schemas check is checked here the same way (type, enum, non-empty, finite number, the time's reading, the
// signal's bounds), and anything it does not fully recognise (a field of the wrong type, an object that is
// not plain JSON, a time it cannot read, a bound crossed) gives `undefined`, so the schema path reads it
// again and reports the typed error. The facts it gathers go through the same helpers (alarmMetric,
// mergeDimensions, the reason readers), and the signal is built in the schema's key order with the same
// null-prototype maps. test/adapters/events/cloudwatch-fast.test.ts holds it to the schema path's answers
// for random, mutated and hostile inputs.

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** zod's `number()`: finite numbers only. */
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const optionalNumber = (value: unknown) => value === undefined || isNumber(value);
const isState = (value: unknown): value is AlarmState =>
  value === 'ALARM' || value === 'OK' || value === 'INSUFFICIENT_DATA';
/** ProviderTimeSchema's reading: a string or a finite number that `toEpochMs` reads. */
const timeOf = (value: unknown): number | undefined =>
  typeof value === 'string' || isNumber(value) ? toEpochMs(value) : undefined;

/**
 * Every element of an array passes `test`, as zod's `array()` reads it: index by index, so a hole (a sparse
 * array) is an `undefined` element (`Array.prototype.every` skips holes).
 */
function everyItem(value: unknown, test: (item: unknown) => boolean): value is unknown[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!test(value[i])) return false;
  return true;
}

/**
 * A map of strings as `record(string(), string())` takes it, for plain JSON objects only (a prototype other
 * than Object's, a symbol key or a `__proto__` key is left to the schema, which treats each its own way).
 */
function isStringMap(value: unknown): value is Record<string, string> {
  if (!isRecord(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const key of Object.keys(value)) if (key === '__proto__' || typeof value[key] !== 'string') return false;
  return true;
}

/** MetricStatSchema. */
function isMetricStat(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const metric = value.metric;
  return (
    isRecord(metric) &&
    typeof metric.name === 'string' &&
    metric.name.length > 0 &&
    optionalString(metric.namespace) &&
    (metric.dimensions === undefined || isStringMap(metric.dimensions)) &&
    optionalNumber(value.period) &&
    optionalString(value.stat) &&
    (value.unit === undefined || value.unit === null || typeof value.unit === 'string')
  );
}

/** AlarmMetricSchema. */
function isAlarmMetric(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    optionalString(value.expression) &&
    optionalString(value.label) &&
    (value.metricStat === undefined || isMetricStat(value.metricStat)) &&
    (value.returnData === undefined || typeof value.returnData === 'boolean')
  );
}

interface StateFacts {
  value: AlarmState;
  reason?: string;
  reasonData?: string;
  timestamp?: number;
}

/** AlarmStateDetailSchema, or undefined. */
function stateOf(value: unknown): StateFacts | undefined {
  if (!isRecord(value) || !isState(value.value)) return undefined;
  const { reason, reasonData } = value;
  if (!optionalString(reason) || !optionalString(reasonData)) return undefined;
  let timestamp: number | undefined;
  if (value.timestamp !== undefined) {
    timestamp = timeOf(value.timestamp);
    if (timestamp === undefined) return undefined;
  }
  return {
    value: value.value,
    reason: reason as string | undefined,
    reasonData: reasonData as string | undefined,
    timestamp,
  };
}

/** ReasonDataSchema of the decoded reason data, or undefined (not JSON, or not that shape). */
function reasonDataOf(text: string): { recentDatapoints?: number[]; threshold?: number } | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(decoded)) return undefined;
  const { recentDatapoints, threshold } = decoded;
  if (recentDatapoints !== undefined && !everyItem(recentDatapoints, isNumber)) return undefined;
  if (!optionalNumber(threshold) || !optionalString(decoded.statistic) || !optionalNumber(decoded.period))
    return undefined;
  return { recentDatapoints: recentDatapoints as number[] | undefined, threshold: threshold as number | undefined };
}

/**
 * An EventBridge "CloudWatch Alarm State Change" read by hand, or `undefined` when the payload is anything
 * else or anything the schema path might read differently (which then reads it: see above).
 */
export function fastCloudWatchAlarmEvent(payload: unknown, ctx: ParseContext): ParsedEvent | undefined {
  try {
    return readAlarmEvent(payload, ctx);
  } catch {
    // A getter that throws, a proxy: whatever it is, the schema path meets it too and says what it was.
    return undefined;
  }
}

function readAlarmEvent(payload: unknown, ctx: ParseContext): ParsedEvent | undefined {
  // EventBridgeEnvelopeSchema.
  if (!isRecord(payload) || payload['detail-type'] !== 'CloudWatch Alarm State Change') return undefined;
  const { id, source, resources, detail } = payload;
  if (typeof id !== 'string' || id.length === 0 || typeof source !== 'string' || source.length === 0) return undefined;
  if (!optionalString(payload.version) || !optionalString(payload.account) || !optionalString(payload.region))
    return undefined;
  const time = timeOf(payload.time);
  if (time === undefined) return undefined;
  let resourceIds: string[];
  if (resources === undefined) resourceIds = [];
  else if (everyItem(resources, (item) => typeof item === 'string')) resourceIds = resources.slice() as string[];
  else return undefined;

  // CloudWatchAlarmDetailSchema.
  if (!isRecord(detail)) return undefined;
  const { alarmName, configuration } = detail;
  if (typeof alarmName !== 'string' || alarmName.length === 0) return undefined;
  let metrics: unknown[] = [];
  if (configuration !== undefined) {
    if (!isRecord(configuration)) return undefined;
    const { description } = configuration;
    if (description !== undefined && description !== null && typeof description !== 'string') return undefined;
    if (configuration.metrics !== undefined) {
      if (!everyItem(configuration.metrics, isAlarmMetric)) return undefined;
      metrics = configuration.metrics;
    }
  }
  const state = stateOf(detail.state);
  if (!state) return undefined;
  let previousState: StateFacts | undefined;
  if (detail.previousState !== undefined) {
    previousState = stateOf(detail.previousState);
    if (!previousState) return undefined;
  }
  let reasonData: ReturnType<typeof reasonDataOf>;
  if (state.reasonData) {
    reasonData = reasonDataOf(state.reasonData);
    if (!reasonData) return undefined;
  }

  // The facts, as parseCloudWatchAlarmEvent gathers them.
  const { metric, dimensions } = alarmMetric(metrics as Infer<typeof AlarmMetricSchema>[]);
  const threshold = reasonData?.threshold ?? thresholdFromReason(state.reason);
  const comparison = comparisonFromReason(state.reason) ?? comparisonFromReason(previousState?.reason);
  const datapoints = reasonData?.recentDatapoints ?? datapointsFromReason(state.reason);

  // AlarmStateChangeSchema's bounds (what finishSignal would refuse); its key order; its maps' prototypes.
  if (threshold !== undefined && !Number.isFinite(threshold)) return undefined;
  if (datapoints && datapoints.length > LIMITS.datapoints) return undefined;
  const dimensionCount = Object.keys(dimensions).length;
  if (dimensionCount > LIMITS.dimensions) return undefined;
  const hasPoints = datapoints !== undefined && datapoints.length > 0;
  const signal: Signal = {
    kind: 'alarm',
    alarmName,
    state: state.value,
    ...(previousState ? { previousState: previousState.value } : {}),
    ...(metric ? { metric } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(comparison ? { comparison } : {}),
    ...(hasPoints ? { datapoints: datapoints.slice() } : {}),
    ...(hasPoints ? { value: datapoints[datapoints.length - 1]! } : {}),
    ...(dimensionCount > 0 ? { dimensions: dict(dimensions) } : {}),
    observedAt: state.timestamp ?? time,
    source: 'aws-cloudwatch',
    eventId: id,
  };
  const event = emptyEvent(ctx.source, id);
  event.signals.push({
    signal,
    route: { source: 'aws-cloudwatch', alarmName, dimensions, resourceIds },
  });
  return event;
}

/** The alarm JSON of an SNS notification (`Message`, decoded). `eventId` is the SNS MessageId. */
export function parseCloudWatchSnsAlarm(payload: unknown, eventId: string, ctx: ParseContext): ParsedEvent {
  const alarm = check(CloudWatchSnsAlarmSchema, payload, ctx);
  const trigger = alarm.Trigger;
  const toMap = (list: { name: string; value: string }[] | null | undefined) =>
    Object.fromEntries((list ?? []).map((d) => [d.name, d.value]));
  const dimensions = mergeDimensions([
    toMap(trigger?.Dimensions),
    ...(trigger?.Metrics ?? []).map((entry) => toMap(entry.MetricStat?.Metric.Dimensions)),
  ]);
  const returned = trigger?.Metrics?.find((entry) => entry.ReturnData !== false);
  const metric =
    trigger?.MetricName ?? returned?.MetricStat?.Metric.MetricName ?? returned?.Label ?? returned?.Expression;
  const threshold = trigger?.Threshold ?? thresholdFromReason(alarm.NewStateReason);
  const comparison = comparisonFromOperator(trigger?.ComparisonOperator) ?? comparisonFromReason(alarm.NewStateReason);
  const datapoints = datapointsFromReason(alarm.NewStateReason);
  const event = emptyEvent(ctx.source, eventId);
  event.signals.push(
    alarmSignal(
      {
        alarmName: alarm.AlarmName,
        state: alarm.NewStateValue,
        ...(alarm.OldStateValue ? { previousState: alarm.OldStateValue } : {}),
        ...(metric ? { metric } : {}),
        ...(threshold !== undefined && threshold !== null ? { threshold } : {}),
        ...(comparison ? { comparison } : {}),
        ...(datapoints ? { datapoints } : {}),
        dimensions,
        observedAt: alarm.StateChangeTime,
        eventId,
        resourceIds: alarm.AlarmArn ? [alarm.AlarmArn] : [],
      },
      ctx,
    ),
  );
  return event;
}
