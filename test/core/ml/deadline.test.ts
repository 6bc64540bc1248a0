/**
 * Deadline-aware on-demand fallback for training jobs (core/strategies/ml/deadline.ts): wait for spot while the
 * deadline leaves slack, go on-demand once it does not, and back to spot once it can afford to. The cases up to
 * the property run the greedy rule (`training.deadlineStrategy: 'greedy'`); the default, uniform progress
 * (uniform-progress.ts), has its own cases at the end, and the property runs with both.
 *
 * Worked times used below (policy defaults): boot 300 s + load 120 s = 7 min to switch, 15 min margin; return
 * margin 7 min + 60 s checkpoint = 8 min; reserve 8 + 7 + 1 = 16 min. A 6 h job queued at 14:00Z due at 23:00Z
 * (50 % slack) with nothing checkpointed: slack at 15:00Z is 23:00 - 15:00 - 6 h - 7 min - 15 min = 1 h 38 min,
 * so it goes on-demand from 16:22Z (16 min left to come back to spot), and at once from 16:38Z (none left).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Action, Decision, Memory, SignalInput } from '../../../core/index.ts';
import { HOUR, T0, memoryWith, mlInput, sec, type NodeSpec, type PoolSpec } from './ml-builders.ts';

const MIN = 60_000;
const RUN = 6 * 3600;
const DUE = T0 + 9 * HOUR; // 2026-03-02T23:00Z
const pools = (spot: NodeSpec[] = [], od: NodeSpec[] = []): PoolSpec[] => [
  { id: 'p3-spot-2a', instanceType: 'p3.2xlarge', capacityType: 'spot', zone: 'us-west-2a', nodes: spot },
  { id: 'p3-od', instanceType: 'p3.2xlarge', capacityType: 'on-demand', nodes: od },
];
/** The greedy rule (waits down to its reserve); uniform-progress.test.ts covers the default, uniform progress. */
const basePolicy = { minCapacity: 0, maxCapacity: 4, training: { deadlineStrategy: 'greedy' as const } };
const job = (event: string, jobId: string, at: number, extra: Record<string, unknown> = {}) =>
  ({ kind: 'job', event, jobId, observedAt: at, source: 'test', ...extra }) as SignalInput;
const tick = (at: number): SignalInput => ({ kind: 'schedule-tick', observedAt: at, source: 'test' });
const of = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.filter((a) => a.type === type) as Extract<Action, { type: T }>[];
/** The spot pool returned a capacity error 10 s before `now` (skipped for 180 s). */
const spotOut = (now: number) => ({
  'p3-spot-2a': {
    interruptions: [],
    lastCapacityErrorAt: now - sec(10),
    lastCapacityErrorCode: 'InsufficientInstanceCapacity',
  },
});
const queuedJob = (extra: Record<string, unknown> = {}) => ({
  state: 'queued',
  gpusPerNode: 1,
  nodeCount: 1,
  queuedAt: T0,
  runSeconds: RUN,
  deadlineAt: DUE,
  ...extra,
});

