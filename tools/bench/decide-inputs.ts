/**
 * The inputs of the decide bench's generated variants (tools/bench/decide-bench.ts), shared with the golden
 * replay (test/core/decide-golden.test.ts): each builder runs `decide` to chain the memory, so the same
 * code gives the same inputs.
 */
import { decide } from '../../core/decide.ts';
import {
  DecisionInputSchema,
  PolicySchema,
  type Decision,
  type DecisionInput,
  type SignalInput,
} from '../../core/index.ts';

import { chainMetricInputs } from './chain-inputs.ts';

export { plansInputs } from './plans-inputs.ts';

// Tuesday 2026-03-10 14:00Z: 10:00 in New York and 14:00 in London, both plans open.
const start = Date.parse('2026-03-10T14:00:00Z');
/** Deterministic load wave: the bench needs no randomness. */
const load = (i: number) => 55 + 20 * Math.sin(i / 7);

/**
 * The `inference` variant: an endpoint with a full 15-minute window of per-10-second observations (90 samples
 * per metric, 90 stabilization recommendations) and two active plans; `count` inputs once the windows are full.
 */
export function inferenceInputs(count: number): DecisionInput[] {
  // Built here, not at import: the schedules' cron lines need croner loaded (adapters/cron/load.ts).
  const policy = PolicySchema.parse({
    minCapacity: 2,
    maxCapacity: 64,
    targetTracking: [{ metric: 'gpu_utilization', targetValue: 60, windowSeconds: 900 }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 900 } },
    schedules: [
      {
        name: 'nyse-session',
        start: '30 9 * * 1-5',
        end: '0 16 * * 1-5',
        timezone: 'America/New_York',
        minCapacity: 4,
        preWarmSeconds: 900,
        excludeCalendars: ['XNYS'],
      },
      { name: 'london-overlap', start: '0 8 * * 1-5', end: '30 16 * * 1-5', timezone: 'Europe/London', minCapacity: 3 },
    ],
  });
  const template = DecisionInputSchema.parse({
    now: start,
    signal: { kind: 'schedule-tick', observedAt: start, source: 'bench' },
    target: {
      id: 'bench',
      kind: 'inference-endpoint',
      provider: 'aws',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
    },
    observed: {
      observedAt: start,
      pools: [{ poolId: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired: 8, ready: 8 }],
    },
  });
  // One observation every 10 s: after 900 s (90 steps) the 15-minute metric window and the 900 s
  // scale-down stabilization window are both full (90 samples, 90 recommendations); the inputs from there on.
  return chainMetricInputs(
    { ...template, policy },
    { start, steps: 90 + count, metric: 'gpu_utilization', value: load, desired: 8 },
  ).slice(90);
}

const POOL_TYPES = ['p4d.24xlarge', 'p5.48xlarge', 'g5.12xlarge', 'g6e.12xlarge', 'p3.2xlarge'];

/** A training pool of 1,000 pools (999 spot, 1 on-demand), 300 with a node, fed a fixed cycle of signals. */
export function manyPoolsInputs(count: number): DecisionInput[] {
  const POOLS = 1000;
  const pools = Array.from({ length: POOLS }, (_, i) => ({
    id: i === POOLS - 1 ? 'od' : `spot-${i}`,
    instanceType: POOL_TYPES[i % POOL_TYPES.length]!,
    capacityType: i === POOLS - 1 ? ('on-demand' as const) : ('spot' as const),
    zone: `z${Math.floor(i / POOL_TYPES.length)}`,
  }));
  const policy = PolicySchema.parse({ minCapacity: 0, maxCapacity: 2000 });
  const target = {
    id: 'many-pools',
    kind: 'training-pool' as const,
    provider: 'aws' as const,
    region: 'us-east-1',
    pools,
  };
  const observedPools = (now: number) => ({
    observedAt: now,
    pools: pools.map((pool, i) => {
      const busy = i < 300;
      return {
        poolId: pool.id,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        desired: busy ? 1 : 0,
        ready: busy ? 1 : 0,
        pending: 0,
        nodes: busy ? [{ id: `n-${i}`, state: 'ready' as const, jobId: `job-${i % 60}` }] : [],
      };
    }),
  });
  const signalAt = (i: number, now: number): SignalInput => {
    const base = { observedAt: now, source: 'bench', eventId: `many-${i}` };
    switch (i % 4) {
      case 0:
        return { kind: 'schedule-tick', ...base };
      case 1:
        return {
          kind: 'spot-interruption',
          instanceId: `n-${(i * 7) % 300}`,
          poolId: `spot-${(i * 7) % 300}`,
          deadlineAt: now + 120_000,
          ...base,
        };
      case 2:
        return {
          kind: 'capacity-error',
          poolId: `spot-${(i * 13) % 999}`,
          capacityType: 'spot',
          code: 'InsufficientInstanceCapacity',
          ...base,
        };
      default:
        return { kind: 'job', event: 'queued', jobId: `q-${i}`, gpusPerNode: 8, nodeCount: 2, ...base };
    }
  };
  const template = DecisionInputSchema.parse({
    now: start,
    signal: signalAt(0, start),
    target,
    policy,
    observed: observedPools(start),
  });
  let memory: Decision['memory'] | undefined;
  const inputs: DecisionInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const now = start + i * 10_000;
    const input: DecisionInput = {
      ...template,
      now,
      signal: DecisionInputSchema.shape.signal.parse(signalAt(i, now)),
      observed: DecisionInputSchema.shape.observed.parse(observedPools(now)),
      ...(memory ? { memory } : {}),
    };
    memory = decide(input).memory;
    inputs.push(input);
  }
  return inputs;
}
