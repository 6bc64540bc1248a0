import { num } from '../format.ts';
import type { StepScaling } from '../schema/policy.ts';
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
