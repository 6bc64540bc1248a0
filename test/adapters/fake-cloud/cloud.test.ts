import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  isInsufficientCapacityError,
  isNodeNotFoundError,
  isPoolNotFoundError,
} from '../../../adapters/ports/actuator.ts';
import {
  DEFAULT_BOOT_SECONDS,
  DEFAULT_BOOT_SPREAD,
  SimulatedCloud,
  type SimulatedCloudOptions,
} from '../../../adapters/fake-cloud/cloud.ts';
import { instancePricing } from '../../../adapters/fake-cloud/prices.ts';
import {
  DEFAULT_SPOT_MARKET,
  SpotMarket,
  spotMarketFor,
  type SpotMarketOptions,
} from '../../../adapters/fake-cloud/spot-market.ts';
import { createRandom } from '../../../adapters/fake-cloud/random.ts';

const T0 = Date.parse('2026-03-09T14:00:00Z');

/** A market without spread: every run and every outage as long as given (the first run starts part-way). */
const fixedMarket = (runMinutes: number, outageMinutes: number): SpotMarketOptions => ({
  ...DEFAULT_SPOT_MARKET,
  medianRunMinutes: runMinutes,
  longestRunMinutes: runMinutes,
  runSigma: 0,
  medianOutageMinutes: outageMinutes,
  longestOutageMinutes: outageMinutes,
  outageSigma: 0,
});
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

