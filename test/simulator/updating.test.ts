/**
 * SageMaker refuses a resize while the endpoint is `Updating` (issue 17, section 1): the simulated cloud
 * refuses it for every caller alike, each autoscaler asks again at its next step, and the oracle (a bound,
 * not an autoscaler) is not refused.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedCloud } from '../../adapters/fake-cloud/cloud.ts';
import { ResourceBusyError, isRetryableActuatorError } from '../../adapters/ports/actuator.ts';
import type { Autoscaler } from '../../simulator/autoscaler.ts';
import { awsTargetTracking } from '../../simulator/baselines/aws-target-tracking.ts';
import { hpa } from '../../simulator/baselines/hpa.ts';
import { keda } from '../../simulator/baselines/keda.ts';
import { knativeKpa } from '../../simulator/baselines/knative-kpa.ts';
import { MetricHistory } from '../../simulator/metrics.ts';
import { forgetRefusedScale } from '../../core/strategies/rate-limit.ts';
import { defaultTidePolicy, parseTidePolicy, tideAutoscaler } from '../../simulator/tide.ts';

const TARGET = 5.6;
const pools = [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' as const }];

function endpoint(refuseWhileUpdating: boolean, bootSeconds = 100) {
  return new SimulatedCloud({
    targetId: 'llm',
    pools,
    startAt: 0,
    seed: 1,
    initial: { primary: 2 },
    bootSeconds: { default: bootSeconds },
    refuseWhileUpdating,
  });
}

describe('the simulated cloud refuses a resize while the endpoint is Updating', () => {
  it('a second resize while the first one boots is a ResourceBusyError; the same count again is a no-op', async () => {
    const cloud = endpoint(true);
    cloud.setDesired('primary', 4); // InService: accepted, 2 nodes boot for 100 s
    expect(cloud.updating()).toBe(true);
    const error = (() => {
      try {
        cloud.setDesired('primary', 6);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ResourceBusyError);
    expect((error as Error).message).toBe('endpoint/llm is Updating: the change waits for the next decision');
    expect(isRetryableActuatorError(error)).toBe(false); // the next decision asks again, not a blind retry
    await expect(cloud.setCapacity({ poolId: 'primary', desired: 1 })).rejects.toBeInstanceOf(ResourceBusyError);
    await expect(
      cloud.changeInstanceType({ poolId: 'primary', toInstanceType: 'ml.g5.4xlarge', count: 4 }),
    ).rejects.toBeInstanceOf(ResourceBusyError);
    cloud.setDesired('primary', 4); // toward the count already asked for: accepted, nothing changes
    expect(cloud.totalDesired()).toBe(4);
    expect(cloud.refusedResizes).toBe(3);
    cloud.advanceTo(100_000); // the two nodes are ready: InService again
    expect(cloud.updating()).toBe(false);
    cloud.setDesired('primary', 6);
    expect(cloud.totalDesired()).toBe(6);
  });

  it('without the option (an Auto Scaling group) every resize is accepted at once', () => {
    const cloud = endpoint(false);
    cloud.setDesired('primary', 4);
    cloud.setDesired('primary', 6);
    expect(cloud.totalDesired()).toBe(6);
    expect(cloud.refusedResizes).toBe(0);
  });

  it('a scale-in is accepted while nothing boots, and leaves the endpoint InService', () => {
    const cloud = endpoint(true);
    cloud.setDesired('primary', 1);
    expect(cloud.updating()).toBe(false);
    cloud.setDesired('primary', 3);
    expect(cloud.totalDesired()).toBe(3);
  });
});

/**
 * One second of a ramp of load (2 → 40 replicas' worth in 380 s) on an endpoint: the autoscaler steps, then the
 * second's load is recorded. Returns what was desired before the step and whether the endpoint was Updating.
 */
async function rampStep(autoscaler: Autoscaler, cloud: SimulatedCloud, metrics: MetricHistory, second: number) {
  cloud.advanceTo(second * 1000);
  const ready = cloud.readyNodes().length;
  const before = cloud.totalDesired();
  const updating = cloud.updating();
  await autoscaler.step({
    now: second,
    nowMs: second * 1000,
    metrics,
    cloud,
    poolId: 'primary',
    targetPerReplica: TARGET,
    minReplicas: 1,
    maxReplicas: 100,
    ready,
    desired: before,
  });
  metrics.record(Math.min(40, 2 + second / 10) * TARGET, ready);
  return { before, updating };
}

