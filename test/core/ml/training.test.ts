import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Action, DecisionInput, SignalInput } from '../../../core/index.ts';
import { HOUR, P3, T0, memoryWith, mlInput, nodes, sec, type NodeSpec, type PoolSpec } from './ml-builders.ts';

const trainingPools = (a: NodeSpec[] = [], b: NodeSpec[] = [], od: NodeSpec[] = []): PoolSpec[] => [
  { id: 'p3-spot-2a', instanceType: 'p3.2xlarge', capacityType: 'spot', zone: 'us-west-2a', nodes: a },
  { id: 'p3-spot-2b', instanceType: 'p3.2xlarge', capacityType: 'spot', zone: 'us-west-2b', nodes: b },
  { id: 'p3-od', instanceType: 'p3.2xlarge', capacityType: 'on-demand', nodes: od },
];
const policy = { minCapacity: 0, maxCapacity: 8 };
const job = (event: string, jobId: string, at = T0, extra: Record<string, unknown> = {}) =>
  ({ kind: 'job', event, jobId, observedAt: at, source: 'test', ...extra }) as SignalInput;
const train = (options: Partial<Parameters<typeof mlInput>[0]> = {}): DecisionInput =>
  mlInput({ kind: 'training-pool', pools: trainingPools(), policy, ...options });
const of = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.filter((a) => a.type === type) as Extract<Action, { type: T }>[];

const running = (_jobId: string, gpus = 1, count = 1, lastCheckpointAt = T0 - HOUR) => ({
  state: 'running',
  gpusPerNode: gpus,
  nodeCount: count,
  queuedAt: T0 - 3 * HOUR,
  startedAt: T0 - 2 * HOUR,
  lastCheckpointAt,
  instanceIds: [],
});