describe('deadline-aware fallback: a queued job while spot is out', () => {
  it.each([
    {
      label: 'waits at 15:00Z: 1 h 38 min of slack (23:00 - 15:00 - 6 h - 7 min - 15 min)',
      now: T0 + HOUR,
      jobExtra: {},
      launches: 0,
      says: /^job j-1: waiting for spot, 1 h 38 min of slack before its deadline 2026-03-02T23:00Z \(6 h of run time left, 7 min to switch, 15 min margin\); on-demand from 16:22Z if spot is still out \(keeping 16 min of slack to come back to spot\)$/,
    },
    {
      label: 'with 2 h checkpointed, 4 h are left: 3 h 38 min of slack, on-demand from 18:22Z',
      now: T0 + HOUR,
      jobExtra: { savedSeconds: 2 * 3600 },
      launches: 0,
      says: /waiting for spot, 3 h 38 min of slack .*\(4 h of run time left, .*on-demand from 18:22Z/,
    },
    {
      label: 'still waits one second before its slack is down to the 16 min reserve (16:21:59Z)',
      now: T0 + 2 * HOUR + 22 * MIN - sec(1),
      jobExtra: {},
      launches: 0,
      says: /waiting for spot, 16 min of slack/,
    },
    {
      label: 'goes on-demand when its slack is down to the reserve (16:22Z), keeping 16 min to come back to spot',
      now: T0 + 2 * HOUR + 22 * MIN,
      jobExtra: {},
      launches: 1,
      says: /job j-1: on-demand for its deadline 2026-03-02T23:00Z while spot is out: 16 min of slack left, at or below the 16 min it keeps to come back to spot \(6 h of run time left, 7 min to switch, 15 min margin\); back to spot once spot is quiet and it has 8 min of slack/,
    },
    {
      label: 'the safety net: no slack left at 16:38Z (a decision missed since)',
      now: T0 + 2 * HOUR + 38 * MIN,
      jobExtra: {},
      launches: 1,
      says: /job j-1: on-demand for its deadline 2026-03-02T23:00Z: no slack left \(6 h of run time left, 7 min to switch, 15 min margin\); it stays on on-demand until it finishes/,
    },
    {
      label: 'goes on-demand when it is past the point (17:00Z)',
      now: T0 + 3 * HOUR,
      jobExtra: {},
      launches: 1,
      says: /on-demand for its deadline 2026-03-02T23:00Z: 22 min past the point to switch/,
    },
  ])('$label', ({ now, jobExtra, launches, says }) => {
    const memory = memoryWith({ pools: spotOut(now), jobs: { 'j-1': queuedJob(jobExtra) } });
    const decision = decide(
      mlInput({ kind: 'training-pool', now, pools: pools(), policy: basePolicy, memory, signal: tick(now) }),
    );
    const launched = of(decision.actions, 'launch-capacity');
    expect(launched.length).toBe(launches);
    if (launches === 0) {
      expect(decision.holds).toEqual([{ rule: 'deadline-slack', reason: expect.stringMatching(says) }]);
      expect(decision.memory.ml.jobs['j-1']).toMatchObject({ state: 'queued', onDemandForDeadlineAt: null });
      expect(decision.outcome).toBe('hold');
    } else {
      expect(launched[0]).toMatchObject({ poolId: 'p3-od', capacityType: 'on-demand', count: 1 });
      expect(launched[0]!.reason).toMatch(says);
      expect(decision.memory.ml.jobs['j-1']).toMatchObject({
        state: 'launching',
        poolId: 'p3-od',
        onDemandForDeadlineAt: now,
      });
    }
  });

  it('once on on-demand for its deadline, a job stays there even when spot can take it', () => {
    const now = T0 + 4 * HOUR;
    const memory = memoryWith({
      jobs: { 'j-1': queuedJob({ onDemandForDeadlineAt: T0 + 3 * HOUR, savedSeconds: 3600 }) },
    });
    const decision = decide(
      mlInput({ kind: 'training-pool', now, pools: pools(), policy: basePolicy, memory, signal: tick(now) }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([expect.objectContaining({ poolId: 'p3-od', count: 1 })]);
    expect(decision.actions[0]!.reason).toMatch(
      /job j-1 went to on-demand for its deadline 2026-03-02T23:00Z at 2026-03-02T17:00Z: placed on on-demand again \(it moves back to spot only while it runs\)/,
    );
  });

  it('with no slack left it goes on-demand even when spot could take it (the safety net)', () => {
    const now = T0 + 3 * HOUR;
    const memory = memoryWith({ jobs: { 'j-1': queuedJob() } });
    const decision = decide(
      mlInput({ kind: 'training-pool', now, pools: pools(), policy: basePolicy, memory, signal: tick(now) }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([expect.objectContaining({ poolId: 'p3-od' })]);
  });

  it('while it has slack and spot can take it, it goes to spot', () => {
    const memory = memoryWith({ jobs: { 'j-1': queuedJob() } });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now: T0 + HOUR,
        pools: pools(),
        policy: basePolicy,
        memory,
        signal: tick(T0 + HOUR),
      }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([
      expect.objectContaining({ poolId: 'p3-spot-2a', capacityType: 'spot' }),
    ]);
  });

  it('a waiting job tries spot again once the capacity-error cooldown is over (180 s)', () => {
    const now = T0 + HOUR;
    const memory = memoryWith({
      pools: {
        'p3-spot-2a': {
          interruptions: [],
          lastCapacityErrorAt: now - sec(180),
          lastCapacityErrorCode: 'InsufficientInstanceCapacity',
        },
      },
      jobs: { 'j-1': queuedJob() },
    });
    const decision = decide(
      mlInput({ kind: 'training-pool', now, pools: pools(), policy: basePolicy, memory, signal: tick(now) }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([expect.objectContaining({ poolId: 'p3-spot-2a' })]);
  });

  it.each([
    {
      label: 'no deadline, onDemandFallback true: on-demand at once, as before',
      fallback: true,
      launched: 'p3-od',
      says: /no spot pool is usable: falling back to on-demand/,
    },
    {
      label: 'no deadline, onDemandFallback false: waits for spot, as before',
      fallback: false,
      launched: undefined,
      says: /spot only \(training.onDemandFallback is false\): waiting for spot capacity/,
    },
  ])('$label', ({ fallback, launched, says }) => {
    const now = T0 + HOUR;
    const memory = memoryWith({ pools: spotOut(now), jobs: { 'j-1': queuedJob({ deadlineAt: null }) } });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools(),
        policy: { ...basePolicy, training: { ...basePolicy.training, onDemandFallback: fallback } },
        memory,
        signal: tick(now),
      }),
    );
    expect(of(decision.actions, 'launch-capacity').map((a) => a.poolId)).toEqual(launched ? [launched] : []);
    expect(
      [...decision.reasons, ...decision.actions.map((a) => a.reason), ...decision.holds.map((h) => h.reason)].join(
        '\n',
      ),
    ).toMatch(says);
    expect(decision.holds.some((h) => h.rule === 'deadline-slack')).toBe(false);
  });
});

describe('deadline fields from the queued event', () => {
  it.each([
    {
      label: 'deadline and run time given',
      extra: { runSeconds: RUN, deadlineAt: '2026-03-02T23:00:00Z' },
      policy: {},
      deadlineAt: DUE,
      runSeconds: RUN,
    },
    {
      label: 'run time only, no default slack: no deadline',
      extra: { runSeconds: RUN },
      policy: {},
      deadlineAt: null,
      runSeconds: RUN,
    },
    {
      label: 'run time only, defaultDeadlineSlackPercent 50: due 14:00Z + 6 h x 1.5 = 23:00Z',
      extra: { runSeconds: RUN },
      policy: { defaultDeadlineSlackPercent: 50 },
      deadlineAt: DUE,
      runSeconds: RUN,
    },
    {
      label: 'defaultDeadlineSlackPercent 25: due 14:00Z + 7 h 30 min = 21:30Z',
      extra: { runSeconds: RUN },
      policy: { defaultDeadlineSlackPercent: 25 },
      deadlineAt: T0 + 7.5 * HOUR,
      runSeconds: RUN,
    },
    {
      label: 'neither: no deadline',
      extra: {},
      policy: { defaultDeadlineSlackPercent: 50 },
      deadlineAt: null,
      runSeconds: null,
    },
  ])('$label', ({ extra, policy, deadlineAt, runSeconds }) => {
    const memory = memoryWith({ pools: spotOut(T0) });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools(),
        policy: { ...basePolicy, training: { ...basePolicy.training, ...policy } },
        memory,
        signal: job('queued', 'j-1', T0, { gpusPerNode: 1, nodeCount: 1, ...extra }),
      }),
    );
    expect(decision.memory.ml.jobs['j-1']).toMatchObject({ deadlineAt, runSeconds });
    // With a deadline it waits (1 h 38 min + 1 h of slack at 14:00Z for 23:00Z); without, on-demand at once.
    if (deadlineAt === null) expect(of(decision.actions, 'launch-capacity').map((a) => a.poolId)).toEqual(['p3-od']);
    else {
      expect(decision.actions).toEqual([]);
      expect(decision.holds[0]).toMatchObject({ rule: 'deadline-slack' });
    }
  });

  it('a negative run time is refused', () => {
    expect(() =>
      mlInput({ kind: 'training-pool', pools: pools(), signal: job('queued', 'j-1', T0, { runSeconds: -5 }) }),
    ).toThrow();
  });
});

describe('progress bookkeeping', () => {
  it('started at 14:00Z, loads 120 s, checkpoint taken at 15:00Z: 58 min are secured; preempted: resumes from there', () => {
    let memory: Memory = memoryWith({
      jobs: { 'j-1': queuedJob({ state: 'launching', launchedAt: T0 - 5 * MIN, poolId: 'p3-spot-2a' }) },
    });
    const step = (signal: SignalInput, now: number, spot: NodeSpec[] = [{ id: 'a-1', jobId: 'j-1' }]): Decision => {
      const decision = decide(
        mlInput({ kind: 'training-pool', now, pools: pools(spot), policy: basePolicy, memory, signal }),
      );
      memory = decision.memory;
      return decision;
    };
    step(job('started', 'j-1', T0, { instanceIds: ['a-1'] }), T0);
    expect(memory.ml.jobs['j-1']).toMatchObject({
      state: 'running',
      progressingSince: T0 + sec(120),
      resumedFromSeconds: 0,
    });
    step(job('checkpoint-acknowledged', 'j-1', T0 + HOUR + sec(30), { checkpointAt: T0 + HOUR }), T0 + HOUR + sec(30));
    // Progress counts again from the acknowledgement: the 30 s of writing are not counted (it may have paused).
    expect(memory.ml.jobs['j-1']).toMatchObject({
      savedSeconds: 3600 - 120,
      resumedFromSeconds: 3480,
      progressingSince: T0 + HOUR + sec(30),
    });
    step(job('preempted', 'j-1', T0 + HOUR + MIN), T0 + HOUR + MIN, []);
    expect(memory.ml.jobs['j-1']).toMatchObject({ progressingSince: null, savedSeconds: 3480 });
  });
});

