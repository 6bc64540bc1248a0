/**
 * The pool-loss cover (issue 17, section 5; spot.poolLossReserve with spot.spreadSpotPools): after the loss of
 * any one spot pool, at least ceil(reserve x need) replicas stay; spare spot replicas over two or more pools,
 * the reserve on on-demand with one, everything on-demand with none; make-before-break.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Decision, PolicyInput } from '../../../core/index.ts';
import { T0, memoryWith, mlInput, nodes, type NodeSpec, type PoolSpec } from './ml-builders.ts';

const SPOT = ['spot-a', 'spot-b', 'spot-c'] as const;
type Layout = Record<string, number | undefined>;

/** Spot pools a, b, c and on-demand od, each with `ready` ready and `booting` pending replicas. */
const shown = (ready: Layout, booting: Layout = {}): PoolSpec[] =>
  [...SPOT, 'od'].map((id) => ({
    id,
    instanceType: 'g5.xlarge',
    capacityType: id === 'od' ? ('on-demand' as const) : ('spot' as const),
    nodes: [
      ...nodes(`${id}-r`, ready[id] ?? 0),
      ...nodes(`${id}-p`, booting[id] ?? 0, { state: 'pending' as NodeSpec['state'] }),
    ],
  }));

const policy = (need: number, reserve: number, spot: Record<string, unknown> = {}): PolicyInput => ({
  minCapacity: need,
  maxCapacity: 40,
  spot: { spreadSpotPools: true, poolLossReserve: reserve, ...spot },
});

/** Memory in which the layout was made for `need`, with an interruption of each `troubled` pool `ago` ms back. */
const memory = (need: number, troubled: readonly string[] = [], ago = 10 * 60_000) =>
  memoryWith({
    coverNeed: need,
    pools: Object.fromEntries(troubled.map((id) => [id, { interruptions: [T0 - ago] }])),
  });

const tick = { kind: 'schedule-tick' as const, observedAt: T0, source: 'test' };

function run(
  need: number,
  reserve: number,
  ready: Layout,
  options: { booting?: Layout; troubled?: string[]; spot?: Record<string, unknown> } = {},
) {
  return decide(
    mlInput({
      pools: shown(ready, options.booting),
      policy: policy(need, reserve, options.spot),
      memory: memory(need, options.troubled),
      signal: tick,
    }),
  );
}

/** The count each resized pool is set to. */
const resized = (decision: Decision): Layout =>
  Object.fromEntries(decision.actions.flatMap((a) => (a.type === 'set-capacity' ? [[a.poolId, a.to]] : [])));

