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
  type ParseContext,
} from '../context.ts';
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
