/**
 * An inference replica named by a spot interruption notice serves until the provider takes it (issue 17,
 * section 5): its replacement is launched at the notice, the replica itself is drained and released
 * `spot.drainBeforeReclaimSeconds` before the deadline, and from the notice on it is not counted as capacity.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Action, Decision, PolicyInput } from '../../../core/index.ts';
import { memoryWith, mlInput, nodes, sec, T0, type PoolSpec } from './ml-builders.ts';

const pools = (a: PoolSpec['nodes'], b: PoolSpec['nodes'] = [], c: PoolSpec['nodes'] = []): PoolSpec[] => [
  { id: 'spot-a', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1a', nodes: a },
  { id: 'spot-b', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1b', nodes: b },
  { id: 'spot-c', instanceType: 'g5.xlarge', capacityType: 'spot', zone: 'us-east-1c', nodes: c },
  { id: 'od', instanceType: 'g5.xlarge', capacityType: 'on-demand', nodes: [] },
];

const notice = (instanceId: string, poolId: string, at: number, leadSeconds: number) => ({
  kind: 'spot-interruption' as const,
  instanceId,
  poolId,
  deadlineAt: at + sec(leadSeconds),
  observedAt: at,
  source: 'test',
});

const tick = (at: number) => ({ kind: 'schedule-tick' as const, observedAt: at, source: 'test' });
const releases = (actions: readonly Action[]) =>
  actions
    .filter((a) => a.type === 'drain-and-release')
    .map((a) => (a.type === 'drain-and-release' ? a.instanceId : ''));

/** A notice for a-1 (of a-1, a-2 in spot-a) at T0, then the decision at `later` with what the provider shows then. */
function afterNotice(leadSeconds: number, policy: PolicyInput = { minCapacity: 2 }) {
  const first = decide(
    mlInput({ pools: pools(nodes('a', 2)), policy, signal: notice('a-1', 'spot-a', T0, leadSeconds) }),
  );
  const next = (later: number, shown = pools(nodes('a', 2), [{ id: 'b-new', state: 'pending' }])): Decision =>
    decide(mlInput({ now: later, pools: shown, policy, memory: first.memory, signal: tick(later) }));
  return { first, next };
}

