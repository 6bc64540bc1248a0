/**
 * Target tracking sized by a queueing model (core/strategies/queueing.ts, `targetTracking[].queueing`): Erlang C
 * on the offered load in slots, the fewest replicas whose chance of a wait over the bound is at most the share.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { emptyMemory, PolicySchema, type PolicyInput } from '../../core/index.ts';
import { sizeForWait, type QueueingModel } from '../../core/strategies/queueing.ts';
import { input, metric, sec, T0 } from './builders.ts';

/** An 8-slot LLM replica: 6.2 s mean service, 2.7 s of wait allowed, p99. */
const LLM: QueueingModel = { slotsPerReplica: 8, serviceSeconds: 6.2, maxWaitSeconds: 2.7, waitProbability: 0.01 };

/** Erlang C by its textbook formula (the sum over k < c of aᵏ ÷ k!), to check the recursion against. */
function waitOver(model: QueueingModel, erlangs: number, replicas: number): number {
  const c = replicas * model.slotsPerReplica;
  if (erlangs >= c) return 1;
  let term = 1;
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term = (term * erlangs) / (k + 1);
  }
  const top = (term * c) / (c - erlangs);
  return (top / (sum + top)) * Math.exp((-(c - erlangs) * model.maxWaitSeconds) / model.serviceSeconds);
}

describe('sizeForWait: the fewest replicas that meet the wait bound (Erlang C)', () => {
  it.each([
    { label: 'no load needs none', model: LLM, erlangs: 0, replicas: 0 },
    { label: 'half of one replica needs two at p99 (one gives 1.03 %)', model: LLM, erlangs: 4, replicas: 2 },
    { label: '17 erlangs: 3 replicas, 71 % of their slots', model: LLM, erlangs: 17, replicas: 3 },
    { label: '48 erlangs: 7 replicas, 86 % of their slots', model: LLM, erlangs: 48, replicas: 7 },
    { label: '80 erlangs: 11 replicas', model: LLM, erlangs: 80, replicas: 11 },
    {
      label: 'M/M/1, no wait allowed: P(wait) is the load, 0.5 ≤ 0.5',
      model: { slotsPerReplica: 1, serviceSeconds: 1, maxWaitSeconds: 0, waitProbability: 0.5 },
      erlangs: 0.5,
      replicas: 1,
    },
    {
      label: 'M/M/2 at 0.5 erlangs waits with P 0.1: two servers for a bound of 0.11',
      model: { slotsPerReplica: 1, serviceSeconds: 1, maxWaitSeconds: 0, waitProbability: 0.11 },
      erlangs: 0.5,
      replicas: 2,
    },
    {
      label: 'a load past every slot still gets an answer (the bound)',
      model: LLM,
      erlangs: 1e12,
      replicas: 100_000,
    },
  ])('$label', ({ model, erlangs, replicas }) => {
    const size = sizeForWait(model, erlangs);
    expect(size.replicas).toBe(replicas);
    if (replicas > 0 && replicas < 100_000) {
      expect(size.probability).toBeCloseTo(waitOver(model, erlangs, replicas), 12);
      expect(size.probability).toBeLessThanOrEqual(model.waitProbability);
    }
  });

  const models = fc.record({
    slotsPerReplica: fc.integer({ min: 1, max: 16 }),
    serviceSeconds: fc.double({ min: 0.1, max: 30, noNaN: true }),
    maxWaitSeconds: fc.double({ min: 0, max: 10, noNaN: true }),
    waitProbability: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
  });

  it('property: the count meets the bound, one fewer does not, and every slot-count is above the load', () => {
    fc.assert(
      fc.property(models, fc.double({ min: 0.01, max: 200, noNaN: true }), (model, erlangs) => {
        const { replicas, probability } = sizeForWait(model, erlangs);
        return (
          replicas * model.slotsPerReplica > erlangs &&
          probability <= model.waitProbability &&
          Math.abs(probability - waitOver(model, erlangs, replicas)) < 1e-9 &&
          (replicas === 1 || waitOver(model, erlangs, replicas - 1) > model.waitProbability)
        );
      }),
    );
  });

  it('property: more load never needs fewer replicas', () => {
    fc.assert(
      fc.property(
        models,
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (model, erlangs, more) => sizeForWait(model, erlangs + more).replicas >= sizeForWait(model, erlangs).replicas,
      ),
    );
  });
});