describe('an interruption notice for a job with a deadline', () => {
  const notice = (now: number): SignalInput => ({
    kind: 'spot-interruption',
    instanceId: 'a-1',
    poolId: 'p3-spot-2a',
    deadlineAt: now + sec(120),
    observedAt: now,
    source: 'test',
  });
  const runningJob = (startedAt: number) => ({
    ...queuedJob(),
    state: 'running',
    startedAt,
    launchedAt: startedAt - 5 * MIN,
    poolId: 'p3-spot-2a',
    instanceIds: ['a-1'],
    progressingSince: startedAt + sec(120),
  });

  it('with slack: checkpoint, no on-demand replacement; the progress the checkpoint secures counts', () => {
    // Running since 14:00Z (progress from 14:02Z): at 16:02Z the checkpoint secures 2 h, 4 h are left;
    // slack = 23:00 - 16:02 - 4 h - 22 min = 2 h 36 min.
    const now = T0 + 2 * HOUR + 2 * MIN;
    const memory = memoryWith({ jobs: { 'j-1': runningJob(T0) } });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools([{ id: 'a-1', jobId: 'j-1' }]),
        policy: basePolicy,
        memory,
        signal: notice(now),
      }),
    );
    expect(of(decision.actions, 'request-checkpoint')).toHaveLength(1);
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(decision.holds).toEqual([
      {
        rule: 'deadline-slack',
        reason: expect.stringMatching(
          /^replacement for a-1 not launched: job j-1: waiting for spot, 2 h 36 min of slack .*\(4 h of run time left.*on-demand from 18:22Z/,
        ),
      },
    ]);
  });

  it('without slack: the replacement is on-demand and the job stays there', () => {
    // Started at 17:00Z: at 17:30Z 28 min are secured, 5 h 32 min left; 23:00 - 17:30 - 5 h 32 min - 22 min < 0.
    const now = T0 + 3 * HOUR + 30 * MIN;
    const memory = memoryWith({ jobs: { 'j-1': runningJob(T0 + 3 * HOUR) } });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools([{ id: 'a-1', jobId: 'j-1' }]),
        policy: basePolicy,
        memory,
        signal: notice(now),
      }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([
      expect.objectContaining({ poolId: 'p3-od', replacesInstanceId: 'a-1' }),
    ]);
    expect(decision.memory.ml.jobs['j-1']!.onDemandForDeadlineAt).toBe(now);
  });

  it('a job on on-demand for its deadline with too little slack (-24 min) is not moved back to spot', () => {
    const now = T0 + 5 * HOUR;
    const memory = memoryWith({
      jobs: {
        'j-1': {
          ...runningJob(T0 + 3 * HOUR),
          poolId: 'p3-od',
          instanceIds: ['od-1'],
          onDemandForDeadlineAt: T0 + 3 * HOUR,
        },
      },
    });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools([], [{ id: 'od-1', jobId: 'j-1' }]),
        policy: basePolicy,
        memory,
        signal: tick(now),
      }),
    );
    expect(decision.actions).toEqual([]);
  });
});

describe('checkpoints that keep a deadline reachable', () => {
  // Running on spot since 14:00Z (progress from 14:02Z), nothing checkpointed, due 23:00Z: losing everything
  // leaves 9 h - elapsed - 6 h - 22 min of slack, which runs out at 16:38Z.
  const running = {
    ...queuedJob(),
    state: 'running',
    startedAt: T0,
    launchedAt: T0 - 5 * MIN,
    poolId: 'p3-spot-2a',
    instanceIds: ['a-1'],
    progressingSince: T0 + sec(120),
  };
  it.each([
    {
      label: '16:37Z: losing 2 h 35 min would still leave a minute: nothing asked',
      now: T0 + 2 * HOUR + 37 * MIN,
      extra: {},
      asked: false,
    },
    {
      label: '16:38Z: losing 2 h 36 min would leave no slack: a checkpoint is asked for',
      now: T0 + 2 * HOUR + 38 * MIN,
      extra: {},
      asked: true,
    },
    {
      label: 'asked 60 s ago and not acknowledged: not asked again within 300 s',
      now: T0 + 2 * HOUR + 39 * MIN,
      extra: { deadlineCheckpointAt: T0 + 2 * HOUR + 38 * MIN },
      asked: false,
    },
    {
      label: 'on on-demand for its deadline: nothing to protect',
      now: T0 + 2 * HOUR + 38 * MIN,
      extra: { onDemandForDeadlineAt: T0 },
      asked: false,
    },
    { label: 'no deadline: nothing asked', now: T0 + 8 * HOUR, extra: { deadlineAt: null }, asked: false },
  ])('$label', ({ now, extra, asked }) => {
    const memory = memoryWith({ jobs: { 'j-1': { ...running, ...extra } } });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools([{ id: 'a-1', jobId: 'j-1' }]),
        policy: basePolicy,
        memory,
        signal: tick(now),
      }),
    );
    const requests = of(decision.actions, 'request-checkpoint');
    expect(requests.length).toBe(asked ? 1 : 0);
    if (asked) {
      expect(requests[0]).toMatchObject({ jobId: 'j-1', instanceIds: ['a-1'], deadlineAt: now + sec(300) });
      expect(requests[0]!.reason).toBe(
        'job j-1: checkpoint requested to keep its deadline 2026-03-02T23:00Z reachable: losing the 2 h 36 min since its last checkpoint would leave no slack; with it saved, 2 h 36 min of slack',
      );
      expect(decision.memory.ml.jobs['j-1']!.deadlineCheckpointAt).toBe(now);
      expect(decision.outcome).toBe('checkpoint');
    }
  });
});

