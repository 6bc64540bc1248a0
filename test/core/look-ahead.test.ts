/**
 * The look-ahead rule (core/strategies/look-ahead.ts): a scale-out buys for the demand one horizon ahead, on
 * the least-squares trend of the tracked metric's demand, and for a plan opening within the horizon; with
 * `keepThroughLull`, a scale-in goes no lower than the highest demand of the horizon; with `keepAboveNoise`,
 * no lower than that peak less z standard deviations of the demand points' own noise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { emptyMemory, type Memory, type PolicyInput } from '../../core/index.ts';
import {
  demandNoise,
  fitTrend,
  keepThroughLull,
  MAX_DEMAND_POINTS,
  MIN_NOISE_POINTS,
  recordDemand,
} from '../../core/strategies/look-ahead.ts';
import { input, metric, sec, T0 } from './builders.ts';

const M = 'offered_per_replica';

function lookAheadPolicy(lookAhead: PolicyInput['lookAhead'] = {}, extra: PolicyInput = {}): PolicyInput {
  return {
    minCapacity: 1,
    maxCapacity: 40,
    targetTracking: [{ metric: M, targetValue: 5, windowSeconds: 60, scaleOutTolerance: 0 }],
    burst: { enabled: false },
    lookAhead: { enabled: true, horizonSeconds: 600, trendWindowSeconds: 300, ...lookAhead },
    ...extra,
  };
}

/**
 * A memory as if 4 ready replicas had reported a per-replica value every 10 s for 290 s, `value(k)` for the
 * k-th datapoint, and the look-ahead had recorded each one's demand (4 × value ÷ 5 replicas).
 */
function memoryOf(value: (k: number) => number, count = 29): Memory {
  const memory = emptyMemory();
  const samples: [number, number][] = [];
  const demand: [number, number][] = [];
  for (let k = 0; k < count; k++) {
    samples.push([T0 + sec(10 * k), value(k)]);
    demand.push([T0 + sec(10 * k), (4 * value(k)) / 5]);
  }
  // Target tracking keeps 300 s of samples at most (the staleness bound); its window reads the last 60 s.
  memory.samples = { [M]: samples };
  memory.demand = demand;
  memory.lastDecisionAt = T0 + sec(10 * (count - 1));
  return memory;
}

function decideAt(value: (k: number) => number, policy: PolicyInput, k = 29) {
  return decide(
    input({
      now: T0 + sec(10 * k),
      signal: metric(M, value(k), T0 + sec(10 * k)),
      policy,
      desired: 4,
      ready: 4,
      memory: memoryOf(value, k),
    }),
  );
}

describe('fitTrend: the least-squares line through the demand points', () => {
  it('a line y = 2 + 0.01 t is found exactly: its value now and its slope per second', () => {
    const points: [number, number][] = [0, 10, 20, 30].map((s) => [T0 + sec(s), 2 + 0.01 * s]);
    const trend = fitTrend(points, T0 + sec(30))!;
    expect(trend.level).toBeCloseTo(2.3, 9);
    expect(trend.slopePerSecond).toBeCloseTo(0.01, 9);
  });

  it('fits only the points from `since` on: an old spike before it does not bend the line', () => {
    const points: [number, number][] = [[T0, 50], ...[100, 110, 120].map((s): [number, number] => [T0 + sec(s), 2])];
    expect(fitTrend(points, T0 + sec(120), T0 + sec(100))).toEqual({ level: 2, slopePerSecond: 0 });
    expect(fitTrend(points, T0 + sec(120))!.slopePerSecond).toBeLessThan(0);
    expect(fitTrend(points, T0 + sec(120), T0 + sec(110))).toBeUndefined();
  });

  it('fewer than 3 points give no trend; equal times a flat one at their mean', () => {
    expect(
      fitTrend(
        [
          [T0, 1],
          [T0 + sec(10), 2],
        ],
        T0 + sec(10),
      ),
    ).toBeUndefined();
    expect(
      fitTrend(
        [
          [T0, 1],
          [T0, 2],
          [T0, 3],
        ],
        T0,
      ),
    ).toEqual({ level: 2, slopePerSecond: 0 });
  });
});

