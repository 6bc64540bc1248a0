import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import { HOUR, T0, memoryWith, mlInput, nodes, type PoolSpec } from './ml-builders.ts';

// Issue 17, section 5: an inference endpoint's replicas spread over its spot pools (spot.spreadSpotPools).
const pools = (a: number, b: number, c: number, od: number): PoolSpec[] => [
  { id: 'spot-a', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1a', nodes: nodes('a', a) },
  { id: 'spot-b', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1b', nodes: nodes('b', b) },
  { id: 'spot-c', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1c', nodes: nodes('c', c) },
  { id: 'od', instanceType: 'g5.xlarge', capacityType: 'on-demand', nodes: nodes('od', od) },
];

const endpoint = (
  counts: [number, number, number, number],
  utilization: number,
  spot: Record<string, unknown> = {},
  memory: Record<string, unknown> = {},
) =>
  mlInput({
    pools: pools(...counts),
    memory: memoryWith(memory),
    policy: {
      maxCapacity: 40,
      targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }],
      burst: { enabled: false },
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
      // The spread alone; the pool-loss cover on top of it is test/core/ml/pool-loss.test.ts.
      spot: { spreadSpotPools: true, poolLossReserve: 0, ...spot },
    },
    signal: { kind: 'metric', metric: 'gpu_utilization', value: utilization, observedAt: T0, source: 'test' },
  });

const countsAfter = (decision: ReturnType<typeof decide>) =>
  Object.fromEntries(decision.actions.map((x) => (x.type === 'set-capacity' ? [x.poolId, x.to] : [x.type, 0])));

describe('spreading replicas over spot pools', () => {
  it.each([
    {
      label: '6 -> 9 (90 % vs 60 %: ceil(6 x 1.5)): c (0), then b and c (1 each: b ranks first), then c',
      counts: [3, 1, 0, 2] as [number, number, number, number],
      utilization: 90,
      want: { 'spot-b': 2, 'spot-c': 2 },
    },
    {
      label: '6 -> 3 (30 % vs 60 %): on-demand first, then the fullest spot pool',
      counts: [3, 1, 0, 2] as [number, number, number, number],
      utilization: 30,
      want: { od: 0, 'spot-a': 2 },
    },
  ])('$label', ({ counts, utilization, want }) => {
    const decision = decide(endpoint(counts, utilization));
    expect(countsAfter(decision)).toEqual(want);
    expect(decision.actions[0]!.reason).toMatch(/spread over the spot pools \(fewest first\)/);
  });

  it('skips a pool over its interruption limit: growth goes to the others, and scale-in takes it first', () => {
    const memory = { pools: { 'spot-c': { interruptions: [1, 2, 3, 4].map((h) => T0 - h * HOUR) } } };
    const grow = decide(endpoint([2, 2, 0, 0], 90, {}, memory));
    expect(countsAfter(grow)).toEqual({ 'spot-a': 3, 'spot-b': 3 });
    // 5 -> 4 (40 % vs 60 %: ceil(5 x 0.67)): from c, though a holds as many.
    const shrink = decide(endpoint([2, 1, 2, 0], 40, {}, memory));
    expect(countsAfter(shrink)).toEqual({ 'spot-c': 1 });
  });

  it('keeps the on-demand base: growth fills it first, scale-in never takes it', () => {
    // 2 -> 3: the one more is the base's on-demand replica.
    expect(countsAfter(decide(endpoint([1, 1, 0, 0], 90, { onDemandBase: 1 })))).toEqual({ od: 1 });
    // 4 -> 6: then spot, the fewest first.
    expect(countsAfter(decide(endpoint([2, 1, 0, 1], 90, { onDemandBase: 1 })))).toEqual({ 'spot-b': 2, 'spot-c': 1 });
    expect(countsAfter(decide(endpoint([2, 2, 0, 1], 30, { onDemandBase: 1 })))).toEqual({ 'spot-a': 1, 'spot-b': 1 });
  });

  it('with no usable spot pool, growth goes on-demand (the fallback)', () => {
    const out = [1, 2, 3, 4].map((h) => T0 - h * HOUR);
    const memory = {
      pools: { 'spot-a': { interruptions: out }, 'spot-b': { interruptions: out }, 'spot-c': { interruptions: out } },
    };
    expect(countsAfter(decide(endpoint([1, 1, 0, 0], 90, {}, memory)))).toEqual({ od: 1 });
  });

  it('is off by default: growth goes to the first pool', () => {
    const input = endpoint([1, 1, 0, 0], 90);
    const decision = decide({
      ...input,
      policy: { ...input.policy, spot: { ...input.policy.spot, spreadSpotPools: false } },
    });
    expect(countsAfter(decision)).toEqual({ 'spot-a': 2 });
  });
});

describe('spreading keeps the fleet apart through notices and scale-ins', () => {
  it('a notice is replaced in the usable spot pool holding the fewest, not in the one ranked first', () => {
    // spot-a loses a replica; spot-b (3) ranks first on the tie of price, spot-c holds 1: c takes it.
    const input = endpoint([2, 3, 1, 0], 60);
    const decision = decide({
      ...input,
      signal: {
        kind: 'spot-interruption',
        action: 'terminate',
        instanceId: 'a-1',
        poolId: 'spot-a',
        deadlineAt: T0 + 120_000,
        observedAt: T0,
        source: 'aws-ec2',
      },
    });
    const launch = decision.actions.find((x) => x.type === 'launch-capacity');
    expect(launch).toMatchObject({ poolId: 'spot-c', count: 1 });
    expect(decision.reasons.join('\n')).toMatch(/spread: fewest in spot-c/);
  });

  it('a scale-in takes replicas still booting before ready ones, then the fullest', () => {
    // spot-c's 2 replicas still boot; 6 -> 2 (4 ready at 30 % vs 60 %) takes them, then 2 from spot-a, the fullest.
    const input = endpoint([3, 1, 0, 0], 30);
    const booting = {
      ...input,
      observed: {
        ...input.observed!,
        pools: input.observed!.pools.map((p) => (p.poolId === 'spot-c' ? { ...p, desired: 2, ready: 0 } : p)),
      },
    };
    expect(countsAfter(decide(booting))).toEqual({ 'spot-c': 0, 'spot-a': 1 });
  });
});

describe('one outage is one interruption', () => {
  const notice = (instanceId: string, at: number) => ({
    kind: 'spot-interruption' as const,
    action: 'terminate' as const,
    instanceId,
    poolId: 'spot-a',
    deadlineAt: at + 120_000,
    observedAt: at,
    source: 'aws-ec2',
  });

  it('notices for a pool within 120 s of the last recorded one count once; a later one counts again', () => {
    let input = endpoint([4, 0, 0, 0], 60);
    let memory = input.memory;
    const interruptions = () => memory!.ml.pools['spot-a']?.interruptions.length ?? 0;
    for (const [i, at] of [T0, T0, T0 + 1000, T0 + 119_000].entries()) {
      input = {
        ...input,
        now: at,
        signal: notice(`a-${i + 1}`, at),
        memory,
        observed: { ...input.observed!, observedAt: at },
      };
      memory = decide(input).memory;
    }
    expect(interruptions()).toBe(1);
    const later = T0 + 3 * HOUR;
    memory = decide({
      ...input,
      now: later,
      signal: notice('a-1', later),
      memory,
      observed: { ...input.observed!, observedAt: later },
    }).memory;
    expect(interruptions()).toBe(2);
  });
});