describe('a running job on spot whose slack is gone moves to on-demand', () => {
  // Running on spot since 14:00Z (progress from 14:02Z), due 20:20Z: at 15:00Z 58 min are done, 5 h 2 min left,
  // and 20:20 - 15:00 - 5 h 2 min - 7 min - 15 min = -4 min: no slack even if it checkpointed now.
  const now = T0 + HOUR;
  const due = T0 + 6 * HOUR + 20 * MIN;
  const onSpot = {
    ...queuedJob({ deadlineAt: due }),
    state: 'running',
    startedAt: T0,
    launchedAt: T0 - 5 * MIN,
    poolId: 'p3-spot-2a',
    instanceIds: ['a-1'],
    progressingSince: T0 + sec(120),
  };
  const moving = { ...onSpot, onDemandForDeadlineAt: now - 4 * MIN, poolId: 'p3-od', launchedAt: now - 4 * MIN };
  const run = (job: Record<string, unknown>, od: NodeSpec[], signal: SignalInput = tick(now)) =>
    decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools([{ id: 'a-1', jobId: 'j-1' }], od),
        policy: basePolicy,
        memory: memoryWith({ jobs: { 'j-1': job } }),
        signal,
      }),
    );

  it('step 1: its on-demand node is launched while it keeps running on spot', () => {
    const decision = run(onSpot, []);
    expect(of(decision.actions, 'launch-capacity')).toEqual([expect.objectContaining({ poolId: 'p3-od', count: 1 })]);
    expect(decision.actions[0]!.reason).toBe(
      'job j-1: on-demand for its deadline 2026-03-02T20:20Z: 4 min past the point to switch (5 h 2 min of run time left, 7 min to switch, 15 min margin); it stays on on-demand until it finishes; 1 on-demand p3.2xlarge launched in p3-od while it keeps running on spot; it moves there after a checkpoint once they are ready',
    );
    expect(decision.memory.ml.jobs['j-1']).toMatchObject({
      state: 'running',
      onDemandForDeadlineAt: now,
      poolId: 'p3-od',
    });
  });

  it('with 6 min of slack left (due 20:30Z) it stays on spot', () => {
    const decision = run({ ...onSpot, deadlineAt: due + 10 * MIN }, []);
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
  });

  it('step 2, node booting: nothing yet, and the node is kept for it (not given to another job)', () => {
    const decision = run(moving, [{ id: 'od-1', state: 'pending' }]);
    expect(decision.actions).toEqual([]);
  });

  it('step 2, node ready: the job checkpoints and moves; its spot node goes once the checkpoint is in', () => {
    const decision = run(moving, [{ id: 'od-1' }]);
    expect(of(decision.actions, 'request-checkpoint')).toEqual([
      expect.objectContaining({ jobId: 'j-1', instanceIds: ['a-1'], deadlineAt: now + sec(300) }),
    ]);
    expect(decision.reasons.join('\n')).toMatch(
      /job j-1 moves from spot a-1 to on-demand od-1 in p3-od for its deadline 2026-03-02T20:20Z/,
    );
    expect(decision.memory.ml.checkpointWaits).toEqual([
      expect.objectContaining({ jobId: 'j-1', instanceId: 'a-1', planned: true }),
    ]);
  });

  it('a notice while it moves launches no second on-demand node', () => {
    const notice: SignalInput = {
      kind: 'spot-interruption',
      instanceId: 'a-1',
      poolId: 'p3-spot-2a',
      deadlineAt: now + sec(120),
      observedAt: now,
      source: 'test',
    };
    const decision = run(moving, [{ id: 'od-1', state: 'pending' }], notice);
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(of(decision.actions, 'request-checkpoint')).toHaveLength(1);
    expect(decision.reasons.join('\n')).toMatch(
      /replacement for a-1 not launched: job j-1 moves to on-demand for its deadline, its node\(s\) in p3-od were launched 240 s ago/,
    );
  });
});

describe('a job on on-demand for its deadline moves back to spot once it can afford to', () => {
  // On on-demand since 17:00Z (progress from 17:02Z, resumed from 32 min): at 18:00Z it has done 1 h 30 min,
  // 4 h 30 min are left, and its slack as if it moved now is 23:00 - 18:00 - 4 h 30 min - 7 min - 15 min = 8 min:
  // exactly the return margin (boot 300 s + load 120 s + checkpoint 60 s).
  const now = T0 + 4 * HOUR;
  const onOd = {
    ...queuedJob(),
    state: 'running',
    startedAt: T0 + 3 * HOUR,
    launchedAt: T0 + 3 * HOUR - 5 * MIN,
    poolId: 'p3-od',
    instanceIds: ['od-1'],
    savedSeconds: 1920,
    resumedFromSeconds: 1920,
    progressingSince: T0 + 3 * HOUR + 2 * MIN,
    onDemandForDeadlineAt: T0 + 3 * HOUR - 5 * MIN,
  };
  const quiet = (ago: number) => ({ lastSpotTroubleAt: now - ago });
  const run = (
    job: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    spot: NodeSpec[] = [],
    policy: Record<string, unknown> = basePolicy,
    signal: SignalInput = tick(now),
  ) =>
    decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools(spot, [{ id: 'od-1', jobId: 'j-1' }]),
        policy,
        memory: memoryWith({ jobs: { 'j-1': job }, ...extra }),
        signal,
      }),
    );

  it.each([
    {
      label: 'slack exactly the 8 min margin, spot quiet for 30 min: spot launched while it keeps running on on-demand',
      job: onOd,
      extra: quiet(30 * MIN),
      launched: 'p3-spot-2a',
      says: /^job j-1: back to spot from on-demand \(its deadline 2026-03-02T23:00Z\): 8 min of slack if it moved now \(return margin 8 min\), spot quiet for 30 min; 1 spot p3.2xlarge launched in p3-spot-2a while it keeps running on on-demand; it moves there after a checkpoint once they are ready$/,
    },
    {
      label: 'one second short of the margin: stays (held)',
      job: { ...onOd, resumedFromSeconds: 1919, savedSeconds: 1919 },
      extra: quiet(30 * MIN),
      launched: undefined,
      hold: 'deadline-slack',
    },
    {
      label: '7 min of slack: stays, and says why',
      job: { ...onOd, resumedFromSeconds: 1860, savedSeconds: 1860 },
      extra: quiet(30 * MIN),
      launched: undefined,
      hold: 'deadline-slack',
      says: /^job j-1 stays on on-demand for its deadline 2026-03-02T23:00Z: spot is usable again, but it has 7 min of slack if it moved now \(return margin 8 min\)$/,
    },
    {
      label: 'plenty of slack (1 h 8 min), but spot had trouble 29 min ago: stays, nothing to say',
      job: { ...onOd, resumedFromSeconds: 5520, savedSeconds: 5520 },
      extra: quiet(29 * MIN),
      launched: undefined,
    },
    {
      label: 'plenty of slack, but the spot pool is cooling down after a capacity error: stays',
      job: { ...onOd, resumedFromSeconds: 5520, savedSeconds: 5520 },
      extra: {
        lastSpotTroubleAt: now - HOUR,
        pools: {
          'p3-spot-2a': {
            interruptions: [],
            lastCapacityErrorAt: now - sec(10),
            lastCapacityErrorCode: 'InsufficientInstanceCapacity',
          },
        },
      },
      launched: undefined,
    },
    {
      label:
        'no deadline left to keep (on on-demand by the fallback, not for a deadline): the generic return, not this one',
      job: { ...onOd, onDemandForDeadlineAt: null },
      extra: quiet(30 * MIN),
      launched: 'p3-spot-2a',
      generic: true,
    },
  ])('$label', ({ job, extra, launched, says, hold, generic }) => {
    const decision = run(job, extra);
    const launches = of(decision.actions, 'launch-capacity');
    expect(launches.map((a) => a.poolId)).toEqual(launched ? [launched] : []);
    if (generic) expect(launches[0]!.reason).not.toMatch(/back to spot from on-demand \(its deadline/);
    else if (launched) {
      expect(launches[0]).toMatchObject({ capacityType: 'spot', count: 1 });
      expect(launches[0]!.reason).toMatch(says!);
      expect(decision.memory.ml.jobs['j-1']).toMatchObject({
        state: 'running',
        poolId: 'p3-spot-2a',
        launchedAt: now,
        onDemandForDeadlineAt: onOd.onDemandForDeadlineAt,
      });
    }
    expect(decision.holds.map((h) => h.rule)).toEqual(hold ? [hold] : []);
    if (hold && says) expect(decision.holds[0]!.reason).toMatch(says);
  });

  // Step 2: its spot node was launched 4 min ago (poolId points at the spot pool).
  const returning = { ...onOd, poolId: 'p3-spot-2a', launchedAt: now - 4 * MIN };

  it('step 2, spot node booting: nothing yet, and the node is kept for it', () => {
    const decision = run(returning, quiet(34 * MIN), [{ id: 's-1', state: 'pending' }]);
    expect(decision.actions).toEqual([]);
    expect(decision.memory.ml.jobs['j-1']).toMatchObject({
      poolId: 'p3-spot-2a',
      onDemandForDeadlineAt: onOd.onDemandForDeadlineAt,
    });
  });

  it('step 2, spot node ready: the job checkpoints on on-demand and moves; od-1 goes once the checkpoint is in', () => {
    const decision = run(returning, quiet(34 * MIN), [{ id: 's-1' }]);
    expect(of(decision.actions, 'request-checkpoint')).toEqual([
      expect.objectContaining({ jobId: 'j-1', instanceIds: ['od-1'], deadlineAt: now + sec(300) }),
    ]);
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(decision.reasons).toContain(
      'job j-1 moves back from on-demand od-1 to spot s-1 in p3-spot-2a: 8 min of slack if it moved now (return margin 8 min)',
    );
    expect(decision.memory.ml.checkpointWaits).toEqual([
      expect.objectContaining({ jobId: 'j-1', instanceId: 'od-1', planned: true }),
    ]);
    // Acknowledged: od-1 is released; the job starts on s-1 and is no longer on on-demand for its deadline.
    const acked = decide(
      mlInput({
        kind: 'training-pool',
        now: now + MIN,
        pools: pools([{ id: 's-1' }], [{ id: 'od-1', jobId: 'j-1' }]),
        policy: basePolicy,
        memory: decision.memory,
        signal: job('checkpoint-acknowledged', 'j-1', now + MIN, { checkpointAt: now }),
      }),
    );
    expect(of(acked.actions, 'drain-and-release')).toEqual([
      expect.objectContaining({ instanceId: 'od-1', poolId: 'p3-od' }),
    ]);
    const preempted = decide(
      mlInput({
        kind: 'training-pool',
        now: now + MIN,
        pools: pools([{ id: 's-1' }]),
        policy: basePolicy,
        memory: acked.memory,
        signal: job('preempted', 'j-1', now + MIN),
      }),
    );
    expect(preempted.actions.filter((a) => a.type === 'launch-capacity')).toEqual([]);
    const started = decide(
      mlInput({
        kind: 'training-pool',
        now: now + MIN,
        pools: pools([{ id: 's-1', jobId: 'j-1' }]),
        policy: basePolicy,
        memory: preempted.memory,
        signal: job('started', 'j-1', now + MIN, { instanceIds: ['s-1'] }),
      }),
    );
    expect(started.memory.ml.jobs['j-1']).toMatchObject({
      state: 'running',
      instanceIds: ['s-1'],
      onDemandForDeadlineAt: null,
    });
    expect(started.reasons.join('\n')).toMatch(
      /job j-1 started on s-1: back on spot, no longer on on-demand for its deadline/,
    );
  });

  it('step 2, spot had trouble since the launch: called off, it stays on on-demand', () => {
    const decision = run(returning, quiet(MIN), [{ id: 's-1' }]);
    expect(of(decision.actions, 'request-checkpoint')).toEqual([]);
    expect(decision.reasons.join('\n')).toMatch(
      /job j-1: the move back to spot is called off \(spot had trouble 1 min ago\); it stays on on-demand od-1, 8 min of slack if it moved now/,
    );
    expect(decision.memory.ml.jobs['j-1']).toMatchObject({
      poolId: 'p3-od',
      launchedAt: null,
      onDemandForDeadlineAt: onOd.onDemandForDeadlineAt,
    });
  });

  it('the spot launch fails (capacity error): it stays on on-demand, no second on-demand node', () => {
    const error: SignalInput = {
      kind: 'capacity-error',
      poolId: 'p3-spot-2a',
      capacityType: 'spot',
      code: 'InsufficientInstanceCapacity',
      observedAt: now,
      source: 'test',
    };
    const decision = run(returning, quiet(34 * MIN), [], basePolicy, error);
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(decision.memory.ml.jobs['j-1']).toMatchObject({
      state: 'running',
      instanceIds: ['od-1'],
      poolId: null,
      launchedAt: null,
      onDemandForDeadlineAt: onOd.onDemandForDeadlineAt,
    });
  });

  it('returnToSpotSlackSeconds overrides the derived margin (20 min: 8 min of slack is not enough)', () => {
    const decision = run(onOd, quiet(30 * MIN), [], {
      ...basePolicy,
      training: { ...basePolicy.training, returnToSpotSlackSeconds: 1200 },
    });
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(decision.holds[0]!.reason).toMatch(/8 min of slack if it moved now \(return margin 20 min\)/);
  });
});