describe('recordDemand: one point per datapoint, inside the trend window, bounded', () => {
  it('drops points older than the window and adds a datapoint once', () => {
    const history: [number, number][] = [
      [T0, 1],
      [T0 + sec(100), 2],
    ];
    const next = recordDemand(history, { at: T0 + sec(200), replicas: 3 }, T0 + sec(200), sec(150));
    expect(next).toEqual([
      [T0 + sec(100), 2],
      [T0 + sec(200), 3],
    ]);
    // The same datapoint again (a schedule tick decided on it): not added twice.
    expect(recordDemand(next, { at: T0 + sec(200), replicas: 3 }, T0 + sec(205), sec(150))).toBe(next);
  });

  it(`keeps at most ${MAX_DEMAND_POINTS} points`, () => {
    let history: [number, number][] = [];
    for (let k = 0; k < MAX_DEMAND_POINTS + 50; k++)
      history = recordDemand(history, { at: T0 + k, replicas: k }, T0 + k, sec(3600));
    expect(history).toHaveLength(MAX_DEMAND_POINTS);
    expect(history.at(-1)).toEqual([T0 + MAX_DEMAND_POINTS + 49, MAX_DEMAND_POINTS + 49]);
  });
});

describe('look-ahead in decide', () => {
  // Demand rises 0.04 replicas per datapoint (0.004 per second): 4 + 0.04 k replicas at 4 ready.
  const rising = (k: number) => 5 + 0.05 * k;

  it('a scale-out on a rising trend buys for the demand a horizon ahead: 5.16 now + 0.004/s × 600 s = 7.56, so 8', () => {
    const decision = decideAt(rising, lookAheadPolicy());
    // Target tracking alone: the last 60 s average 6.325 per replica, ceil(4 × 6.325 ÷ 5) = 6.
    expect(decision.desiredCapacity).toBe(8);
    const reason = decision.reasons.find((r) => r.startsWith('look-ahead'))!;
    expect(reason).toContain('600 s');
    expect(reason).toContain(': 8, not 6');
  });

  it('switched off, the same inputs give target tracking alone, and the demand history is not kept', () => {
    const decision = decideAt(rising, lookAheadPolicy({ enabled: false }));
    expect(decision.desiredCapacity).toBe(6);
    expect(decision.memory.demand).toBeUndefined();
    expect(decision.reasons.some((r) => r.startsWith('look-ahead'))).toBe(false);
  });

  it('without a horizon it does nothing; with none set, replicaBootSeconds is the horizon', () => {
    expect(decideAt(rising, lookAheadPolicy({ horizonSeconds: null })).desiredCapacity).toBe(6);
    expect(
      decideAt(rising, lookAheadPolicy({ horizonSeconds: null }, { replicaBootSeconds: 600 })).desiredCapacity,
    ).toBe(8);
  });

  it('never asks for more than maxGrowthRatio × the demand now', () => {
    // 5.16 now, capped at 1.2 × 5.16 = 6.19: 7.
    expect(decideAt(rising, lookAheadPolicy({ maxGrowthRatio: 1.2 })).desiredCapacity).toBe(7);
  });

  it('a flat or falling trend adds nothing to a scale-out', () => {
    // Demand jumps from 4 to 6 replicas in the last minute after 230 s flat: the line through it is low.
    const jump = (k: number) => (k >= 23 ? 7.5 : 5);
    const decision = decideAt(jump, lookAheadPolicy());
    // Target tracking: ceil(4 × 7.5 ÷ 5) = 6; the 300-s line is rising, so look-ahead may only add.
    expect(decision.desiredCapacity).toBeGreaterThanOrEqual(6);
    const falling = (k: number) => 9 - 0.1 * k;
    // The last 60 s average 6.55 per replica: ceil(4 × 6.55 ÷ 5) = 6; the line falls: nothing added.
    const down = decideAt(falling, lookAheadPolicy());
    expect(down.desiredCapacity).toBe(6);
    expect(down.reasons.some((r) => r.startsWith('look-ahead'))).toBe(false);
  });

  it('only sizes a scale-out the other rules asked for: a rising trend at target starts none', () => {
    // On target now (5 per replica: no change), rising from 3: nothing is bought on the forecast alone.
    const toTarget = (k: number) => Math.min(5, 3 + 0.1 * k);
    const decision = decideAt(toTarget, lookAheadPolicy());
    expect(decision.desiredCapacity).toBe(4);
    expect(decision.memory.demand!.length).toBeGreaterThan(0);
  });

  it('a scale-out within the horizon of a plan goes to its floor now: the endpoint would refuse the plan later', () => {
    // A plan opens at 14:10 UTC daily with a floor of 12; it is 14:00:50, 550 s before it, horizon 600 s.
    const plan = { name: 'open', start: '10 14 * * *', durationMinutes: 30, minCapacity: 12 };
    // 7.5 per replica at 4 ready: target tracking asks for ceil(4 × 1.5) = 6, a scale-out.
    const near = decideAt(() => 7.5, lookAheadPolicy({}, { schedules: [plan] }), 5);
    expect(near.desiredCapacity).toBe(12);
    expect(near.reasons.find((r) => r.startsWith('look-ahead'))).toContain('plan open at 12');
    // Without a scale-out, nothing is bought early: the plan's own pre-warm does it.
    const quiet = decideAt(() => 5, lookAheadPolicy({}, { schedules: [plan] }), 5);
    expect(quiet.desiredCapacity).toBe(4);
  });
});

