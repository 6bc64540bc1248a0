/**
 * Step alarms that stay in ALARM. AWS step scaling keeps invoking its policy while an alarm stays in ALARM,
 * but EventBridge delivers only the change of state. On a tick, Tide reads the current state of the alarms
 * its step policies name with DescribeAlarms (one call for up to 100 names) when the stored state may be
 * stale, and hands an alarm still in ALARM to the next decision again.
 */
import type { AlarmStateChange } from '../../core/schema/signal.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';

/** DescribeAlarms takes at most 100 names a call. */
const MAX_NAMES = 100;

/** What CloudWatch puts in an alarm's `StateReasonData` (JSON) for a metric alarm. */
interface StateReasonData {
  recentDatapoints?: unknown;
  threshold?: unknown;
}

/** The alarm's recent datapoints from its `StateReasonData`, oldest first, when it has any. */
function datapointsOf(reasonData: string | undefined): number[] | undefined {
  if (!reasonData || reasonData.length > 64 * 1024) return undefined;
  try {
    const parsed = JSON.parse(reasonData) as StateReasonData;
    const points = Array.isArray(parsed.recentDatapoints)
      ? parsed.recentDatapoints.filter((p): p is number => typeof p === 'number' && Number.isFinite(p))
      : [];
    return points.length > 0 ? points.slice(-20) : undefined;
  } catch {
    return undefined;
  }
}

/** `above` for the operators that fire on high values, `below` for low ones. */
function comparisonOf(operator: string | undefined): 'above' | 'below' | undefined {
  if (!operator) return undefined;
  if (operator.startsWith('Greater')) return 'above';
  if (operator.startsWith('Less')) return 'below';
  return undefined;
}

/**
 * The alarms' current states, as `alarm` signals: state as read, `previousState` equal to it (a re-read,
 * not a change; the core steps again only after the repeat interval), the breach from `StateReasonData`'s
 * recent datapoints, `observedAt` the time of the read (the state held then: the stored state is fresh
 * again for the tick's staleness rule), and an event id per read, so each re-read is a delivery of its own.
 */
export async function readAlarmStates(
  names: readonly string[],
  scope: AwsScope,
  deps: { clients: AwsClients; caller: AwsCaller },
  readAt: number = Date.now(),
): Promise<AlarmStateChange[]> {
  const out: AlarmStateChange[] = [];
  for (let start = 0; start < names.length; start += MAX_NAMES) {
    const { sdk, client } = await deps.clients.cloudWatch(scope);
    const input = { AlarmNames: names.slice(start, start + MAX_NAMES), AlarmTypes: ['MetricAlarm' as const] };
    const reply = await deps.caller.call('cloudwatch:DescribeAlarms', `region/${scope.region}`, input, () =>
      client.send(new sdk.DescribeAlarmsCommand(input)),
    );
    for (const alarm of reply?.MetricAlarms ?? []) {
      const state = alarm.StateValue;
      if (!alarm.AlarmName || (state !== 'ALARM' && state !== 'OK' && state !== 'INSUFFICIENT_DATA')) continue;
      const datapoints = datapointsOf(alarm.StateReasonData);
      const comparison = comparisonOf(alarm.ComparisonOperator);
      out.push({
        kind: 'alarm',
        alarmName: alarm.AlarmName,
        state,
        previousState: state,
        ...(alarm.Threshold === undefined ? {} : { threshold: alarm.Threshold }),
        ...(datapoints ? { datapoints } : {}),
        ...(comparison ? { comparison } : {}),
        observedAt: readAt,
        source: 'aws-cloudwatch',
        eventId: `aws-describe-alarms:${alarm.AlarmName}:${state}:${readAt}`,
      });
    }
  }
  return out;
}