/** What a simulated job did: when it finished (null: not within the horizon) and where it ran. */
interface SimRun {
  finishedAt: number | null;
  /** Capacity type of each placement the job started on, in order. */
  starts: ('spot' | 'on-demand')[];
  /**
   * Moves back to spot that left spot for on-demand again though spot did not go (no notice, no outage), sooner
   * than the 30 min of quiet (returnToSpotAfterSeconds) the move back waited for: a thrash.
   */
  thrashes: number;
}

/**
 * A small world in 30 s steps: one spot pool whose capacity comes and goes, one on-demand pool, one job.
 * Nodes boot in 240 s and the job loads in 120 s (at or under the policy's 300 s and 120 s estimates); a spot
 * node gets a 120 s notice before an outage; a requested checkpoint is written in 30 s (the job pauses) and
 * acknowledged, with the time it was taken; a schedule tick every 60 s.
 */
function simulate(
  outages: { start: number; end: number }[],
  runSeconds: number,
  deadlineAt: number,
  horizon: number,
  policy: Record<string, unknown> = basePolicy,
): SimRun {
  const STEP = 30_000;
  const outAt = (t: number) => outages.some((o) => o.start <= t && t < o.end);
  let memory: Memory | undefined;
  let seq = 0;
  interface SimNode {
    id: string;
    pool: 'p3-spot-2a' | 'p3-od';
    readyAt: number;
    noticed: boolean;
  }
  const nodes: SimNode[] = [];
  const starts: SimRun['starts'] = [];
  /** Per placement: did its node get a notice (or go in an outage) before the job left it? When did it start and end? */
  const forced: boolean[] = [];
  const startedAt: number[] = [];
  const endedAt: number[] = [];
  let onNode: string | null = null;
  let progressingFrom = 0;
  let progress = 0;
  let saved = 0;
  let writingUntil: number | null = null;
  let writingFrom = 0;
  let finishedAt: number | null = null;
  const queue: SignalInput[] = [];
  const observed = (now: number) =>
    pools(
      nodes
        .filter((n) => n.pool === 'p3-spot-2a')
        .map((n) => ({
          id: n.id,
          state: n.readyAt <= now ? 'ready' : 'pending',
          ...(onNode === n.id ? { jobId: 'j-1' } : {}),
        })),
      nodes
        .filter((n) => n.pool === 'p3-od')
        .map((n) => ({
          id: n.id,
          state: n.readyAt <= now ? 'ready' : 'pending',
          ...(onNode === n.id ? { jobId: 'j-1' } : {}),
        })),
    );
  const lose = (now: number, node: SimNode | undefined) => {
    // The node is gone: progress falls back to the last checkpoint.
    if (node?.noticed || outAt(now)) forced[forced.length - 1] = true;
    endedAt[startedAt.length - 1] = now;
    progress = saved;
    onNode = null;
    writingUntil = null;
    queue.push(job('preempted', 'j-1', now));
  };
  const send = (signal: SignalInput, now: number) => {
    const decision = decide(
      mlInput({ kind: 'training-pool', now, pools: observed(now), policy, ...(memory ? { memory } : {}), signal }),
    );
    memory = decision.memory;
    for (const action of decision.actions) {
      if (action.type === 'launch-capacity') {
        if (action.capacityType === 'spot' && outAt(now))
          queue.push({
            kind: 'capacity-error',
            poolId: action.poolId,
            capacityType: 'spot',
            code: 'InsufficientInstanceCapacity',
            observedAt: now,
            source: 'test',
          });
        else
          for (let i = 0; i < action.count; i += 1)
            nodes.push({
              id: `n-${++seq}`,
              pool: action.poolId as SimNode['pool'],
              readyAt: now + 240_000,
              noticed: false,
            });
      } else if (action.type === 'drain-and-release') {
        const at = nodes.findIndex((n) => n.id === action.instanceId);
        const node = nodes[at];
        if (at >= 0) nodes.splice(at, 1);
        if (onNode === action.instanceId) lose(now, node);
      } else if (action.type === 'request-checkpoint' && onNode !== null && writingUntil === null) {
        writingUntil = now + 30_000;
        writingFrom = now;
      }
    }
  };
  send(job('queued', 'j-1', T0, { gpusPerNode: 1, nodeCount: 1, runSeconds, deadlineAt }), T0);
  for (let now = T0; now < T0 + horizon && finishedAt === null; now += STEP) {
    // The world moves: progress, checkpoints, notices, outages.
    if (onNode !== null && writingUntil === null && now > progressingFrom)
      progress += Math.min(STEP, now - progressingFrom);
    if (writingUntil !== null && now >= writingUntil) {
      saved = progress;
      writingUntil = null;
      queue.push(job('checkpoint-acknowledged', 'j-1', now, { checkpointAt: writingFrom }));
    }
    if (onNode !== null && progress >= runSeconds * 1000) {
      finishedAt = now;
      break;
    }
    for (const node of nodes.filter((n) => n.pool === 'p3-spot-2a' && !n.noticed)) {
      const coming = outages.find((o) => o.start > now - STEP && o.start <= now + 120_000);
      if (coming || outAt(now)) {
        node.noticed = true;
        queue.push({
          kind: 'spot-interruption',
          instanceId: node.id,
          poolId: 'p3-spot-2a',
          deadlineAt: Math.max(now, coming?.start ?? now),
          observedAt: now,
          source: 'test',
        });
      }
    }
    for (const node of nodes.filter((n) => n.pool === 'p3-spot-2a' && outAt(now))) {
      nodes.splice(nodes.indexOf(node), 1);
      if (onNode === node.id) lose(now, node);
    }
    while (queue.length > 0) send(queue.shift()!, now);
    // The scheduler starts the job on a free ready node.
    if (onNode === null) {
      const free = nodes.find((n) => n.readyAt <= now);
      if (free) {
        onNode = free.id;
        starts.push(free.pool === 'p3-od' ? 'on-demand' : 'spot');
        forced.push(false);
        startedAt.push(now);
        progressingFrom = now + 120_000;
        send(job('started', 'j-1', now, { instanceIds: [free.id] }), now);
      }
    }
    if (now % 60_000 === 0) send(tick(now), now);
    while (queue.length > 0) send(queue.shift()!, now);
  }
  // A thrash: on-demand, back to spot, and on-demand again though spot did not go.
  let thrashes = 0;
  for (let i = 1; i + 1 < starts.length; i += 1) {
    const stint = (endedAt[i] ?? Infinity) - startedAt[i]!;
    if (
      starts[i - 1] === 'on-demand' &&
      starts[i] === 'spot' &&
      starts[i + 1] === 'on-demand' &&
      !forced[i] &&
      stint < 30 * MIN
    )
      thrashes += 1;
  }
  return { finishedAt, starts, thrashes };
}

