import { DecisionInputSchema, PolicySchema, type DecisionInput } from '../../core/index.ts';
import { chainMetricInputs } from './chain-inputs.ts';

/**
 * The `plans` variant of the decide bench: a follow-the-sun policy whose plans follow three exchanges'
 * sessions (Tokyo with its lunch break, London, New York) plus a recorded closure, fed one metric every 10 s
 * for a whole trading day (Tuesday 2026-03-10, 00:00Z to 24:00Z: every open, break and close is crossed).
 */
export function plansInputs(): DecisionInput[] {
  const policy = PolicySchema.parse({
    minCapacity: 1,
    maxCapacity: 64,
    targetTracking: [{ metric: 'gpu_utilization', targetValue: 60, windowSeconds: 300 }],
    schedules: [
      { name: 'tokyo', session: { exchange: 'XTKS', openOffsetMinutes: -15 }, minCapacity: 4 },
      { name: 'london', session: { exchange: 'XLON', openOffsetMinutes: -15 }, minCapacity: 8 },
      { name: 'new-york', session: { exchange: 'XNYS', openOffsetMinutes: -15 }, minCapacity: 12 },
    ],
  });
  const start = Date.parse('2026-03-10T00:00:00Z');
  const exchangeOverrides = [
    { exchange: 'XNYS', date: '2026-03-12', status: 'closed' as const, reason: 'bench: a recorded closure' },
  ];
  const template = DecisionInputSchema.parse({
    now: start,
    signal: { kind: 'schedule-tick', observedAt: start, source: 'bench' },
    target: {
      id: 'plans',
      kind: 'inference-endpoint',
      provider: 'aws',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
    },
    policy,
    exchangeOverrides,
    observed: {
      observedAt: start,
      pools: [{ poolId: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired: 4, ready: 4 }],
    },
  });
  return chainMetricInputs(template, {
    start,
    steps: 8640,
    metric: 'gpu_utilization',
    value: (i) => 50 + 15 * Math.sin(i / 11),
    desired: 4,
  });
}
