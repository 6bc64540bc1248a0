import { ceilCount, num, replicas } from '../format.ts';
import type { TargetTracking } from '../schema/policy.ts';
import { recommendByQueueing } from './queueing.ts';

/** One metric's recommendation, with the arithmetic spelled out. */
export interface Recommendation {
  replicas: number;
  reason: string;
  /** The metric shows demand (a positive value): enough to wake a target that is at zero. */
  demand: boolean;
}

/**
 * The HPA formula. For a per-replica metric: desired = ceil(ready × observed ÷ target); for a total:
 * desired = ceil(observed ÷ target). The base is READY capacity, not desired: GPU replicas take minutes to
 * boot, and counting booting replicas as if they served would scale out again and again for the same load.
 * A metric above target never recommends fewer than the current desired count (the pending replicas are
 * what it asked for). Inside the tolerance the answer is "no change": at 95 % of target nothing is shed.
 *
 * Worked example: 4 ready, GPU utilization 90 % against a 60 % target: ratio 1.5, ceil(4 × 1.5) = 6.
 */
export function recommendByTargetTracking(
  rule: TargetTracking,
  observed: number,
  current: number,
  ready: number,
): Recommendation {
  const label = `${rule.metric} ${num(observed)} vs target ${num(rule.targetValue)}`;
  const demand = observed > 0;
  if (ready === 0) {
    // Nothing is ready and nothing is asked of the target: what was asked for is released, booted or not.
    // Capacity that never becomes ready (a bad image, a quota, a zone out of GPUs) must not hold the
    // target at its size for ever. Knative reads zero ready pods as one, so zero demand gives zero pods.
    if (!demand && current > 0) {
      return {
        replicas: 0,
        reason: `${label}: none of the ${replicas(current)} asked for is ready and there is no demand: release them`,
        demand,
      };
    }
    if (rule.metricType === 'total') {
      const wanted = ceilCount(observed / rule.targetValue);
      return {
        replicas: Math.max(wanted, current),
        reason: `${label}: ceil(${num(observed)} ÷ ${num(rule.targetValue)}) = ${wanted}, none ready yet`,
        demand,
      };
    }
    if (current === 0) {
      return {
        replicas: demand ? 1 : 0,
        reason: `${label} with no replicas: ${demand ? 'demand wakes the target to 1' : 'no demand'}`,
        demand,
      };
    }
    return {
      replicas: current,
      reason: `${label}: no ready replica to measure against, waiting for ${replicas(current)} to boot`,
      demand,
    };
  }
  if (rule.queueing) return recommendByQueueing(rule, rule.queueing, observed, current, ready);
  const ratio = rule.metricType === 'total' ? observed / (rule.targetValue * ready) : observed / rule.targetValue;
  // 1e-9 absorbs float noise: 66 ÷ 60 − 1 is 0.10000000000000009, which a user reads as exactly 10 %.
  if (ratio >= 1 && ratio - 1 <= rule.scaleOutTolerance + 1e-9) {
    return {
      replicas: current,
      reason: `${label}: ratio ${num(ratio)} within the ${num(rule.scaleOutTolerance * 100)} % scale-out tolerance, no change`,
      demand,
    };
  }
  if (ratio < 1 && 1 - ratio <= rule.scaleInTolerance + 1e-9) {
    return {
      replicas: current,
      reason: `${label}: ratio ${num(ratio)} within the ${num(rule.scaleInTolerance * 100)} % scale-in tolerance, no change`,
      demand,
    };
  }
  const raw = rule.metricType === 'total' ? ceilCount(observed / rule.targetValue) : ceilCount(ready * ratio);
  const formula =
    rule.metricType === 'total'
      ? `ceil(${num(observed)} ÷ ${num(rule.targetValue)}) = ${raw}`
      : `ceil(${ready} ready × ${num(ratio)}) = ${raw}`;
  if (ratio > 1 && raw < current) {
    return {
      replicas: current,
      reason: `${label}: ${formula}, but ${current} are already asked for (some still booting)`,
      demand,
    };
  }
  return { replicas: raw, reason: `${label}: ${formula}`, demand };
}
