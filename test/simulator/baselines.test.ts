import { describe, expect, it } from 'vitest';
import { SimulatedCloud } from '../../adapters/fake-cloud/cloud.ts';
import type { Autoscaler } from '../../simulator/autoscaler.ts';
import { awsTargetTracking, TARGET_TRACKING_STANDARD } from '../../simulator/baselines/aws-target-tracking.ts';
import { hpa, hpaRecommendation } from '../../simulator/baselines/hpa.ts';
import { keda } from '../../simulator/baselines/keda.ts';
import { knativeKpa } from '../../simulator/baselines/knative-kpa.ts';
import { MetricHistory } from '../../simulator/metrics.ts';

const TARGET = 5.6;

/**
 * Drive one autoscaler second by second against a cloud whose replicas boot in `bootSeconds`, with the
 * endpoint's concurrency given per second. Returns the desired count at every second.
 */
async function drive(
  autoscaler: Autoscaler,
  options: { initial: number; seconds: number; concurrency: (second: number) => number; bootSeconds?: number },
) {
  const cloud = new SimulatedCloud({
    targetId: 't',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
    startAt: 0,
    seed: 1,
    initial: { primary: options.initial },
    bootSeconds: { default: options.bootSeconds ?? 0 },
  });
  const metrics = new MetricHistory(options.seconds);
  const desired: number[] = [];
  for (let second = 0; second < options.seconds; second++) {
    cloud.advanceTo(second * 1000);
    const ready = cloud.readyNodes().length;
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
      desired: cloud.totalDesired(),
    });
    desired.push(cloud.totalDesired());
    metrics.record(options.concurrency(second), ready);
  }
  return desired;
}

describe('hpaRecommendation (replica_calculator.go)', () => {
  it.each([
    { label: 'on target', total: 56, ready: 10, current: 10, expected: 10 },
    { label: '1.5× target scales by the ratio', total: 84, ready: 10, current: 10, expected: 15 },
    { label: 'inside the 10 % tolerance', total: 61, ready: 10, current: 10, expected: 10 },
    { label: 'half the target halves', total: 28, ready: 10, current: 10, expected: 5 },
    {
      label: 'booting pods count as 0 on the way up: already enough asked for',
      total: 84,
      ready: 10,
      current: 15,
      expected: 15,
    },
    { label: 'booting pods are dropped on the way down', total: 28, ready: 10, current: 12, expected: 5 },
    { label: 'booting pods count as 0 on the way up: more needed', total: 112, ready: 10, current: 15, expected: 20 },
    { label: 'no ready pod: no change', total: 50, ready: 0, current: 3, expected: 3 },
  ])('$label', ({ total, ready, current, expected }) => {
    expect(hpaRecommendation(total, ready, current, TARGET, 0.1)).toBe(expected);
  });
});

describe('HPA behaviour', () => {
  it('scales up by at most max(+100 %, +4) per 15 s', async () => {
    const desired = await drive(hpa(), { initial: 2, seconds: 61, concurrency: () => 200, bootSeconds: 600 });
    expect(desired[15]).toBe(6); // 2 → max(2 × 2, 2 + 4) = 6
    expect(desired[30]).toBe(12); // 6 → max(12, 10) = 12
  });

  it('holds a scale-in for the 300 s stabilization window', async () => {
    const desired = await drive(hpa(), {
      initial: 10,
      seconds: 1000,
      concurrency: (second) => (second < 300 ? 56 : 28),
    });
    expect(desired[590]).toBe(10);
    expect(desired[630]).toBe(5);
  });
});

describe('scheduled floors', () => {
  it('a KEDA cron trigger raises the HPA recommendation inside its window', async () => {
    const desired = await drive(keda([{ from: 60_000, to: 120_000, min: 6 }]), {
      initial: 2,
      seconds: 200,
      concurrency: () => 11.2,
      bootSeconds: 0,
    });
    expect(desired[59]).toBe(2);
    expect(desired[75]).toBe(6);
  });

  it('an AWS scheduled action scales out to the new minimum at once', async () => {
    const desired = await drive(awsTargetTracking({ scheduledFloors: [{ from: 30_000, to: 90_000, min: 5 }] }), {
      initial: 2,
      seconds: 100,
      concurrency: () => 11.2,
    });
    expect(desired[29]).toBe(2);
    expect(desired[30]).toBe(5);
  });
});