/** Moves between on-demand and spot. */
const switches = (starts: SimRun['starts']) => starts.filter((type, i) => i > 0 && type !== starts[i - 1]).length;

describe('a job that went to on-demand for its deadline comes back to spot, and falls back again if it must', () => {
  // Due 1 h after run time + switch (7 min) + margin (15 min). Spot is out from 14:00Z: the job waits until its
  // slack is down to the 16 min reserve (14:44Z), runs on on-demand from 14:48Z, and moves back to spot once spot
  // has been quiet 30 min (a probe at 15:12Z still meets the outage: it moves around 15:46Z).
  const due = (hours: number) => T0 + (hours * 3600 + 300 + 120 + 900) * 1000 + HOUR;
  const out = (...spans: [number, number][]) =>
    spans.map(([from, to]) => ({ start: T0 + from * MIN, end: T0 + to * MIN }));
  it.each([
    {
      label: '2 h job, spot out 14:00-15:20Z: on-demand, then back to spot to the end',
      hours: 2,
      outages: out([0, 80]),
      starts: ['on-demand', 'spot'],
    },
    {
      label: '2 h job, spot out again 16:30-16:50Z after it came back: on-demand again',
      hours: 2,
      outages: out([0, 80], [150, 170]),
      starts: ['on-demand', 'spot', 'on-demand'],
    },
    {
      // Back on spot with 10 min of slack, it checkpoints every 8 min to keep the deadline safe should the node
      // go; each pause spends slack, and once none is left the safety net moves it to on-demand (not a thrash:
      // over an hour on spot first).
      label:
        '4 h job, spot out 14:00-15:30Z: back to spot, and to on-demand again once its checkpoints spent the slack',
      hours: 4,
      outages: out([0, 90]),
      starts: ['on-demand', 'spot', 'on-demand'],
    },
  ])('$label; the deadline is met', ({ hours, outages, starts }) => {
    const run = simulate(outages, hours * 3600, due(hours), 30 * HOUR);
    expect(run.starts).toEqual(starts);
    expect(run.thrashes).toBe(0);
    expect(run.finishedAt).not.toBeNull();
    expect(run.finishedAt!).toBeLessThanOrEqual(due(hours));
  });

  it('with the return margin forced to 0 it comes back with no slack to spare and leaves spot again at once (a thrash)', () => {
    const run = simulate(out([0, 90]), 4 * 3600, due(4), 30 * HOUR, {
      ...basePolicy,
      training: { ...basePolicy.training, returnToSpotSlackSeconds: 0 },
    });
    expect(run.thrashes).toBeGreaterThan(0);
  });
});

/** The property's world: outages, a run time and a deadline at least run time + switch + margin after queuing. */
const world = fc.tuple(
  fc.array(fc.record({ startMin: fc.integer({ min: 0, max: 16 * 60 }), lengthMin: fc.integer({ min: 1, max: 300 }) }), {
    maxLength: 8,
  }),
  fc.integer({ min: 1, max: 12 }),
  fc.integer({ min: 0, max: 180 }),
);

