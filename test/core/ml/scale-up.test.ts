import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide } from '../../../core/decide.ts';
import type { Decision, Memory, PolicyInput } from '../../../core/index.ts';
import { planRollingChange } from '../../../core/strategies/ml/scale-up.ts';
import { HOUR, T0, memoryWith, mlInput, sec } from './ml-builders.ts';

const pools = (type = 'ml.g5.xlarge', count = 2) => [
  { id: 'primary', instanceType: type, capacityType: 'on-demand' as const, desired: count, ready: count },
];
const base: PolicyInput = { mode: 'hybrid', minCapacity: 2, scaleUp: { latencySloMs: 500 } };
const metrics = (values: Record<string, number>, at = T0) =>
  memoryWith({ metrics: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [at, v]])) });
const latency = (value: number, at = T0) => ({
  kind: 'metric' as const,
  metric: 'latency_p95_ms',
  value,
  observedAt: at,
  source: 'test',
});

function run(policy: PolicyInput, memory: Memory, type = 'ml.g5.xlarge', value = 800): Decision {
  return decide(mlInput({ pools: pools(type), policy, memory, signal: latency(value) }));
}

describe('scale-up for inference endpoints', () => {
  it.each([
    {
      label: 'hybrid, latency 800 ms > 500 ms SLO with 1 request per replica: up to ml.g5.12xlarge (2 x $7.09/h)',
      policy: base,
      memory: metrics({ concurrent_requests_per_replica: 1 }),
      to: 'ml.g5.12xlarge',
      after: 2 * 7.09,
      reason: /more replicas would not help: only 1 concurrent requests per replica/,
    },
    {
      label: 'hybrid, GPU memory 95 %, provider-wide ladder: up to ml.g6e.xlarge (48 GiB, 2 x $2.33/h)',
      policy: { ...base, scaleUp: { latencySloMs: 500, ladderScope: 'provider' } },
      memory: metrics({ gpu_memory_utilization: 95, concurrent_requests_per_replica: 6 }),
      to: 'ml.g6e.xlarge',
      after: 2 * 2.3263,
      reason: /GPU memory 95 % \(near full at 90 %\)/,
    },
    {
      label: 'hybrid, out-of-memory errors: up',
      policy: base,
      memory: metrics({ oom_errors: 3 }),
      to: 'ml.g5.12xlarge',
      after: 2 * 7.09,
      reason: /3 out-of-memory error\(s\)/,
    },
    {
      label:
        'hybrid, no bottleneck signal, provider ladder: ml.g6e.xlarge is cheaper per GiB ($4.85 vs $5.87 per 100 GiB-hour)',
      policy: { ...base, scaleUp: { latencySloMs: 500, ladderScope: 'provider' } },
      memory: metrics({}),
      to: 'ml.g6e.xlarge',
      after: 2 * 2.3263,
      reason: /costs \$4\.85 per 100 GiB-hour of GPU memory against \$5\.87/,
    },
    {
      label: 'vertical mode: any breach moves up',
      policy: { ...base, mode: 'vertical' },
      memory: metrics({ concurrent_requests_per_replica: 9 }),
      to: 'ml.g5.12xlarge',
      after: 2 * 7.09,
      reason: /vertical mode/,
    },
  ])('$label', ({ policy, memory, to, after, reason }) => {
    const decision = run(policy as PolicyInput, memory);
    expect(decision.actions).toEqual([
      expect.objectContaining({
        type: 'change-instance-type',
        poolId: 'primary',
        fromInstanceType: 'ml.g5.xlarge',
        toInstanceType: to,
        count: 2,
      }),
    ]);
    expect(decision.outcome).toBe('scale-up');
    expect(decision.cost?.beforeUsdPerHour).toBeCloseTo(2 * 1.408, 4);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(after, 3);
    expect(decision.actions[0]!.reason).toMatch(reason);
    expect(decision.actions[0]!.reason).toMatch(/ready replicas never drop below 2 \(minimum 2\)/);
    expect(decision.memory.ml.lastTypeChangeAt).toBe(T0);
  });

  it.each([
    {
      label: 'hybrid, 6 requests per replica: a throughput bottleneck, left to replicas',
      policy: base,
      memory: metrics({ concurrent_requests_per_replica: 6 }),
      reason: /throughput bottleneck, more replicas instead/,
    },
    {
      label: 'hybrid, no signal, family ladder: g5.12xlarge dearer per GiB',
      policy: base,
      memory: metrics({}),
      reason: /cheaper per GiB of GPU memory than ml\.g5\.12xlarge: more replicas instead/,
    },
    {
      label: 'horizontal mode never changes type',
      policy: { ...base, mode: 'horizontal' as const },
      memory: metrics({ oom_errors: 2 }),
      reason: /./,
    },
    { label: 'latency under the SLO', policy: base, memory: metrics({ oom_errors: 2 }), reason: /./, value: 400 },
  ])('no type change: $label', ({ policy, memory, reason, value }) => {
    const decision = run(policy, memory, 'ml.g5.xlarge', value ?? 800);
    expect(decision.actions.filter((a) => a.type === 'change-instance-type')).toEqual([]);
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  it('hysteresis: no change within the 1800 s dwell after the last one', () => {
    const memory = memoryWith({ lastTypeChangeAt: T0 - sec(600), metrics: { oom_errors: [T0, 1] } });
    const decision = run(base, memory);
    expect(decision.actions.filter((a) => a.type === 'change-instance-type')).toEqual([]);
    expect(decision.holds).toContainEqual({
      rule: 'cooldown',
      reason: expect.stringMatching(/1200 s left of the 1800 s dwell/),
    });
  });

  it('steps down after an hour of GPU utilization under 30 % with latency under half the SLO', () => {
    const memory = memoryWith({
      lowUseSince: T0 - HOUR,
      metrics: { gpu_utilization: [T0, 12], latency_p95_ms: [T0, 100] },
    });
    const decision = decide(
      mlInput({
        pools: pools('ml.g5.12xlarge'),
        policy: base,
        memory,
        signal: { kind: 'metric', metric: 'gpu_utilization', value: 12, observedAt: T0, source: 'test' },
      }),
    );
    expect(decision.actions).toEqual([
      expect.objectContaining({ type: 'change-instance-type', toInstanceType: 'ml.g5.xlarge', count: 2 }),
    ]);
    expect(decision.outcome).toBe('scale-down');
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(2 * 1.408, 4);
  });

  it('property: a rolling change never has fewer ready replicas than it started with', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 10 }), (count, surge) => {
        const steps = planRollingChange(count, surge);
        for (const step of steps) {
          expect(step.oldReady + step.newReady).toBeGreaterThanOrEqual(count);
          expect(step.newReady - step.oldReady).toBeLessThanOrEqual(count);
        }
        expect(steps.at(-1)).toEqual({ oldReady: 0, newReady: count });
      }),
    );
  });

  it('property: under a noisy latency signal the size changes at most once per dwell period (no flapping)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            latency: fc.integer({ min: 100, max: 1200 }),
            util: fc.integer({ min: 0, max: 100 }),
            gapSeconds: fc.integer({ min: 10, max: 900 }),
          }),
          { minLength: 5, maxLength: 60 },
        ),
        (series) => {
          let memory = memoryWith({});
          let type = 'ml.g5.xlarge';
          let now = T0;
          const changes: number[] = [];
          for (const point of series) {
            now += point.gapSeconds * 1000;
            for (const signal of [
              {
                kind: 'metric' as const,
                metric: 'gpu_utilization',
                value: point.util,
                observedAt: now,
                source: 'test',
              },
              { ...latency(point.latency, now) },
            ]) {
              const decision = decide(
                mlInput({ pools: pools(type), policy: { ...base, mode: 'vertical' }, memory, now, signal }),
              );
              memory = decision.memory;
              const change = decision.actions.find((a) => a.type === 'change-instance-type');
              if (change && change.type === 'change-instance-type') {
                type = change.toInstanceType;
                changes.push(now);
              }
            }
          }
          for (let i = 1; i < changes.length; i += 1)
            expect(changes[i]! - changes[i - 1]!).toBeGreaterThanOrEqual(1800 * 1000);
        },
      ),
      { numRuns: 60 },
    );
  });
});

it('hybrid, throughput bottleneck: the horizontal pipeline adds replicas in the same decision', () => {
  const memory = metrics({ latency_p95_ms: 800 });
  const decision = decide(
    mlInput({
      pools: pools('ml.g5.xlarge', 2),
      policy: {
        ...base,
        maxCapacity: 10,
        targetTracking: [{ metric: 'concurrent_requests_per_replica', targetValue: 4 }],
        burst: { enabled: false },
      },
      memory,
      signal: { kind: 'metric', metric: 'concurrent_requests_per_replica', value: 8, observedAt: T0, source: 'test' },
    }),
  );
  expect(decision.actions).toEqual([
    expect.objectContaining({ type: 'set-capacity', poolId: 'primary', from: 2, to: 4 }),
  ]);
  expect(decision.reasons.join('\n')).toMatch(/throughput bottleneck, more replicas instead of a bigger type/);
  expect(decision.cost).toEqual({ beforeUsdPerHour: 2.816, afterUsdPerHour: 5.632 });
});
