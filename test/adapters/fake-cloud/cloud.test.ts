import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  isInsufficientCapacityError,
  isNodeNotFoundError,
  isPoolNotFoundError,
} from '../../../adapters/ports/actuator.ts';
import {
  DEFAULT_BOOT_SECONDS,
  SimulatedCloud,
  type SimulatedCloudOptions,
} from '../../../adapters/fake-cloud/cloud.ts';
import { instancePricing } from '../../../adapters/fake-cloud/prices.ts';
import { DEFAULT_SPOT_MARKET, SpotMarket } from '../../../adapters/fake-cloud/spot-market.ts';
import { createPrng } from '../../../adapters/fake-cloud/prng.ts';

const T0 = Date.parse('2026-03-09T14:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;

function cloud(overrides: Partial<SimulatedCloudOptions> = {}): SimulatedCloud {
  return new SimulatedCloud({
    targetId: 'llm',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
    startAt: T0,
    seed: 1,
    ...overrides,
  });
}

async function poolState(c: SimulatedCloud, poolId = 'primary') {
  const observed = await c.readCapacity('llm');
  return observed.pools.find((pool) => pool.poolId === poolId)!;
}

describe('SimulatedCloud boot delays', () => {
  it.each([
    { label: 'SageMaker default', boot: undefined, readyAfter: DEFAULT_BOOT_SECONDS },
    { label: 'per type', boot: { 'ml.g5.2xlarge': 258 } as Record<string, number>, readyAfter: 258 },
    { label: 'default key', boot: { default: 60 } as Record<string, number>, readyAfter: 60 },
  ])('$label: new replicas are pending until $readyAfter s', async ({ boot, readyAfter }) => {
    const c = cloud(boot ? { bootSeconds: boot } : {});
    await c.setCapacity({ poolId: 'primary', desired: 3 });
    expect(await poolState(c)).toMatchObject({ desired: 3, ready: 0, pending: 3 });
    c.advanceTo(s(readyAfter - 1));
    expect((await poolState(c)).ready).toBe(0);
    c.advanceTo(s(readyAfter));
    expect(await poolState(c)).toMatchObject({ desired: 3, ready: 3, pending: 0 });
    expect(c.readyNodes()).toHaveLength(3);
  });
});

describe('SimulatedCloud billing', () => {
  it('bills every node per second from launch, booting included', () => {
    const c = cloud({ initial: { primary: 2 } });
    c.setDesired('primary', 3);
    c.advanceTo(s(1800));
    const price = instancePricing('ml.g5.2xlarge', 'on-demand').usdPerHour;
    expect(c.costUsd()).toBeCloseTo(price * 1.5, 6);
    expect(c.gpuSeconds()).toBeCloseTo(3 * 1800, 6);
  });

  it('stops billing a released node', () => {
    const c = cloud({ initial: { primary: 2 } });
    c.advanceTo(s(3600));
    c.setDesired('primary', 1);
    c.advanceTo(s(7200));
    const price = instancePricing('ml.g5.2xlarge', 'on-demand').usdPerHour;
    expect(c.costUsd()).toBeCloseTo(price * 3, 6);
  });

  it('prices spot pools at the catalog spot price', () => {
    const c = cloud({
      pools: [{ id: 'spot', instanceType: 'ml.g5.2xlarge', capacityType: 'spot' }],
      initial: { spot: 1 },
      spotMarket: { ...DEFAULT_SPOT_MARKET, meanAvailableSeconds: 1e9 },
    });
    c.advanceTo(s(3600));
    expect(c.costUsd()).toBeCloseTo(instancePricing('ml.g5.2xlarge', 'spot').usdPerHour, 3);
  });
});

describe('SimulatedCloud scale-in', () => {
  it('releases booting nodes before ready ones', async () => {
    const c = cloud({ initial: { primary: 2 } });
    c.setDesired('primary', 4);
    c.advanceTo(s(10));
    c.setDesired('primary', 2);
    expect(await poolState(c)).toMatchObject({ desired: 2, ready: 2, pending: 0 });
  });

  it('drains and releases one named node, lowering desired', async () => {
    const c = cloud({ initial: { primary: 2 } });
    const [node] = (await poolState(c)).nodes!;
    await c.drainAndRelease({ poolId: 'primary', instanceId: node!.id });
    expect(await poolState(c)).toMatchObject({ desired: 1, ready: 1 });
  });
});

describe('SimulatedCloud typed errors', () => {
  it.each([
    {
      label: 'unknown pool',
      call: (c: SimulatedCloud) => c.setCapacity({ poolId: 'nope', desired: 1 }),
      guard: isPoolNotFoundError,
      type: PoolNotFoundError,
    },
    {
      label: 'unknown node',
      call: (c: SimulatedCloud) => c.drainAndRelease({ poolId: 'primary', instanceId: 'i-x' }),
      guard: isNodeNotFoundError,
      type: NodeNotFoundError,
    },
  ])('$label', async ({ call, guard, type }) => {
    const error = await call(cloud()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(type);
    expect(guard(error)).toBe(true);
  });

  it('throws InsufficientCapacityError while a spot pool is out, keeps the desired count and retries', async () => {
    const market = { meanAvailableSeconds: 60, meanOutageSeconds: 1e7, noticeSeconds: 120 };
    const c = cloud({
      pools: [{ id: 'spot', instanceType: 'ml.g5.2xlarge', capacityType: 'spot' }],
      spotMarket: market,
    });
    c.advanceTo(s(5000));
    const error = await c.setCapacity({ poolId: 'spot', desired: 2 }).catch((caught: unknown) => caught);
    expect(isInsufficientCapacityError(error)).toBe(true);
    expect((error as InsufficientCapacityError).capacityType).toBe('spot');
    expect(await poolState(c, 'spot')).toMatchObject({ desired: 2, ready: 0, pending: 0 });
    // Reported once, by the exception; the retry a minute later is reported as an event.
    expect(c.advanceTo(s(5001))).toEqual([]);
    expect(c.advanceTo(s(5060)).map((event) => event.kind)).toEqual(['capacity-error']);
  });
});

describe('SimulatedCloud spot interruptions', () => {
  const market = { meanAvailableSeconds: 600, meanOutageSeconds: 300, noticeSeconds: 120 };
  const spotCloud = (replaceReclaimed?: boolean) =>
    cloud({
      pools: [{ id: 'spot', instanceType: 'ml.g5.2xlarge', capacityType: 'spot' }],
      initial: { spot: 2 },
      spotMarket: market,
      seed: 7,
      ...(replaceReclaimed === undefined ? {} : { replaceReclaimed }),
    });

  it('gives a notice, then reclaims the node at the deadline', () => {
    const c = spotCloud();
    const events = [];
    for (let second = 1; second <= 7200; second++) events.push(...c.advanceTo(s(second)));
    const notice = events.find((event) => event.kind === 'spot-notice');
    const interrupted = events.find((event) => event.kind === 'interrupted');
    expect(notice).toBeDefined();
    expect(interrupted).toBeDefined();
    if (notice?.kind === 'spot-notice' && interrupted) {
      expect(notice.deadlineAt - notice.at).toBe(120_000);
      expect(interrupted.at).toBe(notice.deadlineAt);
    }
  });

  it('is deterministic for a seed', () => {
    const run = () => {
      const c = spotCloud();
      const events = [];
      for (let second = 1; second <= 7200; second += 5) events.push(...c.advanceTo(s(second)));
      return JSON.stringify(events);
    };
    expect(run()).toBe(run());
  });

  it('lowers the desired count on a reclaim when the autoscaler replaces nodes itself', async () => {
    const c = spotCloud(false);
    for (let second = 1; second <= 7200; second++) {
      const events = c.advanceTo(s(second));
      if (events.some((event) => event.kind === 'interrupted')) break;
    }
    expect((await poolState(c, 'spot')).desired).toBeLessThan(2);
  });
});

describe('SpotMarket', () => {
  it('defaults follow the published medians (mean = median / ln 2)', () => {
    expect(DEFAULT_SPOT_MARKET.meanAvailableSeconds).toBe(5912);
    expect(DEFAULT_SPOT_MARKET.meanOutageSeconds).toBe(2216);
  });
  it('outage intervals are ordered and disjoint', () => {
    const market = new SpotMarket(createPrng(3), 0);
    const outages = market.outagesStartingIn(0, 10 * 86_400_000);
    for (let i = 1; i < outages.length; i++) expect(outages[i]![0]).toBeGreaterThanOrEqual(outages[i - 1]![1]);
  });
});

describe('SimulatedCloud invariants', () => {
  it('never reports more ready than desired, and on-demand pools hold ready + pending = desired', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ desired: fc.integer({ min: 0, max: 20 }), advance: fc.integer({ min: 0, max: 900 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        async (steps) => {
          const c = cloud({ initial: { primary: 1 } });
          let at = 0;
          for (const step of steps) {
            c.setDesired('primary', step.desired);
            at += step.advance;
            c.advanceTo(s(at));
            const pool = await poolState(c);
            expect(pool.ready).toBeLessThanOrEqual(pool.desired);
            expect(pool.ready + pool.pending).toBe(pool.desired);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('spot pools never report more ready than desired either', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 20 }),
        async (seed, counts) => {
          const c = cloud({
            pools: [{ id: 'spot', instanceType: 'ml.g5.2xlarge', capacityType: 'spot' }],
            seed,
            spotMarket: { meanAvailableSeconds: 900, meanOutageSeconds: 600, noticeSeconds: 120 },
          });
          let at = 0;
          for (const count of counts) {
            try {
              c.setDesired('spot', count);
            } catch (error) {
              expect(isInsufficientCapacityError(error)).toBe(true);
            }
            at += 600;
            c.advanceTo(s(at));
            const pool = await poolState(c, 'spot');
            expect(pool.ready).toBeLessThanOrEqual(pool.desired);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
