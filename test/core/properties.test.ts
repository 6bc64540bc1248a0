import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { evaluatePlans } from '../../core/strategies/schedule.ts';
import { PolicySchema, type Decision, type Policy, type SignalInput } from '../../core/index.ts';
import { input, sec, T0 } from './builders.ts';

const METRICS = ['gpu_utilization', 'concurrency'] as const;

const signalArb = (at: number): fc.Arbitrary<SignalInput> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('metric' as const),
        metric: fc.constantFrom(...METRICS, 'untracked'),
        value: fc.double({ min: 0, max: 500, noNaN: true }),
        observedAt: fc.constant(at),
        source: fc.constant('prop'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('metric-failure' as const),
        metric: fc.constantFrom(...METRICS),
        error: fc.constant('timeout'),
        observedAt: fc.constant(at),
        source: fc.constant('prop'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('schedule-tick' as const),
        observedAt: fc.constant(at),
        source: fc.constant('prop'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('alarm' as const),
        alarmName: fc.constantFrom('latency-high', 'other'),
        state: fc.constantFrom('ALARM' as const, 'OK' as const, 'INSUFFICIENT_DATA' as const),
        metric: fc.constantFrom(...METRICS),
        threshold: fc.constant(100),
        value: fc.double({ min: 0, max: 400, noNaN: true }),
        observedAt: fc.constant(at),
        source: fc.constant('prop'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('manual-override' as const),
        capacity: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
        expiresAt: fc.constant(at + sec(600)),
        reason: fc.constant('prop'),
        observedAt: fc.constant(at),
        source: fc.constant('prop'),
      }),
    },
  );

const policyArb = fc
  .record({
    minCapacity: fc.integer({ min: 0, max: 5 }),
    span: fc.integer({ min: 1, max: 30 }),
    target: fc.integer({ min: 20, max: 90 }),
    down: fc.constantFrom(0, 60, 300),
    burst: fc.boolean(),
    plan: fc.option(
      fc.record({
        floor: fc.integer({ min: 0, max: 8 }),
        hour: fc.integer({ min: 0, max: 23 }),
        ceiling: fc.option(fc.integer({ min: 8, max: 40 }), { nil: undefined }),
      }),
      { nil: undefined },
    ),
    fallback: fc.constantFrom('hold', 'set-capacity'),
  })
  .map(({ minCapacity, span, target, down, burst, plan, fallback }) =>
    PolicySchema.parse({
      minCapacity,
      maxCapacity: minCapacity + span + 8,
      targetTracking: [
        { metric: 'gpu_utilization', targetValue: target, windowSeconds: 30 },
        { metric: 'concurrency', targetValue: 4, windowSeconds: 0 },
      ],
      stepScaling: [
        {
          alarmName: 'latency-high',
          steps: [
            { lowerBound: 0, upperBound: 100, adjustment: 1 },
            { lowerBound: 100, adjustment: 4 },
          ],
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: down } },
      burst: { enabled: burst },
      missingMetrics: fallback === 'hold' ? {} : { action: 'set-capacity', capacity: minCapacity + 1 },
      schedules: plan
        ? [
            {
              name: 'p',
              start: `0 ${plan.hour} * * *`,
              durationMinutes: 180,
              timezone: 'America/New_York',
              minCapacity: plan.floor,
              ...(plan.ceiling !== undefined ? { maxCapacity: plan.ceiling } : {}),
              preWarmSeconds: 600,
            },
          ]
        : [],
    }),
  );

const runArb = fc.record({
  policy: policyArb,
  start: fc.integer({ min: 0, max: 20 }),
  steps: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 40 }).chain((gaps) => {
    let at = T0;
    const times = gaps.map((gap) => (at += sec(gap)));
    return fc.tuple(...times.map((t) => signalArb(t).map((signal) => ({ at: t, signal }))));
  }),
  bootLag: fc.boolean(),
});