describe('keepThroughLull: a scale-in goes no lower than the highest demand of the horizon', () => {
  // Demand points (unrounded replicas at target) at seconds before now; now = T0 + 1000 s.
  const now = T0 + sec(1000);
  const history = (points: [number, number][]): [number, number][] =>
    points.map(([ago, replicas]) => [now - sec(ago), replicas]);
  it.each([
    {
      label: 'a 4.3 four minutes ago holds 6 → 3 at 5',
      points: [
        [240, 4.3],
        [10, 2],
      ],
      current: 6,
      desired: 3,
      floor: 5,
    },
    {
      label: 'the peak is older than the 525-s horizon: no hold',
      points: [
        [600, 9],
        [10, 2],
      ],
      current: 6,
      desired: 3,
      floor: undefined,
    },
    {
      label: 'a peak above the current count holds at the current count',
      points: [[100, 7.2]],
      current: 6,
      desired: 3,
      floor: 6,
    },
    {
      label: 'a peak that rounds to the scale-in target: no hold',
      points: [[100, 2.5]],
      current: 6,
      desired: 3,
      floor: undefined,
    },
    {
      label: 'a whole number is not rounded up by float noise',
      points: [[100, 0.1 * 3 * 10 + 1]],
      current: 6,
      desired: 3,
      floor: 4,
    },
    { label: 'the point at exactly the horizon counts', points: [[525, 4.5]], current: 6, desired: 2, floor: 5 },
  ] as { label: string; points: [number, number][]; current: number; desired: number; floor: number | undefined }[])(
    '$label',
    ({ points, current, desired, floor }) => {
      const outcome = keepThroughLull(history(points), now, 525, current, desired);
      expect(outcome?.floor).toBe(floor);
      if (outcome) {
        expect(outcome.keep).toBe(true);
        expect(outcome.reason).toContain(`scale-in held at ${floor}, not ${desired}`);
        expect(outcome.reason).toContain('keep through a lull shorter than the 525 s horizon');
      }
    },
  );

  it('property: the floor is above the scale-in target, at most the current count, and covers every point of the horizon', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1200 }), fc.double({ min: 0, max: 50, noNaN: true })), {
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 0, max: 1200 }),
        (points, current, below, horizon) => {
          const desired = Math.min(below, current - 1);
          const demand = history(points.sort((a, b) => b[0] - a[0]));
          const outcome = keepThroughLull(demand, now, horizon, current, desired);
          const inHorizon = points.filter(([ago]) => ago <= horizon).map(([, replicas]) => replicas);
          const needed = Math.min(current, Math.ceil(Math.max(0, ...inHorizon) - 1e-9));
          if (needed <= desired) return outcome === undefined;
          return (
            outcome !== undefined && outcome.floor === needed && outcome.floor! > desired && outcome.floor! <= current
          );
        },
      ),
    );
  });
});

