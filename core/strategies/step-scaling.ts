import { num, seconds } from '../format.ts';
import type { Memory } from '../schema/memory.ts';
import type { Policy, StepScaling } from '../schema/policy.ts';
import type { AlarmStateChange } from '../schema/signal.ts';

export interface StepRecommendation {
  replicas: number;
  reason: string;
}

/**
 * AWS rounding for percent changes: a change between 0 and 1 replica becomes 1 (and −1 for small
 * decreases); larger changes are rounded toward zero, so 150 % of 3 = 4.5 adds 4.
 */
function percentChange(current: number, percent: number): number {
  const raw = (current * percent) / 100;
  if (raw > 0 && raw < 1) return 1;
  if (raw < 0 && raw > -1) return -1;
  return raw > 0 ? Math.floor(raw) : Math.ceil(raw);
}

/**
 * Step scaling on the size of the breach: breach = value − threshold; the step whose
 * [lowerBound, upperBound) holds the breach gives the change. Only an alarm in ALARM acts.
 *
 * Worked example: threshold 70, value 95 → breach 25; steps [0,20) +1, [20,∞) +3 → +3 replicas.
 */
export function recommendByStep(
  policy: StepScaling,
  alarm: AlarmStateChange,
  current: number,
): StepRecommendation | { replicas?: undefined; reason: string } {
  if (alarm.state !== 'ALARM') return { reason: `alarm ${alarm.alarmName} is ${alarm.state}: no step applies` };
  const value = alarm.value ?? alarm.datapoints?.at(-1);
  if (value === undefined || alarm.threshold === undefined) {
    return {
      reason: `alarm ${alarm.alarmName} carries no value or threshold: the breach size is unknown, no step applies`,
    };
  }
  const breach = value - alarm.threshold;
  const step = policy.steps.find(
    (candidate) =>
      (candidate.lowerBound === undefined || breach >= candidate.lowerBound) &&
      (candidate.upperBound === undefined || breach < candidate.upperBound),
  );
  const what = `alarm ${alarm.alarmName}: value ${num(value)}, threshold ${num(alarm.threshold)}, breach ${num(breach)}`;
  if (!step) return { reason: `${what}: no step covers this breach` };
  let target: number;
  let how: string;
  switch (policy.adjustmentType) {
    case 'exact-capacity':
      target = step.adjustment;
      how = `set capacity to ${step.adjustment}`;
      break;
    case 'percent-change-in-capacity': {
      let change = percentChange(current, step.adjustment);
      const magnitude = policy.minAdjustmentMagnitude;
      if (magnitude !== undefined && change !== 0 && Math.abs(change) < magnitude)
        change = Math.sign(change) * magnitude;
      target = current + change;
      how = `${num(step.adjustment)} % of ${current} = ${change > 0 ? '+' : ''}${change}`;
      break;
    }
    default:
      target = current + step.adjustment;
      how = `${step.adjustment > 0 ? '+' : ''}${step.adjustment}`;
  }
  const replicas = Math.max(0, Math.round(target));
  return { replicas, reason: `${what} → step ${how} → ${replicas}` };
}

/** CloudWatch evaluates an alarm at most once a minute: a step alarm that stays in ALARM steps at most this often. */
export const STEP_REPEAT_MIN_SECONDS = 60;
/** A tick this early still counts as the next evaluation (schedulers deliver a minute tick with a little jitter). */
const REPEAT_SLACK_MS = 5_000;

/**
 * How long a step alarm that stays in ALARM waits between steps, seconds: the policy's cooldown in the
 * direction its steps go (both, for exact capacity or mixed steps), and never under a minute. AWS Application
 * Auto Scaling keeps invoking a step policy while its alarm stays in ALARM, bounded by the policy's cooldown.
 */
export function stepRepeatSeconds(policy: Policy, step: StepScaling): number {
  const out = step.adjustmentType === 'exact-capacity' || step.steps.some((s) => s.adjustment > 0);
  const inward = step.adjustmentType === 'exact-capacity' || step.steps.some((s) => s.adjustment < 0);
  return Math.max(
    STEP_REPEAT_MIN_SECONDS,
    out ? policy.cooldown.scaleOutSeconds : 0,
    inward ? policy.cooldown.scaleInSeconds : 0,
  );
}

type AlarmEntry = Memory['alarms'][string];

/**
 * Whether a step alarm whose stored state is ALARM steps again now: it never stepped, or its repeat interval
 * has passed since it last did. Returns the note that says so, either way.
 */
export function stepsAgain(
  policy: Policy,
  step: StepScaling,
  entry: AlarmEntry,
  now: number,
): { due: boolean; note: string } {
  const interval = stepRepeatSeconds(policy, step);
  const last = entry.steppedAt;
  if (last === undefined || now - last >= interval * 1000 - REPEAT_SLACK_MS) {
    const since = last === undefined ? 'it has not stepped yet' : `last step ${seconds(now - last)} ago`;
    return {
      due: true,
      note: `alarm ${step.alarmName} is still in ALARM (state from ${seconds(now - entry.at)} ago): steps again (${since}, repeat interval ${interval} s)`,
    };
  }
  return {
    due: false,
    note: `alarm ${step.alarmName} is still in ALARM: last step ${seconds(now - last)} ago, the next after the ${interval} s repeat interval`,
  };
}
