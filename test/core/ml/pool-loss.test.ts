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
    expect(decision.holds.map((h) => h.reason).join('\n')).toMatch(/release held \(od 2: 2 ready\) until/);
  });

  it('names a held replica that is still booting as booting, not ready', () => {
    // od: 1 ready and 1 booting above the layout; the booting one is kept (it arrives sooner than a new one).
    const decision = run(4, 0.5, { 'spot-a': 2, od: 1 }, { booting: { od: 1, 'spot-b': 1 }, troubled: ['spot-c'] });
    expect(resized(decision)).toEqual({ 'spot-b': 2 });
    expect(decision.holds.map((h) => h.reason).join('\n')).toMatch(/release held \(od 2: 1 ready, 1 booting\)/);
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

/** A decision for pools spot-a, spot-b, spot-c and od with bounds: spot-c troubled, the layout made for `need`. */
function bounded(
  need: number,
  ready: Layout,
  options: { booting?: Layout; maxCapacity?: number; capUsdPerHour?: number | null; planCeiling?: number } = {},
) {
  return decide(
    mlInput({
      pools: shown(ready, options.booting),
      policy: {
        ...policy(need, 0.5),
        maxCapacity: options.maxCapacity ?? 40,
        spendCaps: { targetUsdPerHour: options.capUsdPerHour ?? null },
        ...(options.planCeiling === undefined
          ? {}
          : {
              schedules: [
                {
                  name: 'ceiling',
                  start: '0 * * * *',
                  durationMinutes: 120,
                  timezone: 'UTC',
                  minCapacity: 1,
                  maxCapacity: options.planCeiling,
                },
              ],
            }),
      },
      memory: memory(need, ['spot-c']),
      signal: tick,
    }),
  );
}

describe('the pool-loss cover within its bounds on the way (spend cap, maxCapacity, a plan)', () => {
  // g5.xlarge: spot $0.42/h, on-demand $1.01/h. 2 spot + 2 on-demand = $2.86/h; 4 spot = $1.69/h.
  it.each([
    {
      label:
        'cap $3/h, 2 spot + 2 on-demand: one more spot replica ($3.28/h) does not fit, releasing first dips below the need: hold, say why',
      need: 4,
      ready: { 'spot-a': 2, od: 2 },
      options: { capUsdPerHour: 3 },
      want: {},
      hold: /pool-loss cover: 2 of the layout's replicas wait for the spend cap \(target spend cap \$3\.00\/h\): one more would take the estimated spend to \$3\.28\/h, above \$3\.00\/h, while the replicas it replaces are kept; releases held \(od 2: 2 ready\) so the ready replicas \(4\) do not fall below the need 4/,
    },
    {
      label: 'cap $3.30/h: one spot replacement at a time',
      need: 4,
      ready: { 'spot-a': 2, od: 2 },
      options: { capUsdPerHour: 3.3 },
      want: { 'spot-b': 1 },
      hold: /1 of the layout's replicas wait for the spend cap .*: 1 launched now, one more would take the estimated spend to \$3\.70\/h/,
    },
    {
      label: 'cap $3.30/h, the first replacement ready: one on-demand goes and the second replacement boots',
      need: 4,
      ready: { 'spot-a': 2, 'spot-b': 1, od: 2 },
      options: { capUsdPerHour: 3.3 },
      want: { 'spot-b': 2, od: 1 },
      hold: /pool-loss cover: release held \(od 1: 1 ready\) until the replicas taking their place are ready/,
    },
    {
      label:
        'a spare above the need: the dearer replica goes first to make room under the cap (the reserve dips, the need holds)',
      need: 1,
      ready: { 'spot-a': 1, od: 1 },
      options: { capUsdPerHour: 1.2 },
      want: { 'spot-b': 1, od: 0 },
      hold: null,
    },
    {
      label: 'need = maxCapacity 4: no replacement boots beside the replicas it replaces; hold, say why',
      need: 4,
      ready: { 'spot-a': 2, od: 2 },
      options: { maxCapacity: 4 },
      want: {},
      hold: /pool-loss cover: 2 of the layout's replicas not launched: maxCapacity 4 allows 4 in all \(ready or booting\), and 4 are kept until the replicas taking their place are ready; releases held \(od 2: 2 ready\) so the ready replicas \(4\) do not fall below the need 4; the move waits until the need is below the ceiling/,
    },
    {
      label: 'maxCapacity 5, need 4: one replacement at a time within it',
      need: 4,
      ready: { 'spot-a': 2, od: 2 },
      options: { maxCapacity: 5 },
      want: { 'spot-b': 1 },
      hold: /1 of the layout's replicas not launched: maxCapacity 5 allows 5/,
    },
    {
      label: "an active plan's ceiling of 4 (maxCapacity 40): the same hold, naming the plan",
      need: 4,
      ready: { 'spot-a': 2, od: 2 },
      options: { planCeiling: 4 },
      want: {},
      hold: /not launched: the plans' ceiling 4 allows 4 in all/,
    },
  ] as Array<{
    label: string;
    need: number;
    ready: Layout;
    options: Parameters<typeof bounded>[2];
    want: Layout;
    hold: RegExp | null;
  }>)('$label', ({ need, ready, options, want, hold }) => {
    const decision = bounded(need, ready, options);
    expect(resized(decision)).toEqual(want);
    const holds = decision.holds.map((h) => h.reason).join('\n');
    if (hold) expect(holds).toMatch(hold);
    else expect(holds).not.toMatch(/pool-loss cover/);
    // Nothing the cover asked was cut afterwards by the spend caps' own clip.
    expect(holds).not.toMatch(/^pool spot-/m);
  });
});

/** One spot replica's price and one on-demand's (g5.xlarge), from the estimates `decide` reports. */
function prices() {
  const at = (ready: Layout) => bounded(1, ready).cost?.beforeUsdPerHour ?? Number.NaN;
  return { spot: at({ 'spot-a': 1 }), onDemand: at({ od: 1 }) };
}

type Fleet = { ready: Layout; booting: Layout };
const IDS = [...SPOT, 'od'] as const;
const sum = (layout: Layout) => IDS.reduce((a, id) => a + (layout[id] ?? 0), 0);

/**
 * One decision applied to `fleet`: a shrink takes booting replicas first, then ready ones; growth boots. Returns
 * the fleet right after the decision (before anything boots) and the fleet a boot later (everything booting ready).
 */
function step(fleet: Fleet, decision: Decision): { now: Fleet; next: Fleet } {
  const to = resized(decision);
  const ready = { ...fleet.ready };
  const booting = { ...fleet.booting };
  for (const id of IDS) {
    const want = to[id];
    if (want === undefined) continue;
    let have = (ready[id] ?? 0) + (booting[id] ?? 0);
    if (want > have) booting[id] = (booting[id] ?? 0) + want - have;
    for (; have > want; have--) {
      if ((booting[id] ?? 0) > 0) booting[id] = (booting[id] ?? 0) - 1;
      else ready[id] = (ready[id] ?? 0) - 1;
    }
  }
  const now = { ready, booting };
  const next = { ready: Object.fromEntries(IDS.map((id) => [id, (ready[id] ?? 0) + (booting[id] ?? 0)])), booting: {} };
  return { now, next };
}

describe('the pool-loss cover within its bounds, as a property', () => {
  const bound = fc
    .record({
      need: fc.integer({ min: 1, max: 8 }),
      headroom: fc.integer({ min: 0, max: 3 }),
      planned: fc.boolean(),
      start: fc.record({
        'spot-a': fc.integer({ min: 0, max: 8 }),
        'spot-b': fc.integer({ min: 0, max: 8 }),
        od: fc.integer({ min: 0, max: 8 }),
      }),
    })
    .filter(({ need, headroom, start }) => sum(start) >= need && sum(start) <= need + headroom);

  it('(a) never takes the total (ready + booting) above maxCapacity or a plan ceiling, and (c) never lets ready fall below the need', () => {
    fc.assert(
      fc.property(bound, ({ need, headroom, planned, start }) => {
        const ceiling = need + headroom;
        let fleet: Fleet = { ready: start, booting: {} };
        for (let i = 0; i < 8; i++) {
          const decision = bounded(need, fleet.ready, {
            booting: fleet.booting,
            ...(planned ? { planCeiling: ceiling } : { maxCapacity: ceiling }),
          });
          const { now, next } = step(fleet, decision);
          expect(sum(now.ready) + sum(now.booting)).toBeLessThanOrEqual(ceiling);
          expect(sum(now.ready)).toBeGreaterThanOrEqual(need);
          fleet = next;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('(b) with a spend cap that leaves room for one more spot replica, the cheaper all-spot layout is reached (no lock-in)', () => {
    const price = prices();
    fc.assert(
      fc.property(
        fc.record({
          need: fc.integer({ min: 1, max: 8 }),
          onDemand: fc.integer({ min: 1, max: 8 }),
          slack: fc.double({ min: 0.001, max: 0.9, noNaN: true }),
        }),
        ({ need, onDemand, slack }) => {
          const od = Math.min(onDemand, need);
          const start = { 'spot-a': need - od, od };
          // Room for one spot replica beside what runs now: a step fits, so the move must get there.
          const cap = (need - od) * price.spot + od * price.onDemand + price.spot * (1 + slack);
          let fleet: Fleet = { ready: start, booting: {} };
          for (let i = 0; i < 4 * need + 4; i++) {
            const decision = bounded(need, fleet.ready, { booting: fleet.booting, capUsdPerHour: cap });
            const { now, next } = step(fleet, decision);
            expect(sum(now.ready)).toBeGreaterThanOrEqual(need);
            fleet = next;
          }
          expect(fleet.ready.od ?? 0).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
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
