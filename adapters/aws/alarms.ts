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

/** The alarms' current states, as `alarm` signals (state unchanged, previousState = state). */
export async function readAlarmStates(
  names: readonly string[],
  scope: AwsScope,
  deps: { clients: AwsClients; caller: AwsCaller },
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
      const at = alarm.StateUpdatedTimestamp?.getTime() ?? 0;
      out.push({
        kind: 'alarm',
        alarmName: alarm.AlarmName,
        state,
        previousState: state,
        ...(alarm.Threshold === undefined ? {} : { threshold: alarm.Threshold }),
        observedAt: at,
        source: 'aws-cloudwatch',
        eventId: `aws-describe-alarms:${alarm.AlarmName}:${state}:${at}`,
      });
    }
  }
  return out;
}
