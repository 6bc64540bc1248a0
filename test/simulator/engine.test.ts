import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordingActuator } from '../../adapters/fake-cloud/recording-actuator.ts';
import { runComparison } from '../../simulator/comparison.ts';
import { POOL_ID, prepareWorkload, simulateRun, type SimulationSettings } from '../../simulator/engine.ts';
import { DEFAULT_SERVING_MODEL } from '../../simulator/serving.ts';
import { parseTidePolicy, tideAutoscaler, defaultTidePolicy } from '../../simulator/tide.ts';
import type { Trace } from '../../simulator/trace.ts';
import { findWorkload } from '../../simulator/workloads.ts';

const T0 = Date.parse('2026-03-09T14:00:00Z');

/** A small synthetic trace: `base` requests per second for 20 min, then `surge` per second for 20 min. */
function stepTrace(base: number, surge: number): Trace {
  const requests = [];
  for (let second = 0; second < 2400; second++) {
    const rate = second < 1200 ? base : surge;
    for (let i = 0; i < rate; i++)
      requests.push({
        arrivalAt: T0 + second * 1000 + Math.floor((i * 1000) / rate),
        contextTokens: 600,
        generatedTokens: 112,
      });
  }
  return { name: 'step', startAt: T0, endAt: requests.at(-1)!.arrivalAt, requests };
}

const settings: SimulationSettings = {
  seed: 1,
  sloMs: 3000,
  model: DEFAULT_SERVING_MODEL,
  instanceType: 'ml.g5.2xlarge',
  capacityType: 'on-demand',
  bootSeconds: { default: 120 },
  targetUtilization: 0.7,
  minReplicas: 1,
  maxReplicas: 30,
  warmupSeconds: 60,
};

describe('comparison on a synthetic load step', () => {
  it('runs every autoscaler and reports the fields scripts read', async () => {
    const report = await runComparison({ trace: stepTrace(2, 6), bootSeconds: 120 });
    expect(report.runs.map((run) => run.name)).toEqual([
      'tide',
      'static-peak',
      'hpa',
      'aws-target-tracking',
      'aws-target-tracking-1m',
      'keda',
      'keda-cached',
      'knative-kpa',
    ]);
    for (const run of report.runs) {
      expect(run.costUsd).toBeGreaterThan(0);
      expect(run.sloViolationShare).toBeGreaterThanOrEqual(0);
      expect(run.sloViolationShare).toBeLessThanOrEqual(1);
      expect(run.p50Ms).toBeLessThanOrEqual(run.p95Ms);
      expect(run.p95Ms).toBeLessThanOrEqual(run.p99Ms);
      expect(run.requests).toBe(2400 * 2 + 1200 * 4);
    }
    const staticPeak = report.runs.find((run) => run.name === 'static-peak')!;
    expect(staticPeak.scalingActions).toBe(0);
    expect(staticPeak.timeToCapacitySeconds).toBe(0);
    // Every autoscaler scaled out for the surge.
    for (const run of report.runs.filter((candidate) => candidate.name !== 'static-peak'))
      expect(run.scalingActions).toBeGreaterThan(0);
  });

  it('gives the same results for the same seed', async () => {
    const once = await runComparison({
      trace: stepTrace(2, 5),
      capacityType: 'spot',
      seed: 9,
      only: ['tide', 'hpa'],
      bootSeconds: 120,
    });
    const again = await runComparison({
      trace: stepTrace(2, 5),
      capacityType: 'spot',
      seed: 9,
      only: ['tide', 'hpa'],
      bootSeconds: 120,
    });
    expect(again.runs).toEqual(once.runs);
  });
});

describe('fair baselines on a workload with plans', () => {
  it('KEDA and AWS target tracking get the plan windows by default; the plan-less forms run beside them', async () => {
    const workload = findWorkload('trading-day')!;
    const only = ['keda', 'keda-plan-less', 'aws-target-tracking', 'aws-target-tracking-plan-less'] as const;
    const options = { trace: await workload.load(1), plans: workload.plans!, only, oracle: false };
    const report = await runComparison(options);
    expect(report.settings.baselineSchedules).toBe(true);
    const named = (name: string) => report.runs.find((run) => run.name === name)!;
    // The open surge is pre-warmed: fewer requests over the SLO than without the windows.
    expect(named('keda').sloViolationShare).toBeLessThan(named('keda-plan-less').sloViolationShare);
    expect(named('aws-target-tracking').sloViolationShare).toBeLessThan(
      named('aws-target-tracking-plan-less').sloViolationShare,
    );
    const without = await runComparison({ ...options, baselineSchedules: false, only: ['keda', 'keda-plan-less'] });
    expect(without.settings.baselineSchedules).toBe(false);
    expect(without.runs.map((run) => run.sloViolationShare)).toEqual([
      named('keda-plan-less').sloViolationShare,
      named('keda-plan-less').sloViolationShare,
    ]);
  }, 60_000);
});