/**
 * Every feasible deadline is met, and the job never thrashes: it moves back to spot only with slack to spare, so
 * it leaves spot again only when spot goes; each outage causes at most one move to on-demand and one back
 * (plus the safety net's move at the start), so moves <= 2 x (outages + 1). Returns to spot do happen.
 */
function deadlineProperty(policy: Record<string, unknown>, returns: { count: number }) {
  return fc.property(world, ([list, halfHours, extraMin]) => {
    const outages = list.map((o) => ({ start: T0 + o.startMin * MIN, end: T0 + (o.startMin + o.lengthMin) * MIN }));
    const runSeconds = halfHours * 1800;
    const deadlineAt = T0 + (runSeconds + 300 + 120 + 900) * 1000 + extraMin * MIN;
    const run = simulate(outages, runSeconds, deadlineAt, 30 * HOUR, policy);
    returns.count += run.starts.filter(
      (type, i) => i > 0 && type === 'spot' && run.starts[i - 1] === 'on-demand',
    ).length;
    expect(run.finishedAt).not.toBeNull();
    expect(run.finishedAt!).toBeLessThanOrEqual(deadlineAt);
    expect(run.thrashes, 'thrashes').toBe(0);
    expect(switches(run.starts), 'moves between on-demand and spot').toBeLessThanOrEqual(2 * (outages.length + 1));
  });
}

