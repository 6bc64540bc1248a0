/**
 * Cases from the peers' own test tables, replayed through `decide` (issue 17, section 4). Each row names the
 * upstream case it comes from; the facts (counts, targets, expectations) are theirs, the wiring is Tide's:
 *
 * - Kubernetes HPA: kubernetes/kubernetes pkg/controller/podautoscaler (horizontal.go, horizontal_test.go);
 * - Knative's KPA: knative/serving pkg/autoscaler/scaling (autoscaler.go, autoscaler_test.go);
 * - KEDA's cron scaler: kedacore/keda pkg/scalers/cron_scaler.go (its metadata validation).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import type { Decision, PolicyInput, SignalInput } from '../../core/index.ts';
import { PolicySchema } from '../../core/schema/policy.ts';
import type { CliIo } from '../../functions/cli/command.ts';
import { main } from '../../functions/cli/main.ts';
import { input, metric, sec, T0, tick } from './builders.ts';

/** CPU-like utilization against `target` %, and a second metric (a queue) that may never arrive. */
const twoMetrics = (target: number, extra: PolicyInput = {}): PolicyInput => ({
  maxCapacity: 6,
  targetTracking: [
    { metric: 'cpu_utilization', targetValue: target, windowSeconds: 0 },
    { metric: 'queue_depth', targetValue: 10, metricType: 'total', windowSeconds: 0 },
  ],
  burst: { enabled: false },
  ...extra,
});

const failure = (name: string, at: number): SignalInput => ({
  kind: 'metric-failure',
  metric: name,
  error: 'timeout',
  observedAt: at,
  source: 'test',
});

/** Feed signals in order, carrying memory and applying each decision's capacity (all of it ready). */
function replay(
  policy: PolicyInput,
  start: number,
  steps: { at: number; signal: SignalInput; ready?: number }[],
  memory?: Decision['memory'],
): Decision[] {
  let desired = start;
  let carried = memory;
  return steps.map((step) => {
    const decision = decide(
      input({
        now: step.at,
        signal: step.signal,
        policy,
        desired,
        ready: step.ready ?? desired,
        ...(carried ? { memory: carried } : {}),
      }),
    );
    carried = decision.memory;
    desired = decision.desiredCapacity;
    return decision;
  });
}

