import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Action } from '../../../core/index.ts';
import { HOUR, P3, T0, memoryWith, mlInput, sec, type NodeSpec } from './ml-builders.ts';

/** A training pool with one spot pool and one on-demand pool of p3.2xlarge. */
const pools = (spot: NodeSpec[], od: NodeSpec[]) => [
  { id: 'p3-spot', instanceType: 'p3.2xlarge', capacityType: 'spot' as const, nodes: spot },
  { id: 'p3-od', instanceType: 'p3.2xlarge', capacityType: 'on-demand' as const, nodes: od },
];
const job = {
  state: 'running',
  gpusPerNode: 1,
  nodeCount: 1,
  queuedAt: T0 - 3 * HOUR,
  startedAt: T0 - 2 * HOUR,
  lastCheckpointAt: T0 - HOUR,
  instanceIds: ['od-1'],
};
const policy = { minCapacity: 0, spot: { returnToSpotAfterSeconds: 300 } };
const types = (actions: Action[]) => actions.map((a) => a.type);

describe('training jobs on on-demand move back to spot', () => {
  it('step 1 after 300 s of quiet: launch one spot node first, touch nothing running', () => {
    const memory = memoryWith({ jobs: { j1: job }, fallbackSince: T0 - HOUR, lastSpotTroubleAt: T0 - sec(301) });
    const decision = decide(
      mlInput({ kind: 'training-pool', pools: pools([], [{ id: 'od-1', jobId: 'j1' }]), memory, policy }),
    );
    expect(decision.actions).toEqual([
      expect.objectContaining({ type: 'launch-capacity', poolId: 'p3-spot', count: 1 }),
    ]);
    // $3.06 on-demand now, $3.06 + $0.918 while both run.
    expect(decision.cost).toEqual({ beforeUsdPerHour: P3.onDemand, afterUsdPerHour: P3.onDemand + P3.spot });
    expect(decision.memory.ml.returningToSpotAt).toBe(T0);
  });

  it('not before 300 s of quiet', () => {
    const memory = memoryWith({ jobs: { j1: job }, fallbackSince: T0 - HOUR, lastSpotTroubleAt: T0 - sec(299) });
    const decision = decide(
      mlInput({ kind: 'training-pool', pools: pools([], [{ id: 'od-1', jobId: 'j1' }]), memory, policy }),
    );
    expect(decision.actions).toEqual([]);
  });

  it('a capacity error on that launch keeps on-demand and launches nothing elsewhere', () => {
    const memory = memoryWith({
      jobs: { j1: job },
      fallbackSince: T0 - HOUR,
      lastSpotTroubleAt: T0 - sec(400),
      returningToSpotAt: T0 - sec(1),
    });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        pools: [
          { ...pools([], [])[0]!, desired: 1, ready: 0, pending: 0 },
          pools([], [{ id: 'od-1', jobId: 'j1' }])[1]!,
        ],
        memory,
        policy,
        signal: {
          kind: 'capacity-error',
          poolId: 'p3-spot',
          capacityType: 'spot',
          code: 'InsufficientInstanceCapacity',
          observedAt: T0,
          source: 'test',
        },
      }),
    );
    expect(decision.actions).toEqual([
      expect.objectContaining({ type: 'set-capacity', poolId: 'p3-spot', from: 1, to: 0 }),
    ]);
    expect(decision.reasons.join('\n')).toMatch(/the way back to spot failed: on-demand keeps the load/);
    expect(decision.memory.ml.returningToSpotAt).toBeNull();
    expect(decision.memory.ml.lastSpotTroubleAt).toBe(T0);
  });

  it('step 2 once the spot node is up: the job checkpoints, then its on-demand node goes', () => {
    const memory = memoryWith({
      jobs: { j1: job },
      fallbackSince: T0 - HOUR,
      lastSpotTroubleAt: T0 - sec(700),
      returningToSpotAt: T0 - sec(300),
    });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools([{ id: 'spot-1' }], [{ id: 'od-1', jobId: 'j1' }]),
        memory,
        policy,
      }),
    );
    expect(types(decision.actions)).toEqual(['request-checkpoint']);
    expect(decision.actions[0]).toMatchObject({ jobId: 'j1', instanceIds: ['od-1'], deadlineAt: T0 + sec(300) });
    expect(decision.memory.ml.checkpointWaits).toEqual([
      expect.objectContaining({ instanceId: 'od-1', planned: true }),
    ]);

    const ack = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools([{ id: 'spot-1' }], [{ id: 'od-1', jobId: 'j1' }]),
        memory: decision.memory,
        policy,
        now: T0 + sec(50),
        signal: {
          kind: 'job',
          event: 'checkpoint-acknowledged',
          jobId: 'j1',
          checkpointAt: T0 + sec(50),
          observedAt: T0 + sec(50),
          source: 'test',
        },
      }),
    );
    expect(ack.actions).toEqual([expect.objectContaining({ type: 'drain-and-release', instanceId: 'od-1' })]);
    expect(ack.cost).toEqual({ beforeUsdPerHour: P3.onDemand + P3.spot, afterUsdPerHour: P3.spot });
  });

  it('a move whose checkpoint never comes is called off, not killed, and not retried for an hour', () => {
    const memory = memoryWith({
      jobs: { j1: job },
      checkpointWaits: [
        {
          jobId: 'j1',
          instanceId: 'od-1',
          poolId: 'p3-od',
          requestedAt: T0 - sec(300),
          deadlineAt: T0 - sec(1),
          planned: true,
        },
      ],
    });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools([{ id: 'spot-1' }], [{ id: 'od-1', jobId: 'j1' }]),
        memory,
        policy,
      }),
    );
    expect(types(decision.actions)).not.toContain('drain-and-release');
    expect(decision.reasons.join('\n')).toMatch(/the move is called off, it keeps running on od-1/);
    expect(decision.memory.ml.jobs.j1?.moveCalledOffAt).toBe(T0);
    expect(decision.memory.ml.lostGpuHours).toBe(0);

    const soon = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools([{ id: 'spot-1' }], [{ id: 'od-1', jobId: 'j1' }]),
        memory: decision.memory,
        policy,
        now: T0 + sec(600),
      }),
    );
    expect(types(soon.actions)).not.toContain('request-checkpoint');
    const later = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools([{ id: 'spot-1' }], [{ id: 'od-1', jobId: 'j1' }]),
        memory: decision.memory,
        policy,
        now: T0 + HOUR,
      }),
    );
    expect(types(later.actions)).toContain('request-checkpoint');
  });

  it('spot only (onDemandFallback false): a queued job waits for spot instead of going on-demand', () => {
    const memory = memoryWith({
      pools: { 'p3-spot': { lastCapacityErrorAt: T0 - sec(30), lastCapacityErrorCode: 'ICE' } },
    });
    const decision = decide(
      mlInput({
        kind: 'training-pool',
        pools: pools([], []),
        memory,
        policy: { ...policy, training: { onDemandFallback: false } },
        signal: { kind: 'job', event: 'queued', jobId: 'j9', observedAt: T0, source: 'test' },
      }),
    );
    expect(decision.actions).toEqual([]);
    expect(decision.holds[0]?.reason).toMatch(
      /spot only \(training\.onDemandFallback is false\): waiting for spot capacity/,
    );
  });
});