function replay(policy: Policy, start: number, steps: { at: number; signal: SignalInput }[], bootLag: boolean) {
  let desired = Math.min(policy.maxCapacity, Math.max(policy.minCapacity, start));
  let ready = desired;
  let memory: Decision['memory'] | undefined;
  const decisions: { decision: Decision; input: ReturnType<typeof input> }[] = [];
  for (const step of steps) {
    const decisionInput = {
      ...input({ now: step.at, signal: step.signal, desired, ready, ...(memory ? { memory } : {}) }),
      policy,
    };
    const decision = decide(decisionInput);
    decisions.push({ decision, input: decisionInput });
    memory = decision.memory;
    // With boot lag, new replicas become ready only at the next step; removals are immediate.
    ready = bootLag && decision.desiredCapacity > desired ? desired : decision.desiredCapacity;
    desired = decision.desiredCapacity;
  }
  return decisions;
}

describe('decide: invariants over random signal sequences', () => {
  it('capacity stays within [min, max] and at or above every active plan floor (and under its ceiling)', () => {
    fc.assert(
      fc.property(runArb, ({ policy, start, steps, bootLag }) => {
        for (const { decision, input: i } of replay(policy, start, steps, bootLag)) {
          expect(decision.desiredCapacity).toBeGreaterThanOrEqual(policy.minCapacity);
          expect(decision.desiredCapacity).toBeLessThanOrEqual(policy.maxCapacity);
          const active = evaluatePlans(policy.schedules, policy.calendars, {}, i.now).active;
          for (const plan of active) {
            expect(decision.desiredCapacity).toBeGreaterThanOrEqual(plan.floor);
            if (plan.ceiling !== undefined && plan.ceiling >= plan.floor)
              expect(decision.desiredCapacity).toBeLessThanOrEqual(Math.max(plan.ceiling, policy.minCapacity));
          }
          for (const action of decision.actions) expect(action.reason.length).toBeGreaterThan(10);
          if (decision.actions.length === 0) expect(decision.reasons.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no scale-in inside the stabilization window after a higher recommendation', () => {
    fc.assert(
      fc.property(runArb, ({ policy, start, steps, bootLag }) => {
        const noPlans = { ...policy, schedules: [] };
        for (const { decision, input: i } of replay(noPlans, start, steps, bootLag)) {
          if (decision.desiredCapacity >= decision.currentCapacity) continue;
          if (i.memory?.override || decision.memory.override) continue; // an operator's explicit pin
          if (decision.desiredCapacity === noPlans.maxCapacity) continue; // clamped by max
          const windowStart = i.now - noPlans.behavior.scaleDown.stabilizationWindowSeconds * 1000;
          const earlier = (i.memory?.recommendations ?? []).filter(([at]) => at > windowStart && at <= i.now);
          for (const [, recommended] of earlier) expect(recommended).toBeLessThanOrEqual(decision.desiredCapacity);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and its memory survives a JSON round trip', () => {
    fc.assert(
      fc.property(runArb, ({ policy, start, steps, bootLag }) => {
        for (const { decision, input: i } of replay(policy, start, steps, bootLag)) {
          const memoryBefore = JSON.stringify(i.memory);
          const again = decide(structuredClone(i));
          decide(i);
          expect(JSON.stringify(i.memory)).toBe(memoryBefore); // decide never mutates its input
          expect(again).toEqual(decision);
          const viaJson = JSON.parse(JSON.stringify(decision.memory));
          expect(viaJson).toEqual(decision.memory);
          // Deciding from JSON-restored memory gives the same answer as from the live object.
          const restored = decide({ ...i, memory: JSON.parse(JSON.stringify(i.memory ?? decision.memory)) });
          if (i.memory) expect(restored).toEqual(decision);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never throws on any input that passes the schema, including stale or missing snapshots', () => {
    fc.assert(
      fc.property(runArb, fc.integer({ min: -1, max: 2000 }), ({ policy, start, steps }, skew) => {
        for (const step of steps) {
          const base = { ...input({ now: step.at, signal: step.signal, desired: start }), policy };
          const observed = skew < 0 ? null : base.observed && { ...base.observed, observedAt: step.at - sec(skew) };
          const decision = decide({ ...base, observed });
          expect(decision.valid).toBe(observed !== null && skew <= policy.observedStaleAfterSeconds);
        }
      }),
      { numRuns: 100 },
    );
  });
});