describe('HPA: a failing or missing metric blocks a scale-in, not a scale-out', () => {
  // horizontal.go computeReplicasForMetrics: "If all metrics are invalid or some are invalid and we would
  // scale down, return an error" (no scaling). The valid metric's numbers are the upstream tables'.
  it.each([
    {
      upstream: 'TestScaleUpOneMetricInvalid: 3 at 40 % of a 30 % target, one invalid metric → 4',
      start: 3,
      target: 30,
      value: 40,
      other: undefined,
      want: 4,
    },
    {
      upstream: 'TestScaleDownOneMetricInvalid (its setup): 5 at 28 % of a 50 % target, one invalid metric → stays 5',
      start: 5,
      target: 50,
      value: 28,
      other: undefined,
      want: 5,
    },
    {
      upstream: 'TestScaleDownOneMetricInvalid, the other metric failing to read (a metric-failure) → stays 5',
      start: 5,
      target: 50,
      value: 28,
      other: 'failure',
      want: 5,
    },
    {
      upstream: 'TestScaleDownOneMetricInvalid, the other metric stale (last sample 10 min old) → stays 5',
      start: 5,
      target: 50,
      value: 28,
      other: 'stale',
      want: 5,
    },
    {
      upstream: 'TestScaleDown: 5 at 28 % of a 50 % target, both metrics valid → 3',
      start: 5,
      target: 50,
      value: 28,
      other: 'fresh',
      want: 3,
    },
  ])('$upstream', ({ start, target, value, other, want }) => {
    const policy = twoMetrics(target, { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    const before: { at: number; signal: SignalInput }[] = [];
    if (other === 'failure') before.push({ at: T0 - sec(20), signal: failure('queue_depth', T0 - sec(20)) });
    if (other === 'stale') before.push({ at: T0 - sec(600), signal: metric('queue_depth', 5, T0 - sec(600)) });
    if (other === 'fresh') before.push({ at: T0 - sec(10), signal: metric('queue_depth', 5, T0 - sec(10)) });
    const decisions = replay(policy, start, [...before, { at: T0, signal: metric('cpu_utilization', value, T0) }]);
    const last = decisions.at(-1)!;
    expect(last.desiredCapacity).toBe(want);
    if (want === start) {
      expect(last.holds.map((h) => h.reason).join('\n')).toMatch(
        /scale-in to 3 held: queue_depth has no fresh sample, .* holding at 5/,
      );
    }
  });

  it('TestScaleUpBothMetricsEmpty: 3 replicas, no metric valid → stays 3 (the missing-metrics fallback holds)', () => {
    const [d] = replay(twoMetrics(30), 3, [{ at: T0, signal: tick(T0) }]);
    expect(d?.desiredCapacity).toBe(3);
    expect(d?.holds.map((h) => h.rule)).toContain('missing-metrics');
  });
});

describe('HPA: a target with no memory starts its scale-down window at the current capacity', () => {
  const policy: PolicyInput = {
    maxCapacity: 6,
    targetTracking: [{ metric: 'cpu_utilization', targetValue: 50, windowSeconds: 0 }],
    burst: { enabled: false },
  };
  it.each([
    {
      upstream: 'TestScaleDownStabilizeInitialSize: no recommendations yet, 5 at 28 % of 50 % → stays 5',
      at: 0,
      want: 5,
    },
    { upstream: 'the same, 299 s later: still inside the 300 s window seeded with 5', at: 299, want: 5 },
    { upstream: 'the same, 301 s later: the seed left the window → 3 (TestScaleDown)', at: 301, want: 3 },
  ])('$upstream', ({ at, want }) => {
    const steps = [{ at: T0, signal: metric('cpu_utilization', 28, T0) }];
    if (at > 0) steps.push({ at: T0 + sec(at), signal: metric('cpu_utilization', 28, T0 + sec(at)) });
    const last = replay(policy, 5, steps).at(-1)!;
    expect(last.desiredCapacity).toBe(want);
  });

  it('TestNormalizeDesiredReplicas "empty log": the first decision says why it holds', () => {
    const [d] = replay(policy, 5, [{ at: T0, signal: metric('cpu_utilization', 28, T0) }]);
    expect(d?.reasons.join('\n')).toMatch(
      /no memory of this target \(new, or its memory was lost or expired\): the 300 s scale-down window starts at the current 5 replicas/,
    );
    expect(d?.holds.map((h) => h.reason).join('\n')).toMatch(/scale-in held at 5/);
  });

  it('a memory lost in the middle of a run (Redis expiry): held again, not shed at once', () => {
    const steps = [0, 100, 400].map((s) => ({ at: T0 + sec(s), signal: metric('cpu_utilization', 28, T0 + sec(s)) }));
    const first = replay(policy, 5, steps);
    expect(first.map((d) => d.desiredCapacity)).toEqual([5, 5, 3]);
    // The memory is gone: 3 replicas at a quarter of the target are held at 3, not dropped to 2.
    const [after] = replay(policy, 3, [{ at: T0 + sec(410), signal: metric('cpu_utilization', 25, T0 + sec(410)) }]);
    expect(after?.desiredCapacity).toBe(3);
  });

  it('scale-out is not held by the seed (the default scale-up window is 0), and a window of 0 seeds nothing', () => {
    const [up] = replay(policy, 2, [{ at: T0, signal: metric('cpu_utilization', 100, T0) }]);
    expect(up?.desiredCapacity).toBe(4);
    const noWindow = { ...policy, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } };
    const [down] = replay(noWindow, 5, [{ at: T0, signal: metric('cpu_utilization', 28, T0) }]);
    expect(down?.desiredCapacity).toBe(3);
  });
});

describe('Knative: capacity that never becomes ready is released when demand is gone', () => {
  // autoscaler.go reads zero ready pods as one ("Use 1 if there are zero current pods"), so zero demand gives
  // zero pods whether or not any became ready. Tide held a target with nothing ready at its size for ever.
  const policy = (metricType: 'per-replica' | 'total'): PolicyInput => ({
    minCapacity: 0,
    maxCapacity: 10,
    targetTracking: [{ metric: 'load', targetValue: 10, metricType, windowSeconds: 0 }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    burst: { enabled: false },
  });
  it.each([
    {
      upstream: 'TestAutoscalerStableModeNoTrafficScaleToZero: 4 asked for, none ready, no traffic → 0',
      metricType: 'per-replica' as const,
      value: 0,
      want: 0,
    },
    {
      upstream: 'the same with a total metric (a queue of 0) → 0',
      metricType: 'total' as const,
      value: 0,
      want: 0,
    },
    {
      upstream:
        'TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound (Knative scales from one on traffic): with 4 asked for and booting, Tide waits for them',
      metricType: 'per-replica' as const,
      value: 30,
      want: 4,
    },
    {
      upstream: 'the same with a total metric of 30 at 10 per replica → keeps the 4 asked for',
      metricType: 'total' as const,
      value: 30,
      want: 4,
    },
  ])('$upstream', ({ metricType, value, want }) => {
    const [d] = replay(policy(metricType), 4, [{ at: T0, signal: metric('load', value, T0), ready: 0 }]);
    expect(d?.desiredCapacity).toBe(want);
    if (want === 0)
      expect(d?.reasons.join('\n')).toMatch(/none of the 4 replicas asked for is ready and there is no demand/);
  });

  it('with the default 300 s window, never-ready capacity goes once the window has seen no demand', () => {
    const p = { ...policy('per-replica'), behavior: {} };
    const steps = [0, 150, 301].map((s) => ({ at: T0 + sec(s), signal: metric('load', 0, T0 + sec(s)), ready: 0 }));
    expect(replay(p, 4, steps).map((d) => d.desiredCapacity)).toEqual([4, 4, 0]);
  });
});

describe('Knative: panic mode holds its maximum until the surge has passed (Tide agrees)', () => {
  // autoscaler.go: "We do not scale down while in panic mode. Only increases will be applied." Tide's burst
  // mode does the same; its one difference is documented in the README (it compares unrounded demand).
  const policy: PolicyInput = {
    maxCapacity: 200,
    targetTracking: [{ metric: 'concurrency', targetValue: 10, windowSeconds: 0 }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    burst: { windowSeconds: 6, stableWindowSeconds: 60 },
  };
  it('TestAutoscalerPanicThenUnPanicScaleDown: 10 → 100 in panic; traffic drops: 100 at +30 s, 1 after the stable window', () => {
    const steps = [
      { at: T0, signal: metric('concurrency', 100, T0) }, // 10 ready at 10 × target: 100
      { at: T0 + sec(30), signal: metric('concurrency', 0.1, T0 + sec(30)) },
      { at: T0 + sec(61), signal: metric('concurrency', 0.1, T0 + sec(61)) },
    ];
    expect(replay(policy, 10, steps).map((d) => d.desiredCapacity)).toEqual([100, 100, 1]);
  });

  it('AutoscalerPanicStableLessThanPanic: in panic at 5, demand asks for more → follows it up at once', () => {
    const steps = [
      { at: T0, signal: metric('concurrency', 25, T0) }, // 2 ready: 5 ≥ 2 × 2, a burst to 5
      { at: T0 + sec(10), signal: metric('concurrency', 100, T0 + sec(10)) }, // 5 ready ask for 50
    ];
    const decisions = replay(policy, 2, steps);
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([5, 50]);
  });
});

describe('KEDA: a plan whose start equals its end is refused', () => {
  // cron_scaler.go: "start and end can not have exactly same time input". In Tide it was a floor that never
  // closed: each window ends at the next `end`, a full period after its start.
  const plan = (start: string, end: string) => ({
    schedules: [{ name: 'office', start, end, minCapacity: 4, timezone: 'Asia/Kolkata' }],
  });
  it.each([
    { upstream: 'the KEDA docs: start 0 6 * * *, end 0 6 * * *', start: '0 6 * * *', end: '0 6 * * *', ok: false },
    { upstream: 'the KEDA docs: start 30 * * * *, end 30 * * * *', start: '30 * * * *', end: '30 * * * *', ok: false },
    { upstream: 'the same line spaced differently', start: '30 * * * *', end: ' 30  *  * * * ', ok: false },
    {
      upstream: 'the KEDA docs example: start 30 * * * *, end 45 * * * *',
      start: '30 * * * *',
      end: '45 * * * *',
      ok: true,
    },
  ])('$upstream', ({ start, end, ok }) => {
    const parsed = PolicySchema.safeParse(plan(start, end));
    expect(parsed.success).toBe(ok);
    if (!parsed.success) {
      const issue = parsed.error.issues.find((candidate) => candidate.path.join('.') === 'schedules.0.end');
      expect(issue?.message).toMatch(/must differ from "start": a window that closes when it opens never closes/);
    }
  });

  it('tide validate names the field and the value, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tide-validate-keda-'));
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(plan('0 6 * * *', '0 6 * * *')));
    const err: string[] = [];
    const cli: CliIo = { out: () => {}, err: (t) => void err.push(t), isTty: false };
    expect(await main(['validate', file], cli)).toBe(2);
    expect(err.join('\n')).toMatch(/schedules\[0\]\.end: must differ from "start".*was: "0 6 \* \* \*"/);
  });
});