describe('keepThroughLull in decide', () => {
  // 4 ready; 2 per replica (1.6 replicas at target 5) but one datapoint at 3.4 (2.72 replicas) 190 s ago.
  const lull = (k: number) => (k === 10 ? 3.4 : 2);

  it('holds a scale-in at the peak of the horizon, with a reason, as a stabilization hold', () => {
    const off = decideAt(lull, lookAheadPolicy());
    // Target tracking: ceil(4 × 2 ÷ 5) = 2.
    expect(off.desiredCapacity).toBe(2);
    const on = decideAt(lull, lookAheadPolicy({ keepThroughLull: true }));
    expect(on.desiredCapacity).toBe(3);
    const held = on.holds.find((h) => h.reason.includes('keep through a lull'))!;
    expect(held.rule).toBe('stabilization');
    expect(held.reason).toContain('scale-in held at 3, not 2: 2.72 replicas asked for 190 s ago');
  });

  it('keeps the demand history for the horizon (600 s) when it is longer than the trend window (300 s)', () => {
    const flat = () => 2;
    const on = decideAt(flat, lookAheadPolicy({ keepThroughLull: true }), 50);
    const off = decideAt(flat, lookAheadPolicy(), 50);
    expect(on.memory.demand![0]![0]).toBe(T0);
    expect(off.memory.demand![0]![0]).toBe(T0 + sec(200));
  });

  it('does not change a scale-out: the trend is still fitted over the trend window alone', () => {
    const rising = (k: number) => 5 + 0.05 * k;
    expect(decideAt(rising, lookAheadPolicy({ keepThroughLull: true }), 49).desiredCapacity).toBe(
      decideAt(rising, lookAheadPolicy(), 49).desiredCapacity,
    );
  });

  it('with nothing ready there is no demand to keep for: capacity that never became ready is still released', () => {
    // No demand now (the metric reads 0), but the history remembers 3.2 replicas' worth from before.
    const memory = memoryOf(() => 0);
    memory.demand = memory.demand!.map(([at]) => [at, 3.2]);
    const at = (keepThroughLull: boolean) =>
      decide(
        input({
          now: T0 + sec(290),
          signal: metric(M, 0, T0 + sec(290)),
          policy: lookAheadPolicy({ keepThroughLull }, { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }),
          desired: 4,
          ready: 0,
          memory,
        }),
      );
    const on = at(true);
    // Released to the policy's minimum (1), as without the rule; nothing held for the remembered demand.
    expect(on.desiredCapacity).toBe(1);
    expect(at(false).desiredCapacity).toBe(1);
    expect(on.reasons.some((r) => r.includes('keep through a lull'))).toBe(false);
  });
});

describe('demandNoise: the spread of one demand point, from the median of its first differences', () => {
  const series = (values: number[]): [number, number][] => values.map((v, i) => [T0 + sec(10 * i), v]);

  it.each([
    // Neighbours differ by 1: σ = 1.4826 × 1 ÷ √2.
    { label: 'points that jitter 4, 5, 4, 5 … by 1', values: [4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5], noise: 1.0484 },
    { label: 'a flat load has no noise', values: Array(12).fill(3), noise: 0 },
    // One difference of 4 among 19: the median is 0. The level's own move is not noise.
    { label: 'a level shift is not noise', values: [...Array(10).fill(4), ...Array(10).fill(8)], noise: 0 },
    // A ramp of 0.1 a point: every difference is 0.1, the ramp's own (small) step, not its height.
    { label: 'a ramp counts only its step', values: Array.from({ length: 20 }, (_, i) => 2 + 0.1 * i), noise: 0.1048 },
    // Two large differences (into and out of the spike) among 13: the median is still 1.
    {
      label: 'a spike does not move it',
      values: [4, 5, 4, 5, 4, 5, 14, 5, 4, 5, 4, 5, 4, 5],
      noise: 1.0484,
    },
  ])('$label', ({ values, noise }) => {
    expect(demandNoise(series(values))).toBeCloseTo(noise, 3);
  });

  it(`is not estimated from fewer than ${MIN_NOISE_POINTS} points`, () => {
    expect(demandNoise(series([4, 5, 4, 5, 4, 5, 4, 5, 4]))).toBeUndefined();
    expect(demandNoise(series([4, 5, 4, 5, 4, 5, 4, 5, 4, 5]))).toBeCloseTo(1.0484, 3);
  });

  it('property: independent of the level and of the order of time (its estimate is of differences)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { minLength: MIN_NOISE_POINTS, maxLength: 60 }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (values, shift) => {
          const noise = demandNoise(series(values))!;
          const shifted = demandNoise(series(values.map((v) => v + shift)))!;
          const reversed = demandNoise(series([...values].reverse()))!;
          return noise >= 0 && Math.abs(noise - shifted) < 1e-6 && Math.abs(noise - reversed) < 1e-9;
        },
      ),
    );
  });
});