describe('what a workload allows: the work floor and constant capacities', () => {
  it('the work floor is the service seconds at full slots, and no run that serves its requests in time costs less', async () => {
    // stepTrace(2, 6): 600 prompt tokens (0.2 s of prefill) and 112 output tokens (4 s of decode) = 4.2 s each.
    const trace = stepTrace(2, 6);
    const workload = prepareWorkload(trace, settings);
    const serviceSeconds = trace.requests.length * (600 / 3000 + 112 / 28);
    expect(workload.workReplicaHours).toBeCloseTo(serviceSeconds / 8 / 3600, 9);
    const report = await runComparison({
      trace,
      bootSeconds: 120,
      only: ['tide', 'static-peak', 'hpa', 'knative-kpa'],
      frontier: true,
    });
    expect(report.workload.workFloorUsd).toBeCloseTo(workload.workReplicaHours * 1.515, 2);
    // The floor binds runs that serve the requests while they are billed; an under-sized run leaves a
    // backlog that the engine serves after the end without billing (fixed-1 here), so only runs keeping
    // 99 % of requests within the SLO are held to it. The goal asks Tide to keep the SLO at least as well.
    const inTime = [...report.runs, ...report.frontier!].filter((run) => run.sloViolationShare <= 0.01);
    expect(inTime.length).toBeGreaterThanOrEqual(3);
    for (const run of inTime) expect(run.costUsd).toBeGreaterThanOrEqual(report.workload.workFloorUsd);
  });

  it('replays constant capacities 1 … peak; more replicas never cost less nor break the SLO more', async () => {
    const report = await runComparison({
      trace: stepTrace(2, 6),
      bootSeconds: 120,
      only: ['static-peak'],
      frontier: true,
    });
    const frontier = report.frontier!;
    expect(frontier.map((run) => run.name)).toEqual(
      Array.from({ length: report.workload.peakReplicas }, (_, i) => `fixed-${i + 1}`),
    );
    for (let i = 1; i < frontier.length; i++) {
      expect(frontier[i]!.costUsd).toBeGreaterThan(frontier[i - 1]!.costUsd);
      expect(frontier[i]!.sloViolationShare).toBeLessThanOrEqual(frontier[i - 1]!.sloViolationShare);
      expect(frontier[i]!.scalingActions).toBe(0);
    }
    // The largest constant capacity is static-peak itself.
    expect(frontier.at(-1)!.costUsd).toBe(report.runs[0]!.costUsd);
    expect(frontier.at(-1)!.sloViolationShare).toBe(report.runs[0]!.sloViolationShare);
  });
});

describe('Tide in the simulator', () => {
  it('acts through the actuator port with the real core decisions', async () => {
    const workload = prepareWorkload(stepTrace(2, 6), settings);
    const policy = parseTidePolicy(defaultTidePolicy(5.6, 1, 30));
    const target = {
      id: 'simulated-endpoint',
      kind: 'inference-endpoint' as const,
      provider: 'simulated' as const,
      pools: [{ id: POOL_ID, instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' as const }],
    };
    let recorder: RecordingActuator | undefined;
    const result = await simulateRun(workload, settings, (cloud) => {
      recorder = new RecordingActuator(cloud);
      return tideAutoscaler({ policy, target, actuator: recorder });
    });
    const sets = recorder!.callsOf('setCapacity');
    expect(sets.length).toBeGreaterThan(0);
    expect(sets.every((call) => call.request.poolId === POOL_ID)).toBe(true);
    expect(Math.max(...sets.map((call) => call.request.desired))).toBeGreaterThanOrEqual(
      workload.neededPerMinute.at(-1)!,
    );
    expect(recorder!.callsOf('readCapacity').length).toBeGreaterThan(100);
    expect(result.scalingActions).toBe(
      sets.filter((call, i) => i === 0 || call.request.desired !== sets[i - 1]!.request.desired).length,
    );
  });

  it('a policy file replaces the default policy', async () => {
    const pinned = { minCapacity: 3, maxCapacity: 3 };
    const report = await runComparison({ trace: stepTrace(1, 1), policy: pinned, only: ['tide'], bootSeconds: 60 });
    expect(report.settings.tidePolicy.maxCapacity).toBe(3);
    expect(report.runs[0]!.perMinute.ready.at(-1)).toBe(3);
  });
});

describe('Tide releasing a node the cloud already took back', () => {
  it('counts the release as done (fast-check found it: two requests, spot, seed 236)', async () => {
    const requests = [0, 299_001].map((ms) => ({ arrivalAt: T0 + ms, contextTokens: 1, generatedTokens: 1 }));
    const trace: Trace = { name: 'reclaim-race', startAt: T0, endAt: requests.at(-1)!.arrivalAt, requests };
    const report = await runComparison({ trace, seed: 236, bootSeconds: 60, capacityType: 'spot', only: ['tide'] });
    expect(report.runs[0]!.requests).toBe(2);
  });
});

describe('results hold together on any small trace', () => {
  it('shares in [0, 1], ordered percentiles, cost ≥ 0, every request counted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 600_000 }),
            fc.integer({ min: 1, max: 8000 }),
            fc.integer({ min: 1, max: 600 }),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        async (rows, seed) => {
          const requests = rows
            .map(([ms, c, g]) => ({ arrivalAt: T0 + ms, contextTokens: c, generatedTokens: g }))
            .sort((a, b) => a.arrivalAt - b.arrivalAt);
          const trace: Trace = {
            name: 'random',
            startAt: Math.floor(requests[0]!.arrivalAt / 1000) * 1000,
            endAt: requests.at(-1)!.arrivalAt,
            requests,
          };
          const report = await runComparison({
            trace,
            seed,
            bootSeconds: 60,
            capacityType: seed % 2 === 0 ? 'spot' : 'on-demand',
          });
          for (const run of report.runs) {
            expect(run.requests).toBe(requests.length);
            expect(run.sloViolationShare).toBeGreaterThanOrEqual(0);
            expect(run.sloViolationShare).toBeLessThanOrEqual(1);
            expect(run.p50Ms).toBeLessThanOrEqual(run.p95Ms);
            expect(run.p95Ms).toBeLessThanOrEqual(run.p99Ms);
            expect(run.costUsd).toBeGreaterThanOrEqual(0);
            expect(run.perMinute.ready.every((ready) => ready >= 0 && ready <= report.settings.maxReplicas)).toBe(true);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