describe('property: a feasible deadline is met whatever spot does, with no thrash', () => {
  it('deadline >= queued + run time + switch (7 min) + margin (15 min): the job finishes by it; moves back to spot happen', () => {
    const returns = { count: 0 };
    fc.assert(deadlineProperty(basePolicy, returns), { numRuns: 60 });
    expect(returns.count).toBeGreaterThan(0);
  }, 60_000);

  it('the property can fail: with the return margin forced to 0 it finds a thrash', () => {
    const result = fc.check(
      deadlineProperty(
        { ...basePolicy, training: { ...basePolicy.training, returnToSpotSlackSeconds: 0 } },
        { count: 0 },
      ),
      { numRuns: 60, seed: 1, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/^AssertionError: thrashes: expected [1-9]\d* to be \+0/);
  }, 60_000);
});

describe('uniform progress (the default): a job spot cannot take goes on-demand only while behind its line', () => {
  // The defaults: a 6 h job queued at 14:00Z due 23:00Z; its line ends at 22:38Z (23:00 - 7 min switch - 15 min
  // margin), 8 h 38 min = 518 min after queuing, so it expects 360 / 518 of a minute done per minute. Its slack at
  // queuing is 2 h 38 min; the tolerance is a sixth of it, 26 min 20 s (1580 s). At 15:00Z the line is at
  // 6 h x 60 / 518 = 41 min 42 s (2501.9 s), so it may lag down to 921.9 s secured.
  const upPolicy = { minCapacity: 0, maxCapacity: 4 };
  const at15 = T0 + HOUR;
  it.each([
    {
      label: '15:00Z, 20 min secured: 22 min behind, within the 26 min: waits',
      now: at15,
      jobExtra: { savedSeconds: 1200 },
      launches: 0,
      says: /^job j-1: waiting for spot, 20 min done, 42 min expected on its uniform-progress line \(22 min behind\); on-demand once more than 26 min behind; 1 h 58 min of slack before its deadline 2026-03-02T23:00Z$/,
    },
    {
      label: '15:00Z, 922 s secured: 1579.9 s behind, still within: waits',
      now: at15,
      jobExtra: { savedSeconds: 922 },
      launches: 0,
      says: /26 min behind\); on-demand once more than 26 min behind/,
    },
    {
      label:
        '15:00Z, 921 s secured: a second further behind than the tolerance: on-demand now, with its slack to come back',
      now: at15,
      jobExtra: { savedSeconds: 921 },
      launches: 1,
      says: /job j-1: on-demand for its deadline 2026-03-02T23:00Z while spot is out: 15 min done, 42 min expected on its uniform-progress line \(26 min behind\), more than the 26 min it may lag; 1 h 53 min of slack; back to spot once spot is quiet and it has 8 min of slack/,
    },
    {
      label: '15:00Z, 1 h secured: ahead of the line: waits',
      now: at15,
      jobExtra: { savedSeconds: 3600 },
      launches: 0,
      says: /1 h done, 42 min expected on its uniform-progress line \(18 min ahead\)/,
    },
    {
      label: '14:30Z, nothing done: 21 min behind, within: waits',
      now: T0 + 30 * MIN,
      jobExtra: {},
      launches: 0,
      says: /0 s done, 21 min expected .*\(21 min behind\)/,
    },
    {
      // The greedy rule would wait here until 16:22Z (it has 1 h 38 min of slack).
      label: '15:00Z, nothing done: 42 min behind: on-demand now, where greedy would still wait',
      now: at15,
      jobExtra: {},
      launches: 1,
      says: /0 s done, 42 min expected .*\(42 min behind\), more than the 26 min it may lag; 1 h 38 min of slack/,
    },
    {
      // Line at 6 h x 512 / 518 = 5 h 55 min 50 s; 5 h 56 min secured is ahead, but 23:00 - 22:30 - 4 min - 22 min
      // leaves 4 min of slack, below the 16 min reserve.
      label: 'the greedy safety net still applies: 22:30Z, ahead of its line, 4 min of slack: on-demand by the reserve',
      now: T0 + 8 * HOUR + 30 * MIN,
      jobExtra: { savedSeconds: 356 * 60 },
      launches: 1,
      says: /job j-1: on-demand for its deadline 2026-03-02T23:00Z while spot is out: 4 min of slack left, at or below the 16 min it keeps to come back to spot/,
    },
    {
      label:
        'back on spot 2 min ago and behind: waits (no second switch within the 30 min of returnToSpotAfterSeconds)',
      now: at15,
      jobExtra: { backOnSpotAt: at15 - 2 * MIN },
      launches: 0,
      says: /\(42 min behind\); back on spot since 14:58Z, so no switch to on-demand before 15:28Z; 1 h 38 min of slack/,
    },
    {
      label: 'back on spot 30 min ago and behind: on-demand',
      now: at15,
      jobExtra: { backOnSpotAt: at15 - 30 * MIN },
      launches: 1,
      says: /\(42 min behind\), more than the 26 min it may lag/,
    },
  ])('$label', ({ now, jobExtra, launches, says }) => {
    const memory = memoryWith({ pools: spotOut(now), jobs: { 'j-1': queuedJob(jobExtra) } });
    const decision = decide(
      mlInput({ kind: 'training-pool', now, pools: pools(), policy: upPolicy, memory, signal: tick(now) }),
    );
    const launched = of(decision.actions, 'launch-capacity');
    expect(launched.length).toBe(launches);
    if (launches === 0) {
      expect(decision.holds).toEqual([{ rule: 'deadline-slack', reason: expect.stringMatching(says) }]);
      expect(decision.memory.ml.jobs['j-1']).toMatchObject({ state: 'queued', onDemandForDeadlineAt: null });
    } else {
      expect(launched[0]).toMatchObject({ poolId: 'p3-od', capacityType: 'on-demand', count: 1 });
      expect(launched[0]!.reason).toMatch(says);
      expect(decision.memory.ml.jobs['j-1']).toMatchObject({
        state: 'launching',
        poolId: 'p3-od',
        onDemandForDeadlineAt: now,
      });
    }
  });

  it('while spot can take it, it goes to spot however far behind its line it is', () => {
    const memory = memoryWith({ jobs: { 'j-1': queuedJob() } });
    const decision = decide(
      mlInput({ kind: 'training-pool', now: at15, pools: pools(), policy: upPolicy, memory, signal: tick(at15) }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([
      expect.objectContaining({ poolId: 'p3-spot-2a', capacityType: 'spot' }),
    ]);
  });

  it('no deadline: on-demand at once, as before', () => {
    const memory = memoryWith({ pools: spotOut(at15), jobs: { 'j-1': queuedJob({ deadlineAt: null }) } });
    const decision = decide(
      mlInput({ kind: 'training-pool', now: at15, pools: pools(), policy: upPolicy, memory, signal: tick(at15) }),
    );
    expect(of(decision.actions, 'launch-capacity').map((a) => a.poolId)).toEqual(['p3-od']);
    expect(decision.actions[0]!.reason).toMatch(/no spot pool is usable: falling back to on-demand/);
  });

  it('a notice while behind its line: the checkpoint is asked for and the on-demand replacement launched at once', () => {
    // On spot since 13:30Z (progress from 13:32Z): at 15:00Z the checkpoint secures 1 h 28 min, 46 min ahead of
    // its line (at 42 min), so it waits for spot. Queued at 13:00Z and started at 14:30Z
    // instead, its line ends 9 h 38 min after queuing (tolerance 3 h 38 min / 6 = 36 min) and is at
    // 6 h x 2 h / 9 h 38 min = 1 h 15 min: 47 min behind, so the replacement is on-demand, launched now.
    const notice: SignalInput = {
      kind: 'spot-interruption',
      instanceId: 'a-1',
      poolId: 'p3-spot-2a',
      deadlineAt: at15 + sec(120),
      observedAt: at15,
      source: 'test',
    };
    const onSpot = {
      ...queuedJob(),
      state: 'running',
      startedAt: T0 - 30 * MIN,
      launchedAt: T0 - 35 * MIN,
      poolId: 'p3-spot-2a',
      instanceIds: ['a-1'],
      progressingSince: T0 - 28 * MIN,
    };
    const run = (job: Record<string, unknown>) =>
      decide(
        mlInput({
          kind: 'training-pool',
          now: at15,
          pools: pools([{ id: 'a-1', jobId: 'j-1' }]),
          policy: upPolicy,
          memory: memoryWith({ jobs: { 'j-1': job } }),
          signal: notice,
        }),
      );
    const within = run(onSpot);
    expect(of(within.actions, 'launch-capacity')).toEqual([]);
    expect(within.holds[0]!.reason).toMatch(
      /^replacement for a-1 not launched: job j-1: waiting for spot, 1 h 28 min done, 42 min expected on its uniform-progress line \(46 min ahead\)/,
    );
    const behind = run({
      ...onSpot,
      queuedAt: T0 - HOUR,
      startedAt: at15 - 30 * MIN,
      progressingSince: at15 - 28 * MIN,
    });
    expect(of(behind.actions, 'request-checkpoint')).toHaveLength(1);
    expect(of(behind.actions, 'launch-capacity')).toEqual([
      expect.objectContaining({ poolId: 'p3-od', replacesInstanceId: 'a-1' }),
    ]);
    expect(behind.actions.find((a) => a.type === 'launch-capacity')!.reason).toMatch(
      /job j-1: on-demand for its deadline .*28 min done, 1 h 15 min expected on its uniform-progress line \(47 min behind\), more than the 36 min it may lag; 2 h 6 min of slack/,
    );
  });

  it('on on-demand, it returns once spot is quiet with its return margin, and the reason names its line', () => {
    // On on-demand since 15:00Z (progress from 15:07Z, resumed from 15 min): at 16:00Z it has 1 h 8 min done, the
    // line is at 1 h 23 min; slack if it moved now: 23:00 - 16:00 - 4 h 52 min - 22 min = 1 h 46 min.
    const now = T0 + 2 * HOUR;
    const onOd = {
      ...queuedJob(),
      state: 'running',
      startedAt: at15 + 5 * MIN,
      launchedAt: at15,
      poolId: 'p3-od',
      instanceIds: ['od-1'],
      savedSeconds: 900,
      resumedFromSeconds: 900,
      progressingSince: at15 + 7 * MIN,
      onDemandForDeadlineAt: at15,
    };
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        now,
        pools: pools([], [{ id: 'od-1', jobId: 'j-1' }]),
        policy: upPolicy,
        memory: memoryWith({ jobs: { 'j-1': onOd }, lastSpotTroubleAt: now - 30 * MIN }),
        signal: tick(now),
      }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([
      expect.objectContaining({ poolId: 'p3-spot-2a', capacityType: 'spot' }),
    ]);
    expect(decision.actions[0]!.reason).toMatch(
      /^job j-1: back to spot from on-demand \(its deadline 2026-03-02T23:00Z\): 1 h 46 min of slack if it moved now \(return margin 8 min\), 1 h 8 min done, 1 h 23 min expected on its uniform-progress line \(15 min behind\), spot quiet for 30 min/,
    );
  });
});

describe('uniform progress in the simulated world', () => {
  const out = (...spans: [number, number][]) =>
    spans.map(([from, to]) => ({ start: T0 + from * MIN, end: T0 + to * MIN }));
  const upPolicy = { minCapacity: 0, maxCapacity: 4 };
  it('6 h job due 9 h after queuing, spot out 14:00-16:00Z: on-demand once 26 min behind its line, back to spot once spot is quiet; met', () => {
    const run = simulate(out([0, 120]), RUN, DUE, 30 * HOUR, upPolicy);
    expect(run.starts).toEqual(['on-demand', 'spot']);
    expect(run.thrashes).toBe(0);
    expect(run.finishedAt!).toBeLessThanOrEqual(DUE);
  });

  it('the greedy rule in the same world waits the outage out on no node (spot is back before its slack is down to the reserve)', () => {
    expect(simulate(out([0, 120]), RUN, DUE, 30 * HOUR, basePolicy).starts).toEqual(['spot']);
  });

  it('property: every feasible deadline is met, no thrash, moves <= 2 x (outages + 1); moves back to spot happen', () => {
    const returns = { count: 0 };
    fc.assert(deadlineProperty(upPolicy, returns), { numRuns: 60 });
    expect(returns.count).toBeGreaterThan(0);
  }, 60_000);

  it('the property can fail: with the boot and margin taken as 0 (nodes still boot in 240 s) a deadline is missed', () => {
    const result = fc.check(
      deadlineProperty({ ...upPolicy, training: { nodeBootSeconds: 0, deadlineSafetySeconds: 0 } }, { count: 0 }),
      { numRuns: 60, seed: 1, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/expected \d+ to be less than or equal to \d+/);
  }, 60_000);
});