describe('SimulatedCloud boot delays drawn from a spread', () => {
  it('each launch takes the next draw, which peekBootSeconds shows ahead; within the clip; seeded', async () => {
    const spread = { bootSeconds: { default: 525 }, bootSpread: DEFAULT_BOOT_SPREAD };
    const c = cloud(spread);
    const ahead = [0, 1, 2, 3, 4, 5].map((k) => c.peekBootSeconds('primary', k));
    expect(new Set(ahead).size).toBeGreaterThan(1);
    for (const boot of ahead) {
      expect(Number.isInteger(boot)).toBe(true);
      expect(boot).toBeGreaterThanOrEqual(258);
      expect(boot).toBeLessThanOrEqual(1050);
    }
    // The same seed draws the same boots; another seed others.
    expect([0, 1, 2, 3, 4, 5].map((k) => cloud(spread).peekBootSeconds('primary', k))).toEqual(ahead);
    expect([0, 1, 2, 3, 4, 5].map((k) => cloud({ ...spread, seed: 2 }).peekBootSeconds('primary', k))).not.toEqual(
      ahead,
    );
    c.setDesired('primary', 2);
    c.setDesired('primary', 6);
    // Six launched at T0 took the six draws: at each draw's time exactly the draws no longer are ready.
    for (const boot of [...ahead].sort((x, y) => x - y)) {
      c.advanceTo(s(boot));
      expect((await poolState(c)).ready).toBe(ahead.filter((other) => other <= boot).length);
    }
    expect(c.peekBootSeconds('primary', 0)).not.toBe(ahead[0]);
  });

  it('without a spread every boot is the fixed delay', () => {
    expect(cloud({ bootSeconds: { default: 300 } }).peekBootSeconds('primary', 3)).toBe(300);
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
      spotMarket: fixedMarket(1e9, 1),
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
    const market = fixedMarket(1, 1e7);
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
  const market = fixedMarket(10, 5);
  const spotCloud = (replaceReclaimed?: boolean) =>
    cloud({
      pools: [{ id: 'spot', instanceType: 'ml.g5.2xlarge', capacityType: 'spot' }],
      initial: { spot: 2 },
      spotMarket: market,
      seed: 7,
      ...(replaceReclaimed === undefined ? {} : { replaceReclaimed }),
    });

  it('gives a notice 120 s before the outage, reclaims the node when it starts, and fails launches during it', async () => {
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
      // The market the cloud uses: the same seed and pool give the same outage, starting at the deadline.
      const [outage] = spotMarketFor(7, 'spot', T0, market).outagesStartingIn(T0, T0 + 7_200_000);
      expect(outage!.start).toBe(notice.deadlineAt);
      expect(outage!.end - outage!.start).toBe(5 * 60_000);
    }
  });

  it('warns a node launched inside a notice window at once, with the time left', async () => {
    const [outage] = spotMarketFor(7, 'spot', T0, market).outagesStartingIn(T0, T0 + 7_200_000);
    const c = cloud({
      pools: [{ id: 'spot', instanceType: 'ml.g5.2xlarge', capacityType: 'spot' }],
      spotMarket: market,
      seed: 7,
      retryShortPools: false,
    });
    c.advanceTo(outage!.start - 60_000); // the notice window opened 60 s ago
    const [id] = await c.launchCapacity({
      poolId: 'spot',
      instanceType: 'ml.g5.2xlarge',
      capacityType: 'spot',
      count: 1,
    });
    expect(c.nextEventAt(Infinity)).toBe(outage!.start - 60_000);
    expect(c.advanceTo(outage!.start - 60_000)).toEqual([
      {
        kind: 'spot-notice',
        at: outage!.start - 60_000,
        poolId: 'spot',
        instanceId: id,
        instanceType: 'ml.g5.2xlarge',
        deadlineAt: outage!.start,
      },
    ]);
    expect(c.nextEventAt(Infinity)).toBe(outage!.start);
    expect(c.advanceTo(outage!.start).map((event) => event.kind)).toEqual(['interrupted']);
    expect(c.hasNode(id!)).toBe(false);
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

describe('SpotMarket, calibrated to the published p3.2xlarge trace', () => {
  it('solves the sigmas so the capped means give the trace (79.3 % obtainable, 45 outages in 177 h)', () => {
    expect(DEFAULT_SPOT_MARKET.runSigma).toBeCloseTo(1.6, 1);
    expect(DEFAULT_SPOT_MARKET.outageSigma).toBeCloseTo(1.22, 1);
  });

  it('over 200 simulated weeks, matches the trace: share obtainable, outages per hour, medians and maxima', () => {
    const weeks = 200;
    const week = 168 * 3_600_000;
    const outages = [];
    let down = 0;
    for (let seed = 1; seed <= weeks; seed++) {
      const list = new SpotMarket(createRandom(seed), 0).outagesStartingIn(0, week);
      outages.push(...list);
      for (const { start, end } of list) down += Math.min(end, week) - start;
    }
    const minutes = outages.map(({ start, end }) => (end - start) / 60_000).sort((a, b) => a - b);
    expect(1 - down / (weeks * week)).toBeCloseTo(0.793, 1.5); // within 0.016
    expect(outages.length / (weeks * 168)).toBeCloseTo(45 / 177, 1.5);
    expect(minutes[Math.floor(minutes.length / 2)]).toBeGreaterThan(25.6 * 0.85);
    expect(minutes[Math.floor(minutes.length / 2)]).toBeLessThan(25.6 * 1.15);
    expect(minutes.at(-1)).toBeLessThanOrEqual(291.7);
  });

  it('outage intervals are ordered and disjoint, and the same seed gives the same ones', () => {
    const outages = new SpotMarket(createRandom(3), 0).outagesStartingIn(0, 10 * 86_400_000);
    for (let i = 1; i < outages.length; i++) expect(outages[i]!.start).toBeGreaterThanOrEqual(outages[i - 1]!.end);
    expect(new SpotMarket(createRandom(3), 0).outagesStartingIn(0, 10 * 86_400_000)).toEqual(outages);
  });

  it('consecutive seeds give unrelated markets', () => {
    const first = (seed: number) => new SpotMarket(createRandom(seed), 0).outagesStartingIn(0, 86_400_000 * 30)[0]!;
    const starts = [1, 2, 3, 4, 5].map((seed) => first(seed).start);
    expect(new Set(starts).size).toBe(5);
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
            spotMarket: fixedMarket(15, 10),
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