describe('a noticed inference replica serves until its deadline', () => {
  it.each([
    { label: 'AWS, 2 minutes', lead: 120, serves: true },
    { label: 'GCP, 30 s', lead: 30, serves: true },
    {
      label: 'a notice shorter than spot.drainBeforeReclaimSeconds (15 s): released at once, as before',
      lead: 10,
      serves: false,
    },
  ])('$label', ({ lead, serves }) => {
    const { first } = afterNotice(lead);
    expect(first.actions).toContainEqual(
      expect.objectContaining({ type: 'launch-capacity', poolId: 'spot-b', count: 1, replacesInstanceId: 'a-1' }),
    );
    expect(releases(first.actions)).toEqual(serves ? [] : ['a-1']);
    expect(first.memory.ml.noticed ?? []).toEqual(
      serves ? [{ instanceId: 'a-1', poolId: 'spot-a', deadlineAt: T0 + sec(lead) }] : [],
    );
    if (serves) expect(first.reasons.join('\n')).toMatch(/a-1 keeps serving until 15 s before the provider takes it/);
  });

  it('is not counted as capacity from the notice on, but as ready until its deadline', () => {
    const { next } = afterNotice(120);
    const during = next(T0 + sec(60));
    // a-1 (leaving) and a-2 in spot-a, b-new booting in spot-b: capacity 2 (a-2 and b-new), ready 2 (a-1 and a-2).
    expect(during.currentCapacity).toBe(2);
    expect(during.actions).toEqual([]);
    expect(during.memory.ml.noticed).toHaveLength(1);
  });

  it('is drained and released 15 s before the deadline, at the first decision in that time', () => {
    const { next } = afterNotice(120);
    expect(releases(next(T0 + sec(104)).actions)).toEqual([]);
    const due = next(T0 + sec(105));
    expect(releases(due.actions)).toEqual(['a-1']);
    expect(due.reasons.join('\n')).toMatch(/a-1 drained and released 15 s before the provider's deadline/);
    expect(due.memory.ml.noticed).toBeUndefined();
    // Late (no decision in the 15 s): released all the same, after the deadline.
    expect(releases(next(T0 + sec(130)).actions)).toEqual(['a-1']);
  });

  it('the provider took it first: forgotten, nothing to release', () => {
    const { next } = afterNotice(120);
    const gone = next(T0 + sec(125), pools(nodes('a', 2).slice(1), [{ id: 'b-new', state: 'pending' }]));
    expect(releases(gone.actions)).toEqual([]);
    expect(gone.memory.ml.noticed).toBeUndefined();
  });

  it('a notice delivered again launches no second replacement', () => {
    const { next, first } = afterNotice(120);
    void next;
    const again = decide(
      mlInput({
        now: T0 + sec(5),
        pools: pools(nodes('a', 2), [{ id: 'b-new', state: 'pending' }]),
        memory: first.memory,
        signal: notice('a-1', 'spot-a', T0 + sec(5), 115),
      }),
    );
    expect(again.actions).toEqual([]);
  });

  it('a pool being reclaimed takes no new capacity: the next notice is replaced in spot-c, not spot-a', () => {
    const { first } = afterNotice(120);
    const second = decide(
      mlInput({
        now: T0 + sec(10),
        pools: pools(nodes('a', 2), [{ id: 'b-1' }, { id: 'b-new', state: 'pending' }]),
        memory: first.memory,
        signal: notice('b-1', 'spot-b', T0 + sec(10), 120),
      }),
    );
    expect(second.actions).toContainEqual(expect.objectContaining({ type: 'launch-capacity', poolId: 'spot-c' }));
    expect(second.reasons.join('\n')).toMatch(/spot pool spot-a skipped: being reclaimed/);
    // Without the notice in memory spot-a (holding 2, spot-c 0) is not skipped.
    const fresh = decide(
      mlInput({
        now: T0 + sec(10),
        pools: pools(nodes('a', 2), [{ id: 'b-1' }]),
        memory: memoryWith({}),
        signal: notice('b-1', 'spot-b', T0 + sec(10), 120),
      }),
    );
    expect(fresh.reasons.join('\n')).not.toMatch(/being reclaimed/);
  });
});

describe('the scale-in while back to spot', () => {
  it('holds while the spot replicas launched to take over from on-demand boot', () => {
    const shown: PoolSpec[] = [
      { id: 'spot-a', instanceType: 'g5.xlarge', capacityType: 'spot', nodes: nodes('a', 3, { state: 'pending' }) },
      { id: 'spot-b', instanceType: 'g5.xlarge', capacityType: 'spot', nodes: [] },
      { id: 'od', instanceType: 'g5.xlarge', capacityType: 'on-demand', nodes: nodes('od', 3) },
    ];
    const policy: PolicyInput = {
      spot: { spreadSpotPools: true, poolLossReserve: 0 }, // the return path without the cover (pool-loss.test.ts has it with)
      targetTracking: [{ metric: 'load', targetValue: 10, windowSeconds: 0 }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    };
    const signal = { kind: 'metric' as const, metric: 'load', value: 5, observedAt: T0, source: 'test' };
    // 3 ready on-demand at half the target: 2 wanted, 6 asked for (3 spot booting).
    const returning = memoryWith({ fallbackSince: T0 - 3_600_000, returningToSpotAt: T0 - sec(60) });
    const held = decide(mlInput({ pools: shown, policy, memory: returning, signal }));
    expect(held.actions).toEqual([]);
    expect(held.reasons.join('\n')).toMatch(/scale-in held: back to spot, 3 spot replica\(s\) still booting/);
    // Not returning: the same snapshot scales in, taking on-demand first.
    const free = decide(mlInput({ pools: shown, policy, memory: memoryWith({}), signal }));
    expect(free.actions).toContainEqual(expect.objectContaining({ type: 'set-capacity', poolId: 'od', to: 0 }));
  });
});
