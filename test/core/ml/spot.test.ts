import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Action } from '../../../core/index.ts';
import { G5, HOUR, T0, memoryWith, mlInput, nodes, sec, type PoolSpec } from './ml-builders.ts';

const spotPools = (a: number, b = 0, c = 0, od = 0): PoolSpec[] => [
  { id: 'g5-spot-1a', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1a', nodes: nodes('a', a) },
  { id: 'g5-spot-1b', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1b', nodes: nodes('b', b) },
  { id: 'g5-spot-1c', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1c', nodes: nodes('c', c) },
  { id: 'g5-od', instanceType: 'g5.xlarge', capacityType: 'on-demand', nodes: nodes('od', od) },
];

const notice = (instanceId: string, poolId: string, leadSeconds = 120) => ({
  kind: 'spot-interruption' as const,
  instanceId,
  poolId,
  deadlineAt: T0 + sec(leadSeconds),
  observedAt: T0,
  source: 'aws-ec2',
});

const launches = (actions: Action[]) => actions.filter((a) => a.type === 'launch-capacity');

describe('spot interruption on an inference endpoint', () => {
  it.each([
    {
      label: 'replacement in the next zone at the spot price',
      memory: {},
      policy: {},
      pool: 'g5-spot-1b',
      capacityType: 'spot',
      after: 2 * G5.spot, // one leaves, one comes: $0.845/h
      reason: /spot pool g5-spot-1b .* ranks first: \$0\.42\/h/,
    },
    {
      label: 'a pool with 4 interruptions in 24 h is skipped (limit 3); 1c ranks first',
      memory: { pools: { 'g5-spot-1b': { interruptions: [T0 - HOUR, T0 - 2 * HOUR, T0 - 3 * HOUR, T0 - 4 * HOUR] } } },
      policy: {},
      pool: 'g5-spot-1c',
      capacityType: 'spot',
      after: 2 * G5.spot,
      reason: /spot pool g5-spot-1b skipped: 4 interruptions in 24 h, above the limit of 3/,
    },
    {
      label: 'ranking: 1b with 1 recent interruption scores $0.53 (x1.25), 1c with none $0.42',
      memory: { pools: { 'g5-spot-1b': { interruptions: [T0 - HOUR] } } },
      policy: {},
      pool: 'g5-spot-1c',
      capacityType: 'spot',
      after: 2 * G5.spot,
      reason: /next: g5-spot-1b \$0\.53/,
    },
    {
      label: 'every other spot pool over the limit: on-demand fallback ($0.4225 + $1.006 = $1.43/h after)',
      memory: {
        pools: {
          'g5-spot-1b': { interruptions: [1, 2, 3, 4].map((h) => T0 - h * HOUR) },
          'g5-spot-1c': { interruptions: [1, 2, 3, 4].map((h) => T0 - h * HOUR) },
        },
      },
      policy: {},
      pool: 'g5-od',
      capacityType: 'on-demand',
      after: G5.spot + G5.onDemand,
      reason: /no spot pool is usable: falling back to on-demand/,
    },
    {
      label: 'on-demand base of 1 not met: the replacement is on-demand',
      memory: {},
      policy: { spot: { onDemandBase: 1 } },
      pool: 'g5-od',
      capacityType: 'on-demand',
      after: G5.spot + G5.onDemand,
      reason: /the base of 1 .* need 1 on-demand of 2, there are 0/,
    },
  ])('$label', ({ memory, policy, pool, capacityType, after, reason }) => {
    // Released at once (a lead as long as the notice): the placement is what this table is about; serving out
    // the notice has its own tests below.
    const atOnce = { ...policy, spot: { ...(policy as { spot?: object }).spot, drainBeforeReclaimSeconds: 120 } };
    const decision = decide(
      mlInput({ pools: spotPools(2), memory: memoryWith(memory), policy: atOnce, signal: notice('a-1', 'g5-spot-1a') }),
    );
    const launch = launches(decision.actions);
    expect(launch).toEqual([
      expect.objectContaining({ poolId: pool, capacityType, count: 1, replacesInstanceId: 'a-1' }),
    ]);
    expect(decision.actions).toContainEqual(expect.objectContaining({ type: 'drain-and-release', instanceId: 'a-1' }));
    expect(decision.cost?.beforeUsdPerHour).toBeCloseTo(2 * G5.spot, 4);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(after, 4);
    expect(decision.reasons.join('\n')).toMatch(reason);
    expect(decision.outcome).toBe('replace');
    expect(decision.memory.ml.pools['g5-spot-1a']?.interruptions).toContain(T0);
  });

  // Live prices and placement scores as the AWS adapter observes them: 1b is cheaper, 1c likelier to be fulfilled.
  const scored = (policy: Record<string, unknown>, b: number | undefined, c: number | undefined) =>
    decide(
      mlInput({
        pools: spotPools(2).map((pool) =>
          pool.id === 'g5-spot-1b'
            ? { ...pool, spotUsdPerHour: 0.4, ...(b ? { placementScore: b, placementNote: 'from the test' } : {}) }
            : pool.id === 'g5-spot-1c'
              ? { ...pool, spotUsdPerHour: 0.45, ...(c ? { placementScore: c } : {}) }
              : pool,
        ),
        policy,
        signal: notice('a-1', 'g5-spot-1a'),
      }),
    );
  it.each([
    {
      label: 'placement scores: 1b at $0.40 scored 3 ranks as $0.56 (x1.39), 1c at $0.45 scored 10 as $0.45: 1c',
      policy: {},
      scores: [3, 10],
      pool: 'g5-spot-1c',
      reason:
        /spot pool g5-spot-1c .* ranks first: \$0\.45\/h with 0 recent interruptions, placement score 10\/10, score \$0\.45 \(next: g5-spot-1b \$0\.56 at 3\/10/,
    },
    {
      label: 'placementScoreWeight 0: the scores are ignored, 1b is cheaper',
      policy: { spot: { placementScoreWeight: 0 } },
      scores: [3, 10],
      pool: 'g5-spot-1b',
      reason: /spot pool g5-spot-1b .* placement score 3\/10, score \$0\.40.*; from the test/,
    },
    {
      label: 'no scores at all: by price, as before',
      policy: {},
      scores: [undefined, undefined],
      pool: 'g5-spot-1b',
      reason:
        /spot pool g5-spot-1b .* ranks first: \$0\.40\/h with 0 recent interruptions, score \$0\.40 \(next: g5-spot-1c \$0\.45\)/,
    },
    {
      label: 'close scores do not outweigh price: 1b scored 9 ($0.42) beats 1c scored 10 ($0.45)',
      policy: {},
      scores: [9, 10],
      pool: 'g5-spot-1b',
      reason: /g5-spot-1b .* score \$0\.42/,
    },
  ])('$label', ({ policy, scores, pool, reason }) => {
    const decision = scored(policy, scores[0], scores[1]);
    expect(launches(decision.actions)).toEqual([expect.objectContaining({ poolId: pool, capacityType: 'spot' })]);
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  it('records the fallback and returns to spot in two steps after 1800 s of quiet, never dipping', () => {
    const pools = spotPools(1, 0, 0, 1);
    const fallback = memoryWith({ fallbackSince: T0, lastSpotTroubleAt: T0 });
    // No metric strategy here, so the horizontal pipeline would follow the minimum: pin it at the current size.
    const early = decide(mlInput({ pools, memory: fallback, now: T0 + sec(1799), policy: { minCapacity: 2 } }));
    expect(launches(early.actions)).toHaveLength(0);

    const first = decide(mlInput({ pools, memory: fallback, now: T0 + sec(1801) }));
    expect(first.actions).toEqual([
      expect.objectContaining({ type: 'launch-capacity', poolId: 'g5-spot-1a', capacityType: 'spot', count: 1 }),
    ]);
    expect(first.memory.ml.returningToSpotAt).toBe(T0 + sec(1801));

    // The spot replica is still booting: on-demand stays.
    const booting = spotPools(1, 0, 0, 1);
    booting[0]!.nodes!.push({ id: 'a-new', state: 'pending' });
    const wait = decide(
      mlInput({ pools: booting, memory: first.memory, now: T0 + sec(1900), policy: { minCapacity: 3 } }),
    );
    expect(wait.actions).toEqual([]);
    expect(wait.reasons.join('\n')).toMatch(/still booting/);

    const ready = decide(mlInput({ pools: spotPools(2, 0, 0, 1), memory: first.memory, now: T0 + sec(2200) }));
    expect(ready.actions).toEqual([expect.objectContaining({ type: 'set-capacity', poolId: 'g5-od', from: 1, to: 0 })]);
    expect(ready.cost?.afterUsdPerHour).toBeCloseTo(2 * G5.spot, 4);
    expect(ready.memory.ml.fallbackSince).toBeNull();
  });
});

describe('capacity errors', () => {
  it('skips the pool for 180 s and moves the missing node to the next spot pool', () => {
    const pools = spotPools(1);
    pools[1] = { ...pools[1]!, desired: 1, ready: 0, pending: 0 };
    const decision = decide(
      mlInput({
        pools,
        signal: {
          kind: 'capacity-error',
          poolId: 'g5-spot-1b',
          capacityType: 'spot',
          code: 'InsufficientInstanceCapacity',
          observedAt: T0,
          source: 'aws-ec2',
        },
      }),
    );
    expect(decision.actions).toEqual([
      expect.objectContaining({ type: 'set-capacity', poolId: 'g5-spot-1b', from: 1, to: 0 }),
      expect.objectContaining({ type: 'launch-capacity', poolId: 'g5-spot-1a', count: 1 }),
    ]);
    expect(decision.reasons.join('\n')).toMatch(
      /capacity error InsufficientInstanceCapacity from spot pool g5-spot-1b: skipped for 180 s/,
    );
    expect(decision.memory.ml.pools['g5-spot-1b']?.lastCapacityErrorAt).toBe(T0);
    // 60 s later an interruption in 1a must not pick 1b (still skipped), and says so.
    const later = decide(
      mlInput({
        pools: spotPools(2),
        memory: decision.memory,
        now: T0 + sec(60),
        signal: { ...notice('a-1', 'g5-spot-1a'), observedAt: T0 + sec(60), deadlineAt: T0 + sec(180) },
      }),
    );
    expect(launches(later.actions)).toEqual([expect.objectContaining({ poolId: 'g5-spot-1c' })]);
    expect(later.reasons.join('\n')).toMatch(
      /spot pool g5-spot-1b skipped: capacity error InsufficientInstanceCapacity 60 s ago \(skipped for 180 s\)/,
    );
  });

  it('falls back to on-demand when every spot pool is out of capacity', () => {
    const memory = memoryWith({
      pools: {
        'g5-spot-1a': { lastCapacityErrorAt: T0 - sec(60), lastCapacityErrorCode: 'ICE' },
        'g5-spot-1c': { lastCapacityErrorAt: T0 - sec(10), lastCapacityErrorCode: 'ICE' },
      },
    });
    const pools = spotPools(0);
    pools[1] = { ...pools[1]!, desired: 2, ready: 0, pending: 0 };
    const decision = decide(
      mlInput({
        pools,
        memory,
        signal: {
          kind: 'capacity-error',
          poolId: 'g5-spot-1b',
          capacityType: 'spot',
          code: 'ICE',
          observedAt: T0,
          source: 'aws-ec2',
        },
      }),
    );
    expect(launches(decision.actions)).toEqual([
      expect.objectContaining({ poolId: 'g5-od', capacityType: 'on-demand', count: 2 }),
    ]);
    expect(decision.memory.ml.fallbackSince).toBe(T0);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(2 * G5.onDemand, 4);
  });
});

describe('rebalance recommendation', () => {
  const signal = {
    kind: 'rebalance-recommendation' as const,
    instanceId: 'a-1',
    poolId: 'g5-spot-1a',
    observedAt: T0,
    source: 'aws-ec2',
  };

  it('launches a replacement first and keeps the at-risk replica serving', () => {
    const decision = decide(mlInput({ pools: spotPools(2), signal }));
    expect(decision.actions).toEqual([
      expect.objectContaining({ type: 'launch-capacity', poolId: 'g5-spot-1b', replacesInstanceId: 'a-1' }),
    ]);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(3 * G5.spot, 4);
  });

  it('is ignored with a reason when actOnRebalance is off', () => {
    const decision = decide(mlInput({ pools: spotPools(2), signal, policy: { spot: { actOnRebalance: false } } }));
    expect(decision.actions).toEqual([]);
    expect(decision.holds).toContainEqual(expect.objectContaining({ rule: 'disabled' }));
  });
});

it('an interruption of an instance no pool holds is a hold with a reason, not a throw', () => {
  const decision = decide(mlInput({ pools: spotPools(1), signal: { ...notice('zz-9', 'nope'), poolId: undefined } }));
  expect(decision.actions).toEqual([]);
  expect(decision.holds[0]?.reason).toMatch(/no pool of llm-endpoint holds it/);
});

describe('capacity errors never add capacity past what was asked', () => {
  it.each([
    {
      label: 'a repeated error for a pool that asks for nothing more moves nothing',
      desired: 0,
      max: 10,
      launched: 0,
      reason: /asks for nothing it does not have \(desired 0, 0 ready, 0 booting\): nothing to move/,
    },
    {
      label: '3 missing with 3 on-demand running and a maximum of 4: 1 moves (the total stays 4)',
      desired: 3,
      max: 4,
      launched: 1,
      reason: /2 of the 3 node\(s\) g5-spot-1b could not provide are not moved: the target would pass its maximum of 4/,
    },
    {
      label: '3 missing, maximum 10: all 3 move',
      desired: 3,
      max: 10,
      launched: 3,
      reason: /3 on-demand g5\.xlarge in g5-od instead of g5-spot-1b/,
    },
  ])('$label', ({ desired, max, launched, reason }) => {
    const memory = memoryWith({
      pools: {
        'g5-spot-1a': { lastCapacityErrorAt: T0 - sec(30), lastCapacityErrorCode: 'ICE' },
        'g5-spot-1c': { lastCapacityErrorAt: T0 - sec(30), lastCapacityErrorCode: 'ICE' },
      },
    });
    const pools = spotPools(0, 0, 0, 3);
    pools[1] = { ...pools[1]!, desired, ready: 0, pending: 0 };
    const decision = decide(
      mlInput({
        pools,
        memory,
        policy: { maxCapacity: max },
        signal: {
          kind: 'capacity-error',
          poolId: 'g5-spot-1b',
          capacityType: 'spot',
          code: 'ICE',
          observedAt: T0,
          source: 'aws-ec2',
        },
      }),
    );
    expect(launches(decision.actions).reduce((sum, a) => sum + (a.type === 'launch-capacity' ? a.count : 0), 0)).toBe(
      launched,
    );
    expect(decision.desiredCapacity).toBeLessThanOrEqual(Math.max(max, 3));
    expect(decision.reasons.join('\n')).toMatch(reason);
  });
});

describe('on-demand base and spot share for horizontal changes (mixed instances)', () => {
  const endpoint = (a: number, od: number, policy: Record<string, unknown>, utilization: number) =>
    mlInput({
      pools: spotPools(a, 0, 0, od),
      policy: {
        maxCapacity: 20,
        targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }],
        burst: { enabled: false },
        ...policy,
      },
      signal: { kind: 'metric', metric: 'gpu_utilization', value: utilization, observedAt: T0, source: 'test' },
    });

  it.each([
    {
      label: 'base 1, 25 % above it: 2 -> 6 is 1 + ceil(5 x 0.25) = 3 on-demand and 3 spot',
      a: 1,
      od: 1,
      policy: { spot: { onDemandBase: 1, onDemandPercentAboveBase: 25 } },
      utilization: 180,
      after: { 'g5-spot-1a': 3, 'g5-od': 3 },
      usd: 3 * G5.spot + 3 * G5.onDemand,
    },
    {
      label: 'base 2, 0 %: 6 -> 3 keeps the 2 on-demand and takes spot down to 1',
      a: 4,
      od: 2,
      policy: { spot: { onDemandBase: 2 }, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
      utilization: 30,
      after: { 'g5-spot-1a': 1 },
      usd: G5.spot + 2 * G5.onDemand,
    },
  ])('$label', ({ a, od, policy, utilization, after, usd }) => {
    const decision = decide(endpoint(a, od, policy, utilization));
    const counts = Object.fromEntries(
      decision.actions.map((x) => (x.type === 'set-capacity' ? [x.poolId, x.to] : [x.type, 0])),
    );
    expect(counts).toEqual(after);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(usd, 4);
    expect(decision.actions[0]!.reason).toMatch(/on-demand base/);
  });

  it('without a base or share the plain allocation applies (growth in the first pool)', () => {
    const decision = decide(endpoint(1, 1, {}, 180));
    expect(decision.actions).toEqual([
      expect.objectContaining({ type: 'set-capacity', poolId: 'g5-spot-1a', from: 1, to: 5 }),
    ]);
  });
});