describe('KEDA', () => {
  it('by default the HPA reads the metric live at each 15 s sync', async () => {
    const desired = await drive(keda(), {
      initial: 2,
      seconds: 90,
      concurrency: (second) => (second < 31 ? 11.2 : 40),
    });
    expect(desired[44]).toBe(2); // the 15-30 s and 30-45 s windows: the first change is read at 45 s
    expect(desired[45]).toBeGreaterThan(2);
  });

  it('with useCachedMetrics (keda-cached) sees a change only at its next 30 s poll', async () => {
    const desired = await drive(keda([], { useCachedMetrics: true }), {
      initial: 2,
      seconds: 90,
      concurrency: (second) => (second < 31 ? 11.2 : 40),
    });
    expect(desired[45]).toBe(2); // the 30-60 s poll window still averages ~11
    expect(desired[75]).toBeGreaterThan(2);
  });
});

describe('AWS target tracking', () => {
  it('on the high-resolution metric scales out after 3 datapoints of 10 s above target, each 10 s late', async () => {
    const desired = await drive(awsTargetTracking(), {
      initial: 2,
      seconds: 100,
      concurrency: () => 22.4,
      bootSeconds: 1000,
    });
    // Datapoints for 0-10, 10-20, 20-30 s: the third is delivered at 40 s.
    expect(desired[39]).toBe(2);
    expect(desired[40]).toBe(4); // ceil(2 × 11.2 ÷ 5.6)
  });

  it('on the high-resolution metric scales in at the standard rate: 15 minutes below 90 % of target', async () => {
    const desired = await drive(awsTargetTracking(), { initial: 10, seconds: 1000, concurrency: () => 28 });
    // 90 datapoints of 10 s: the 90th (890-900 s) is delivered at 910 s.
    expect(desired[909]).toBe(10);
    expect(desired[910]).toBe(5);
  });

  it('the 1-minute variant scales out only after 3 one-minute datapoints above target, each a minute late', async () => {
    const desired = await drive(awsTargetTracking(TARGET_TRACKING_STANDARD), {
      initial: 2,
      seconds: 400,
      concurrency: () => 22.4,
      bootSeconds: 1000,
    });
    // Datapoints for minutes 0-1, 1-2, 2-3 are complete by 180 s and delivered at 240 s.
    expect(desired[239]).toBe(2);
    expect(desired[240]).toBe(4); // ceil(2 × 11.2 ÷ 5.6)
  });

  it('the 1-minute variant scales in only after 15 datapoints below 90 % of target', async () => {
    const desired = await drive(awsTargetTracking(TARGET_TRACKING_STANDARD), {
      initial: 10,
      seconds: 1100,
      concurrency: () => 28,
    });
    expect(desired[15 * 60 + 59]).toBe(10);
    expect(desired[16 * 60]).toBe(5);
  });
});

describe('Knative KPA', () => {
  it('panics when the 6 s window asks for 2× the ready pods, and scales at once', async () => {
    const desired = await drive(knativeKpa(), {
      initial: 2,
      seconds: 80,
      concurrency: (second) => (second < 60 ? 11 : 60),
      bootSeconds: 600,
    });
    expect(desired[58]).toBe(2);
    expect(desired[62]).toBe(5); // 6 s window [56, 62): (4 × 11 + 2 × 60) ÷ 6 = 27.3 → ceil(4.9) = 5 ≥ 2 × 2 ready
    expect(desired[66]).toBe(11); // the whole window at 60: ceil(10.7)
  });

  it('scales down at most by half of the ready pods per tick', async () => {
    const desired = await drive(knativeKpa(), {
      initial: 8,
      seconds: 70,
      concurrency: (second) => (second < 2 ? 44 : 0),
    });
    const firstDrop = desired.find((count) => count < 8);
    expect(firstDrop).toBeGreaterThanOrEqual(4);
  });
});
