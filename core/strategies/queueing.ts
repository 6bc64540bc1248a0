import { num, replicas as count } from '../format.ts';
import type { TargetTracking } from '../schema/policy.ts';

/** The queueing model of a target-tracking rule (policy.ts, `targetTracking[].queueing`). */
export type QueueingModel = NonNullable<TargetTracking['queueing']>;

/** The most replicas the model sizes for (beyond it the recommendation is this bound). */
const MAX_REPLICAS = 100_000;

/** The fewest replicas that meet the model's wait bound for `erlangs`, and the probability they give. */
export interface QueueingSize {
  replicas: number;
  /** P(a request waits longer than `maxWaitSeconds` for a slot) at that count. */
  probability: number;
}

/**
 * Erlang C (M/M/c): with `erlangs` of offered load (arrivals × mean service time) on c = slots × n servers,
 * a request waits longer than t with probability C(c, a) · e^(−(c − a) t ÷ S), S the mean service time.
 * The fewest n whose probability is at most `waitProbability`. Erlang B is built up one server at a time
 * (B₀ = 1, Bₖ = a·Bₖ₋₁ ÷ (k + a·Bₖ₋₁), stable for any c), and C = c·B ÷ (c − a(1 − B)).
 *
 * Worked example, an 8-slot LLM replica, S = 6.2 s, a request may wait 2.7 s, p99 (0.01): 4 erlangs (half of
 * one replica's slots) need 2 replicas (one gives P 1.03 %); 17 erlangs need 3 (P 0.36 %, 71 % of 24 slots);
 * 48 need 7 (P 0.57 %, 86 % of 56): a larger fleet absorbs the same randomness with less headroom, which a
 * fixed target utilization cannot say.
 */
export function sizeForWait(model: QueueingModel, erlangs: number): QueueingSize {
  const a = Math.max(0, erlangs);
  if (a === 0) return { replicas: 0, probability: 0 };
  if (a >= MAX_REPLICAS * model.slotsPerReplica) return { replicas: MAX_REPLICAS, probability: 1 };
  let b = 1;
  let servers = 0;
  for (let n = 1; n <= MAX_REPLICAS; n++) {
    const c = n * model.slotsPerReplica;
    for (; servers < c; ) {
      servers += 1;
      b = (a * b) / (servers + a * b);
    }
    if (a >= c) continue;
    const waits = (c * b) / (c - a * (1 - b));
    const probability = waits * Math.exp((-(c - a) * model.maxWaitSeconds) / model.serviceSeconds);
    if (probability <= model.waitProbability) return { replicas: n, probability };
  }
  return { replicas: MAX_REPLICAS, probability: 1 };
}

/**
 * Target tracking sized by the rule's queueing model instead of its target value (issue 17: "size for the SLO
 * from a queueing model of measured service times"). The metric is offered load in slots (erlangs): per
 * replica (× ready for the total) or, for a `total` metric, the whole target's. A scale-out goes to the size the
 * load needs; a scale-in only to the size that would still hold `scaleInTolerance` more load, so noise around
 * a boundary does not flap. Replicas already asked for and booting are kept while the load needs more than ready.
 */
export function recommendByQueueing(
  rule: TargetTracking,
  model: QueueingModel,
  observed: number,
  current: number,
  ready: number,
): { replicas: number; reason: string; demand: boolean } {
  const erlangs = rule.metricType === 'total' ? observed : observed * ready;
  const needed = sizeForWait(model, erlangs);
  const label = `${rule.metric} ${num(observed)}: ${num(erlangs)} erlangs need ${count(needed.replicas)} of ${model.slotsPerReplica} slots for P(wait > ${num(model.maxWaitSeconds)} s) ${num(needed.probability * 100)} % ≤ ${num(model.waitProbability * 100)} %`;
  const demand = observed > 0;
  if (needed.replicas > current) return { replicas: needed.replicas, reason: label, demand };
  if (needed.replicas > ready)
    return { replicas: current, reason: `${label}, and ${current} are already asked for (some still booting)`, demand };
  const shed = sizeForWait(model, erlangs * (1 + rule.scaleInTolerance)).replicas;
  if (shed < current)
    return { replicas: shed, reason: `${label}; with ${num(rule.scaleInTolerance * 100)} % more load ${shed}`, demand };
  return { replicas: current, reason: `${label}: no change`, demand };
}