describe('training demand', () => {
  it.each([
    { label: '1 node x 1 GPU: 1 spot p3.2xlarge ($0.918/h)', nodeCount: 1, max: 8, launched: 1, after: P3.spot },
    { label: 'gang of 4: 4 spot p3.2xlarge at once ($3.672/h)', nodeCount: 4, max: 8, launched: 4, after: 4 * P3.spot },
    {
      label: 'gang of 4 with a maximum of 3 nodes: nothing, all or nothing',
      nodeCount: 4,
      max: 3,
      launched: 0,
      after: 0,
    },
  ])('$label', ({ nodeCount, max, launched, after }) => {
    const decision = decide(
      train({
        policy: { ...policy, maxCapacity: max },
        signal: job('queued', 'j1', T0, { gpusPerNode: 1, nodeCount }),
      }),
    );
    const launches = of(decision.actions, 'launch-capacity');
    expect(launches.reduce((sum, a) => sum + a.count, 0)).toBe(launched);
    if (launched > 0) expect(launches).toEqual([expect.objectContaining({ poolId: 'p3-spot-2a', count: nodeCount })]);
    else
      expect(decision.holds[0]?.reason).toMatch(
        /needs 4 node\(s\) at once; 0 \+ 4 is above the maximum of 3: held \(all or nothing\)/,
      );
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(after, 4);
    expect(decision.memory.ml.jobs.j1?.state).toBe(launched > 0 ? 'launching' : 'queued');
    expect(decision.outcome).toBe(launched > 0 ? 'scale-out' : 'hold');
  });

  it('a job that needs 8 GPUs per node cannot be placed on p3.2xlarge and says why', () => {
    const decision = decide(train({ signal: job('queued', 'big', T0, { gpusPerNode: 8 }) }));
    expect(decision.actions).toEqual([]);
    expect(decision.holds[0]?.reason).toMatch(/job big \(1 x 8 GPU\) cannot be placed/);
  });

  it('under a $2/h cap the higher-priority job goes first and the lower one waits (2 x $0.918 = $1.836/h)', () => {
    const memory = memoryWith({
      jobs: { low: { state: 'queued', gpusPerNode: 1, nodeCount: 1, priority: 1, queuedAt: T0 - HOUR } },
    });
    const decision = decide(
      train({
        memory,
        policy: { ...policy, spendCaps: { targetUsdPerHour: 2 } },
        signal: job('queued', 'high', T0, { nodeCount: 2, priority: 10 }),
      }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([expect.objectContaining({ count: 2 })]);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(1.836, 4);
    expect(decision.holds.map((h) => h.reason).join('\n')).toMatch(
      /job low held: 1 more p3.2xlarge would bring spend to \$2\.75\/h; target spend cap \$2\.00\/h/,
    );
  });

  it('strict priority: a high-priority gang held by the cap keeps a smaller low-priority job waiting', () => {
    const memory = memoryWith({
      jobs: { low: { state: 'queued', gpusPerNode: 1, nodeCount: 1, priority: 1, queuedAt: T0 - HOUR } },
    });
    const decision = decide(
      train({
        memory,
        policy: { ...policy, spendCaps: { targetUsdPerHour: 2 } },
        signal: job('queued', 'high', T0, { nodeCount: 3, priority: 10 }),
      }),
    );
    expect(decision.actions).toEqual([]);
    expect(decision.holds.map((h) => h.reason)).toEqual([
      expect.stringMatching(/job high held: 3 more p3.2xlarge would bring spend to \$2\.75\/h/),
      expect.stringMatching(/job low \(priority 1\) waits behind job high \(priority 10\), held by the spend cap/),
    ]);
  });

  it('a queued job takes idle nodes before launching new ones', () => {
    const decision = decide(
      train({ pools: trainingPools(nodes('a', 2)), signal: job('queued', 'j1', T0, { nodeCount: 2 }) }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(decision.reasons.join('\n')).toMatch(/job j1 placed on idle node\(s\) a-1, a-2/);
  });

  it('idle nodes go after the 300 s idle timeout and the pool goes to zero', () => {
    const memory = memoryWith({ idleSince: { 'a-1': T0 - sec(301) } });
    const decision = decide(train({ pools: trainingPools([{ id: 'a-1' }]), memory }));
    expect(decision.actions).toEqual([expect.objectContaining({ type: 'drain-and-release', instanceId: 'a-1' })]);
    expect(decision.actions[0]!.reason).toMatch(/idle for 301 s \(timeout 300 s\): released; the pool goes to zero/);
    expect(decision.outcome).toBe('scale-in');
    expect(decision.cost).toEqual({ beforeUsdPerHour: P3.spot, afterUsdPerHour: 0 });
  });

  it('an idle node within the timeout stays, and the minimum is kept', () => {
    const young = decide(
      train({ pools: trainingPools([{ id: 'a-1' }]), memory: memoryWith({ idleSince: { 'a-1': T0 - sec(299) } }) }),
    );
    expect(young.actions).toEqual([]);
    const kept = decide(
      train({
        pools: trainingPools([{ id: 'a-1' }]),
        policy: { ...policy, minCapacity: 1 },
        memory: memoryWith({ idleSince: { 'a-1': T0 - HOUR } }),
      }),
    );
    expect(kept.actions).toEqual([]);
  });
});

describe('checkpoint-aware interruptions', () => {
  const notice = (lead: number): SignalInput => ({
    kind: 'spot-interruption',
    instanceId: 'a-1',
    poolId: 'p3-spot-2a',
    deadlineAt: T0 + sec(lead),
    observedAt: T0,
    source: 'aws-ec2',
  });

  it('2-minute notice, 60 s checkpoint: asks for a checkpoint, launches the replacement, releases later', () => {
    const memory = memoryWith({ jobs: { j1: running('j1') } });
    const decision = decide(train({ pools: trainingPools([{ id: 'a-1', jobId: 'j1' }]), memory, signal: notice(120) }));
    expect(decision.actions).toEqual([
      expect.objectContaining({
        type: 'request-checkpoint',
        jobId: 'j1',
        instanceIds: ['a-1'],
        deadlineAt: T0 + sec(120),
      }),
      expect.objectContaining({ type: 'launch-capacity', poolId: 'p3-spot-2b', replacesInstanceId: 'a-1' }),
    ]);
    expect(decision.outcome).toBe('checkpoint');
    expect(decision.memory.ml.checkpointWaits).toEqual([
      expect.objectContaining({ instanceId: 'a-1', deadlineAt: T0 + sec(120) }),
    ]);
    // The interrupted node leaves at the deadline: the after cost counts only the replacement.
    expect(decision.cost).toEqual({ beforeUsdPerHour: P3.spot, afterUsdPerHour: P3.spot });

    const ack = decide(
      train({
        pools: trainingPools([{ id: 'a-1', jobId: 'j1' }], [{ id: 'b-1', state: 'pending' }]),
        memory: decision.memory,
        now: T0 + sec(70),
        signal: job('checkpoint-acknowledged', 'j1', T0 + sec(70), { checkpointAt: T0 + sec(65) }),
      }),
    );
    expect(of(ack.actions, 'drain-and-release')).toEqual([expect.objectContaining({ instanceId: 'a-1' })]);
    expect(ack.memory.ml.checkpointWaits).toEqual([]);
    // 5 s of work between the checkpoint and the acknowledgement: 1 GPU x 5 s = 0.0014 GPU-hours.
    expect(ack.memory.ml.lostGpuHours).toBeCloseTo(5 / 3600, 6);
  });

  it('no acknowledgement by the deadline: released, and the hour since the last checkpoint counts as lost', () => {
    const memory = memoryWith({
      jobs: { j1: running('j1') },
      checkpointWaits: [
        { jobId: 'j1', instanceId: 'a-1', poolId: 'p3-spot-2a', requestedAt: T0, deadlineAt: T0 + sec(120) },
      ],
    });
    const decision = decide(
      train({ pools: trainingPools([{ id: 'a-1', jobId: 'j1' }], [{ id: 'b-1' }]), memory, now: T0 + sec(121) }),
    );
    expect(of(decision.actions, 'drain-and-release')).toEqual([expect.objectContaining({ instanceId: 'a-1' })]);
    // last checkpoint at T0 - 1 h, deadline T0 + 120 s: 1 GPU x 1.0333 h.
    expect(decision.memory.ml.lostGpuHours).toBeCloseTo(1 + 120 / 3600, 6);
    expect(decision.reasons.join('\n')).toMatch(
      /did not acknowledge its checkpoint by the deadline: a-1 released; 1\.03 GPU-hours/,
    );
  });

  it.each([
    {
      label: 'GCP 30 s notice, 60 s checkpoint, gang of 2 x 1 GPU',
      provider: 'gcp' as const,
      lead: 30,
      lost: 2 * (1 + 30 / 3600),
    },
    {
      label: 'AWS 120 s notice, 180 s checkpoint, gang of 2 x 1 GPU',
      provider: 'aws' as const,
      lead: 120,
      lost: 2 * (1 + 120 / 3600),
      checkpointSeconds: 180,
    },
  ])(
    '$label: no time to checkpoint, released at once, work since the last checkpoint lost',
    ({ provider, lead, lost, checkpointSeconds }) => {
      const memory = memoryWith({ jobs: { j1: running('j1', 1, 2) } });
      const decision = decide(
        train({
          provider,
          pools: trainingPools([
            { id: 'a-1', jobId: 'j1' },
            { id: 'a-2', jobId: 'j1' },
          ]),
          memory,
          signal: notice(lead),
          policy: { ...policy, training: { checkpointSeconds: checkpointSeconds ?? 60 } },
        }),
      );
      expect(of(decision.actions, 'request-checkpoint')).toEqual([]);
      expect(of(decision.actions, 'drain-and-release')).toEqual([expect.objectContaining({ instanceId: 'a-1' })]);
      expect(of(decision.actions, 'launch-capacity')).toHaveLength(1);
      expect(decision.memory.ml.lostGpuHours).toBeCloseTo(lost, 6);
    },
  );

  it.each([
    {
      label: 'AWS: a 60 s checkpoint fits in the 2-minute notice, so ride it out',
      provider: 'aws' as const,
      actions: [] as string[],
    },
    {
      label: 'GCP: it does not fit in 30 s, so checkpoint and move now',
      provider: 'gcp' as const,
      actions: ['request-checkpoint', 'launch-capacity'],
    },
  ])('rebalance recommendation, $label', ({ provider, actions }) => {
    const memory = memoryWith({ jobs: { j1: running('j1') } });
    const decision = decide(
      train({
        provider,
        pools: trainingPools([{ id: 'a-1', jobId: 'j1' }]),
        memory,
        signal: {
          kind: 'rebalance-recommendation',
          instanceId: 'a-1',
          poolId: 'p3-spot-2a',
          observedAt: T0,
          source: 'test',
        },
      }),
    );
    expect(decision.actions.map((a) => a.type)).toEqual(actions);
  });

  it('an interrupted idle node is released without a replacement', () => {
    const decision = decide(train({ pools: trainingPools([{ id: 'a-1' }]), signal: notice(120) }));
    expect(decision.actions).toEqual([expect.objectContaining({ type: 'drain-and-release', instanceId: 'a-1' })]);
    expect(decision.reasons.join('\n')).toMatch(/runs no job: released now, no replacement needed/);
  });

  it('a preempted job waits for its replacement instead of launching again', () => {
    const memory = memoryWith({ jobs: { j1: { ...running('j1'), launchedAt: T0 - sec(60), poolId: 'p3-spot-2b' } } });
    const decision = decide(
      train({ pools: trainingPools([], [{ id: 'b-1', state: 'pending' }]), memory, signal: job('preempted', 'j1') }),
    );
    expect(of(decision.actions, 'launch-capacity')).toEqual([]);
    expect(decision.memory.ml.jobs.j1?.state).toBe('launching');
  });
});

it('a capacity error for the pool a job was launched into places the job again, in the next pool', () => {
  const memory = memoryWith({
    jobs: {
      j1: {
        state: 'launching',
        gpusPerNode: 1,
        nodeCount: 2,
        queuedAt: T0 - sec(60),
        launchedAt: T0 - sec(30),
        poolId: 'p3-spot-2a',
      },
    },
  });
  const decision = decide(
    train({
      memory,
      signal: {
        kind: 'capacity-error',
        poolId: 'p3-spot-2a',
        capacityType: 'spot',
        code: 'InsufficientInstanceCapacity',
        observedAt: T0,
        source: 'aws-ec2',
      },
    }),
  );
  expect(of(decision.actions, 'launch-capacity')).toEqual([
    expect.objectContaining({ poolId: 'p3-spot-2b', count: 2 }),
  ]);
  expect(decision.memory.ml.jobs.j1).toMatchObject({ state: 'launching', poolId: 'p3-spot-2b', launchedAt: T0 });
  expect(decision.reasons.join('\n')).toMatch(/job j1 waited on p3-spot-2a: placed again elsewhere/);
});