/** Drive one autoscaler through the ramp, each second, on an endpoint: the seconds it resized at. */
async function drive(autoscaler: Autoscaler, cloud: SimulatedCloud, seconds: number) {
  const metrics = new MetricHistory(seconds);
  const changes: Array<{ second: number; updating: boolean }> = [];
  for (let second = 0; second < seconds; second++) {
    const { before, updating } = await rampStep(autoscaler, cloud, metrics, second);
    if (cloud.totalDesired() !== before) changes.push({ second, updating });
  }
  return changes;
}

describe('every autoscaler alike', () => {
  const tide = (cloud: SimulatedCloud) =>
    tideAutoscaler({
      // The drive records in-flight requests only: Tide tracks them here (its default reads offered load).
      policy: parseTidePolicy(defaultTidePolicy(TARGET, 1, 100, 'in-flight')),
      target: { id: 'llm', kind: 'inference-endpoint', provider: 'simulated', pools },
      actuator: cloud,
    });
  it.each([
    { name: 'hpa', make: (_cloud: SimulatedCloud) => hpa() },
    { name: 'keda', make: (_cloud: SimulatedCloud) => keda([]) },
    { name: 'aws-target-tracking', make: (_cloud: SimulatedCloud) => awsTargetTracking() },
    { name: 'knative-kpa', make: (_cloud: SimulatedCloud) => knativeKpa() },
    { name: 'tide', make: tide },
  ])('$name: no resize lands while a replica boots, it asks again and gets there', async ({ make }) => {
    const refused = endpoint(true, 300);
    const changes = await drive(make(refused), refused, 900);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.filter((change) => change.updating)).toEqual([]);
    // It still follows the ramp, one boot at a time (the HPA ends at 14 here, held by its +100 % per 15 s).
    expect(refused.totalDesired()).toBeGreaterThanOrEqual(8);
    const accepted = endpoint(false, 300);
    const free = await drive(make(accepted), accepted, 900);
    expect(accepted.refusedResizes).toBe(0);
    // The test can tell: without the rule the same autoscaler resizes while replicas boot.
    expect(free.some((change) => change.updating)).toBe(true);
    expect(refused.refusedResizes).toBeGreaterThan(0);
  });
});

describe("a refused resize leaves no scale event in Tide's memory", () => {
  it('every scale event Tide remembers is a resize the endpoint took, so no phantom rate-limits the next one', async () => {
    const cloud = endpoint(true, 300);
    const tide = tideAutoscaler({
      policy: parseTidePolicy(defaultTidePolicy(TARGET, 1, 100, 'in-flight')),
      target: { id: 'llm', kind: 'inference-endpoint', provider: 'simulated', pools },
      actuator: cloud,
    });
    const metrics = new MetricHistory(900);
    const taken = new Set<string>();
    const remembered: Array<[number, number]> = [];
    for (let second = 0; second < 900; second++) {
      const { before } = await rampStep(tide, cloud, metrics, second);
      if (cloud.totalDesired() !== before) taken.add(`${second * 1000}:${cloud.totalDesired() - before}`);
      remembered.push(...tide.memory.scaleEvents.map(([at, delta]) => [at, delta] as [number, number]));
    }
    expect(cloud.refusedResizes).toBeGreaterThan(0); // the endpoint did refuse some
    expect(taken.size).toBeGreaterThan(0);
    const phantoms = remembered.filter(([at, delta]) => !taken.has(`${at}:${delta}`));
    expect(phantoms).toEqual([]);
  });
});

describe('forgetRefusedScale', () => {
  const before = { scaleEvents: [[1_000, 2]] as Array<[number, number]>, lastScaleOutAt: 1_000, lastScaleInAt: null };
  it.each([
    {
      label: 'a refused scale-out: its event dropped, the last scale-out time put back',
      after: {
        scaleEvents: [
          [1_000, 2],
          [9_000, 4],
        ] as Array<[number, number]>,
        lastScaleOutAt: 9_000,
        lastScaleInAt: null,
      },
      at: 9_000,
      expected: before,
    },
    {
      label: 'a refused scale-in after a scale-out taken in the same millisecond: the scale-out stays',
      after: {
        scaleEvents: [
          [1_000, 2],
          [1_000, -1],
        ] as Array<[number, number]>,
        lastScaleOutAt: 1_000,
        lastScaleInAt: 1_000,
      },
      at: 1_000,
      expected: before,
    },
    {
      label: 'a hold (no event at that time): nothing changes',
      after: before,
      at: 9_000,
      expected: before,
    },
  ])('$label', ({ after, at, expected }) => {
    expect(forgetRefusedScale(after, before, at)).toEqual(expected);
  });
});