describe('keepThroughLull with keepAboveNoise: the peak less z standard deviations of noise', () => {
  const now = T0 + sec(1000);
  // 60 points, one every 10 s, jittering by ±0.15 around 2 (σ = 1.4826 × 0.3 ÷ √2 = 0.31), and a spike.
  const jitter = (spike: number, spikeAgo = 240): [number, number][] =>
    Array.from({ length: 60 }, (_, i) => {
      const ago = 590 - 10 * i;
      return [now - sec(ago), ago === spikeAgo ? spike : i % 2 === 0 ? 1.85 : 2.15];
    });

  it('worked example: a spike to 4.3 in noise of σ 0.31 keeps 4.3 − 2 × 0.31 = 3.67: the scale-in stops at 4, not 5', () => {
    const raw = keepThroughLull(jitter(4.3), now, 525, 6, 2);
    expect(raw?.floor).toBe(5);
    const stripped = keepThroughLull(jitter(4.3), now, 525, 6, 2, 2);
    expect(stripped?.floor).toBe(4);
    expect(stripped?.keep).toBe(true);
    expect(stripped?.reason).toContain(
      'scale-in held at 4, not 2: 4.3 replicas asked for 240 s ago, less 2 × 0.31 of noise: 3.67',
    );
    expect(stripped?.reason).toContain('keep through a lull shorter than the 525 s horizon');
  });

  it('the envelope of noise alone is not kept: the raw keep holds 3 for a peak of 2.15, z = 2 lets it go to 2', () => {
    expect(keepThroughLull(jitter(2.15), now, 525, 4, 2)?.floor).toBe(3);
    expect(keepThroughLull(jitter(2.15), now, 525, 4, 2, 2)).toBeUndefined();
  });

  it('z = 0 is the raw keep; with too few points to measure the noise, the raw peak is kept and the reason says so', () => {
    expect(keepThroughLull(jitter(4.3), now, 525, 6, 2, 0)?.floor).toBe(
      keepThroughLull(jitter(4.3), now, 525, 6, 2)?.floor,
    );
    const few = jitter(4.3, 50).slice(-(MIN_NOISE_POINTS - 1));
    const outcome = keepThroughLull(few, now, 525, 6, 2, 2);
    expect(outcome?.floor).toBe(5);
    expect(outcome?.reason).toContain('too few points to measure their noise: the raw peak');
  });

  it('property: a larger z never keeps more, and the floor stays within (desired, current]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 39 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (values, current, below, z1, z2) => {
          const desired = Math.min(below, current - 1);
          const demand: [number, number][] = values.map((v, i) => [now - sec(10 * (values.length - 1 - i)), v]);
          const floorAt = (z: number | null) =>
            keepThroughLull(demand, now, 525, current, desired, z)?.floor ?? desired;
          const [lo, hi] = z1 <= z2 ? [z1, z2] : [z2, z1];
          const floors = [floorAt(null), floorAt(lo), floorAt(hi)];
          return (
            floors[0]! >= floors[1]! &&
            floors[1]! >= floors[2]! &&
            floors.every((f) => f === desired || (f > desired && f <= current))
          );
        },
      ),
    );
  });

  it('in decide: the policy switch reaches the rule, and the reason names the noise stripped', () => {
    // 4 ready; 2 or 2.5 per replica (1.6 or 2 replicas at target 5) alternating, and one 4.5 (3.6) 190 s ago.
    const noisy = (k: number) => (k === 10 ? 4.5 : k % 2 === 0 ? 2 : 2.5);
    const raw = decideAt(noisy, lookAheadPolicy({ keepThroughLull: true }));
    expect(raw.desiredCapacity).toBe(4);
    const stripped = decideAt(noisy, lookAheadPolicy({ keepThroughLull: true, keepAboveNoise: 2 }));
    // σ = 1.4826 × 0.4 ÷ √2 = 0.42; 3.6 − 0.84 = 2.76: held at 3, not target tracking's ceil(4 × 2.5 ÷ 5) = 2.
    expect(stripped.desiredCapacity).toBe(3);
    const held = stripped.holds.find((h) => h.reason.includes('keep through a lull'))!;
    expect(held.rule).toBe('stabilization');
    expect(held.reason).toContain('3.6 replicas asked for 190 s ago, less 2 × 0.42 of noise: 2.76');
  });

  it('without keepThroughLull, keepAboveNoise does nothing', () => {
    const noisy = (k: number) => (k === 10 ? 4.5 : k % 2 === 0 ? 2 : 2.5);
    expect(decideAt(noisy, lookAheadPolicy({ keepAboveNoise: 2 })).desiredCapacity).toBe(
      decideAt(noisy, lookAheadPolicy()).desiredCapacity,
    );
  });
});