describe('the pool-loss cover', () => {
  it.each([
    {
      label: 'a need of 1 over quiet pools: one spare spot replica in a second pool (SkyServe over-provisioning)',
      need: 1,
      reserve: 0.5,
      ready: { 'spot-a': 1 },
      troubled: ['spot-c'],
      want: { 'spot-b': 1 },
      reason: /need 1, any one spot pool lost leaves at least 1 \(1 spare spot\)/,
    },
    {
      label: 'a need of 8 over two quiet pools at 0.5: 4 + 4 already leave 4, nothing changes',
      need: 8,
      reserve: 0.5,
      ready: { 'spot-a': 4, 'spot-b': 4 },
      troubled: ['spot-c'],
      want: {},
      reason: null,
    },
    {
      label: 'reserve 1 (N+k): a need of 4 over three pools is 2 + 2 + 2',
      need: 4,
      reserve: 1,
      ready: { 'spot-a': 2, 'spot-b': 2 },
      troubled: [],
      want: { 'spot-c': 2 },
      reason: /any one spot pool lost leaves at least 4 \(2 spare spot\)/,
    },
    {
      label: 'one spot pool left: the reserve launched on-demand, the spot replicas kept until it is ready',
      need: 4,
      reserve: 0.5,
      ready: { 'spot-a': 4 },
      troubled: ['spot-b', 'spot-c'],
      want: { od: 2 },
      reason: /one spot pool usable: 2 on-demand so its loss leaves at least 2/,
    },
    {
      label: 'one spot pool left, the on-demand reserve ready: the spot pool gives back its share',
      need: 4,
      reserve: 0.5,
      ready: { 'spot-a': 4, od: 2 },
      troubled: ['spot-b', 'spot-c'],
      want: { 'spot-a': 2 },
      reason: /spot-a 2, spot-b 0, spot-c 0, od 2/,
    },
    {
      label: 'a pool back and quiet: spot grows there first; on-demand stays until it is ready',
      need: 4,
      reserve: 0.5,
      ready: { 'spot-a': 2, od: 2 },
      troubled: ['spot-c'],
      want: { 'spot-b': 2 },
      reason: /spot-a 2, spot-b 2, spot-c 0, od 0/,
    },
    {
      label: '...and once the spot replicas there are ready, on-demand is released',
      need: 4,
      reserve: 0.5,
      ready: { 'spot-a': 2, 'spot-b': 2, od: 2 },
      troubled: ['spot-c'],
      want: { od: 0 },
      reason: /spot-a 2, spot-b 2, spot-c 0, od 0/,
    },
    {
      label: 'one spot pool left, spot.onePoolOnDemandShare 0.25: ceil(0.25 x 4) = 1 on-demand',
      need: 4,
      reserve: 0.5,
      ready: { 'spot-a': 4 },
      troubled: ['spot-b', 'spot-c'],
      spot: { onePoolOnDemandShare: 0.25 },
      want: { od: 1 },
      reason: /one spot pool usable: 1 on-demand/,
    },
    {
      label: 'one spot pool left, spot.onePoolOnDemandShare 0: no on-demand, the fleet stays in the one pool',
      need: 4,
      reserve: 0.5,
      ready: { 'spot-a': 4 },
      troubled: ['spot-b', 'spot-c'],
      spot: { onePoolOnDemandShare: 0 },
      want: {},
      reason: null,
    },
    {
      label: 'no spot pool can take replicas and none holds any: everything on-demand',
      need: 3,
      reserve: 0.5,
      ready: {},
      troubled: ['spot-a', 'spot-b', 'spot-c'],
      want: { od: 3 },
      reason: /no spot pool usable: on-demand/,
    },
  ] as Array<{
    label: string;
    need: number;
    reserve: number;
    ready: Layout;
    troubled: string[];
    spot?: Record<string, unknown>;
    want: Layout;
    reason: RegExp | null;
  }>)('$label', ({ need, reserve, ready, troubled, spot, want, reason }) => {
    const decision = run(need, reserve, ready, { troubled, ...(spot ? { spot } : {}) });
    expect(resized(decision)).toEqual(want);
    if (reason) expect(decision.reasons.join('\n')).toMatch(reason);
    expect(decision.memory.ml.coverNeed).toBe(need);
  });

  it('holds the release of ready replicas while the replicas taking their place boot, and says so', () => {
    const decision = run(4, 0.5, { 'spot-a': 2, od: 2 }, { booting: { 'spot-b': 2 }, troubled: ['spot-c'] });
    expect(decision.actions).toEqual([]);
    expect(decision.holds.map((h) => h.reason).join('\n')).toMatch(/release of ready replicas held \(od 2\)/);
  });

  it('counts its spare replicas out of the capacity the scaling pipeline sizes', () => {
    // 1 + 1 for a need of 1 at a load a single replica carries: no scale-in of the spare.
    const input = mlInput({
      pools: shown({ 'spot-a': 1, 'spot-b': 1 }),
      policy: {
        ...policy(1, 0.5),
        targetTracking: [{ metric: 'load', targetValue: 10, windowSeconds: 0 }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
      },
      memory: memory(1, ['spot-c']),
      signal: { kind: 'metric', metric: 'load', value: 2, observedAt: T0, source: 'test' },
    });
    const decision = decide(input);
    expect(decision.actions).toEqual([]);
    expect(decision.currentCapacity).toBe(1);
  });

  it.each([
    { need: 9, reserve: 0.5, ready: { 'spot-a': 5, 'spot-b': 4 }, left: 4, asks: 5 },
    { need: 8, reserve: 1, ready: { 'spot-a': 4, 'spot-b': 4 }, left: 4, asks: 8 },
  ])(
    'stays within maxCapacity when the cover would pass it (need $need = max, reserve $reserve), and says so',
    ({ need, reserve, ready, left, asks }) => {
      const decision = decide(
        mlInput({
          pools: shown(ready),
          policy: { ...policy(need, reserve), maxCapacity: need },
          memory: memory(need, ['spot-c']),
          signal: tick,
        }),
      );
      const layout = { ...ready, ...resized(decision) };
      const total = Object.values(layout).reduce((a: number, b) => a + (b ?? 0), 0);
      expect(total).toBeLessThanOrEqual(need);
      expect(decision.reasons.join('\n')).toMatch(
        new RegExp(`maxCapacity ${need}: any one spot pool lost leaves ${left} of the ${asks} the reserve asks`),
      );
    },
  );

  it("stays within an active plan's ceiling too (the spare is above the need, the ceiling a promise)", () => {
    const decision = decide(
      mlInput({
        pools: shown({ 'spot-a': 1 }),
        policy: {
          ...policy(1, 0.5),
          schedules: [
            {
              name: 'night',
              start: '0 * * * *',
              durationMinutes: 120,
              timezone: 'UTC',
              minCapacity: 1,
              maxCapacity: 1,
            },
          ],
        },
        memory: memory(1, ['spot-c']),
        signal: tick,
      }),
    );
    expect(resized(decision)).toEqual({});
    expect(decision.reasons.join('\n')).toMatch(/ceiling 1: any one spot pool lost leaves 0 of the 1 the reserve asks/);
  });

  it('is off at reserve 0 (the spread alone) and then keeps no cover need in memory', () => {
    const decision = run(1, 0, { 'spot-a': 1 }, { troubled: ['spot-c'] });
    expect(decision.actions).toEqual([]);
    expect(decision.memory.ml.coverNeed).toBeUndefined();
  });

  it('after a capacity error, stops asking the pool and moves nothing (the next layout places it)', () => {
    const decision = decide(
      mlInput({
        pools: shown({ 'spot-a': 1 }, {}).map((p) => (p.id === 'spot-b' ? { ...p, desired: 1 } : p)),
        policy: policy(1, 0.5),
        memory: memory(1),
        signal: {
          kind: 'capacity-error',
          poolId: 'spot-b',
          instanceType: 'g5.xlarge',
          capacityType: 'spot',
          code: 'InsufficientInstanceCapacity',
          observedAt: T0,
          source: 'test',
        },
      }),
    );
    expect(decision.actions).toEqual([expect.objectContaining({ type: 'set-capacity', poolId: 'spot-b', to: 0 })]);
  });
});

describe('the pool-loss cover, as a property', () => {
  /** Replays decisions, every launched replica booting at once, until the layout stops changing. */
  function settle(need: number, reserve: number, start: Layout, troubled: string[]) {
    let ready = { ...start };
    const steps: Array<{ readyBefore: number; readyAfter: number }> = [];
    for (let i = 0; i < 6; i++) {
      const decision = run(need, reserve, ready, { troubled });
      const to = resized(decision);
      if (Object.keys(to).length === 0) return { ready, steps, settled: true };
      // Releases take effect now: the ready count right after the decision, before anything boots.
      let readyAfter = 0;
      for (const id of [...SPOT, 'od']) readyAfter += Math.min(ready[id] ?? 0, to[id] ?? ready[id] ?? 0);
      let readyBefore = 0;
      for (const id of [...SPOT, 'od']) readyBefore += ready[id] ?? 0;
      steps.push({ readyBefore, readyAfter });
      ready = { ...ready, ...to };
    }
    return { ready, steps, settled: false };
  }

  const arbitrary = fc.record({
    need: fc.integer({ min: 1, max: 12 }),
    reserve: fc.constantFrom(0.25, 0.5, 0.75, 1),
    start: fc.record({
      'spot-a': fc.integer({ min: 0, max: 12 }),
      'spot-b': fc.integer({ min: 0, max: 12 }),
      'spot-c': fc.integer({ min: 0, max: 12 }),
      od: fc.integer({ min: 0, max: 6 }),
    }),
    troubled: fc.subarray([...SPOT]),
  });

  it('once settled, losing any one spot pool leaves at least ceil(reserve x need), and the need is met', () => {
    fc.assert(
      fc.property(arbitrary, ({ need, reserve, start, troubled }) => {
        const { ready, settled } = settle(need, reserve, start, troubled);
        expect(settled).toBe(true);
        const total = Object.values(ready).reduce((a: number, b) => a + (b ?? 0), 0);
        expect(total).toBeGreaterThanOrEqual(need);
        for (const id of SPOT)
          expect(total - (ready[id] ?? 0)).toBeGreaterThanOrEqual(Math.ceil(reserve * need - 1e-9));
      }),
      { numRuns: 150 },
    );
  });

  it('never releases ready replicas below the need while it moves them (make-before-break)', () => {
    fc.assert(
      fc.property(arbitrary, ({ need, reserve, start, troubled }) => {
        for (const step of settle(need, reserve, start, troubled).steps)
          expect(step.readyAfter).toBeGreaterThanOrEqual(Math.min(need, step.readyBefore));
      }),
      { numRuns: 150 },
    );
  });

  it('would catch a layout that gathers the fleet in one pool (the property is not vacuous)', () => {
    // Reserve 0 turns the cover off: the spread alone leaves a lone replica's pool as a single point of loss.
    const { ready } = settle(1, 0, { 'spot-a': 1 }, []);
    const total = Object.values(ready).reduce((a: number, b) => a + (b ?? 0), 0);
    expect(total - (ready['spot-a'] ?? 0)).toBeLessThan(1);
  });
});