describe('a target-tracking rule with a queueing model, in decide', () => {
  const M = 'offered_concurrency_per_replica';
  const policyWith = (queueing: PolicyInput['targetTracking'] extends (infer R)[] | undefined ? R : never) =>
    ({
      minCapacity: 1,
      maxCapacity: 40,
      burst: { enabled: false },
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
      targetTracking: [queueing],
    }) as PolicyInput;
  const rule = { metric: M, targetValue: 4.8, windowSeconds: 0, queueing: LLM };

  function decideWith(value: number, desired: number, ready: number, extra: object = {}) {
    return decide(
      input({
        now: T0 + sec(60),
        signal: metric(M, value, T0 + sec(60)),
        policy: policyWith({ ...rule, ...extra }),
        desired,
        ready,
        memory: { ...emptyMemory(), lastDecisionAt: T0 },
      }),
    );
  }

  it.each([
    // 3 ready × 5.6 erlangs = 16.8: 3 replicas meet p99; at the 4.8 target it would be ceil(3 × 5.6 ÷ 4.8) = 4.
    {
      label: '16.8 erlangs on 3: no change (target tracking at 4.8 would buy a 4th)',
      value: 5.6,
      desired: 3,
      ready: 3,
      expected: 3,
    },
    // 3 × 7 = 21 erlangs: 4 replicas.
    { label: '21 erlangs on 3: scale out to 4', value: 7, desired: 3, ready: 3, expected: 4 },
    // 3 ready, 5 asked for, 21 erlangs need 4: more than ready, so the booting ones are kept.
    {
      label: 'replicas already booting are kept while the load needs more than ready',
      value: 7,
      desired: 5,
      ready: 3,
      expected: 5,
    },
    // 6 × 2 = 12 erlangs need 3; with 10 % more (13.2) still 3: scale in to 3.
    { label: '12 erlangs on 6: scale in to 3', value: 2, desired: 6, ready: 6, expected: 3 },
    // 4 × 4.2 = 16.8 erlangs need 3, but 10 % more (18.5) needs 4: no change (hysteresis).
    { label: 'a scale-in the tolerance would undo is not taken', value: 4.2, desired: 4, ready: 4, expected: 4 },
  ])('$label', ({ value, desired, ready, expected }) => {
    const decision = decideWith(value, desired, ready);
    expect(decision.desiredCapacity).toBe(expected);
    expect(decision.reasons.some((r) => r.includes('erlangs need') && r.includes('≤ 1 %'))).toBe(true);
  });

  it('without the model the same rule sizes by its target value', () => {
    const decision = decide(
      input({
        now: T0 + sec(60),
        signal: metric(M, 5.6, T0 + sec(60)),
        policy: policyWith({ metric: M, targetValue: 4.8, windowSeconds: 0 }),
        desired: 3,
        ready: 3,
        memory: { ...emptyMemory(), lastDecisionAt: T0 },
      }),
    );
    expect(decision.desiredCapacity).toBe(4);
  });

  it('a total metric is the whole target’s load: 21 erlangs need 4 whatever is ready', () => {
    expect(decideWith(21, 3, 3, { metricType: 'total' }).desiredCapacity).toBe(4);
  });

  it.each([
    { field: 'waitProbability', value: 0 },
    { field: 'waitProbability', value: 1 },
    { field: 'slotsPerReplica', value: 0 },
    { field: 'serviceSeconds', value: 0 },
    { field: 'maxWaitSeconds', value: -1 },
  ])('the schema refuses $field = $value, naming it', ({ field, value }) => {
    const parsed = PolicySchema.safeParse({ targetTracking: [{ ...rule, queueing: { ...LLM, [field]: value } }] });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error!.issues.map((issue) => issue.path))).toContain(field);
  });
});
