import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import type { Decision } from '../../core/index.ts';
import { input, metric, policy, sec, T0, tick, type InputOptions } from './builders.ts';

const gpu = (targetValue: number, extra: Record<string, unknown> = {}) => ({
  targetTracking: [{ metric: 'gpu_utilization', targetValue, windowSeconds: 0, ...extra }],
});

/** Run a sequence of signals through decide, carrying memory and applying the decided capacity at once. */
function run(
  steps: { at: number; value?: number; signal?: InputOptions['signal'] }[],
  options: { policy: InputOptions['policy']; start: number; ready?: (desired: number) => number },
): Decision[] {
  let desired = options.start;
  let memory: Decision['memory'] | undefined;
  const out: Decision[] = [];
  for (const step of steps) {
    const signal =
      step.signal ?? (step.value !== undefined ? metric('gpu_utilization', step.value, step.at) : tick(step.at));
    const decision = decide(
      input({
        now: step.at,
        signal,
        policy: options.policy,
        desired,
        ready: options.ready ? options.ready(desired) : desired,
        ...(memory ? { memory } : {}),
      }),
    );
    out.push(decision);
    memory = decision.memory;
    desired = decision.desiredCapacity;
  }
  return out;
}

describe('target tracking: the HPA formula and tolerance', () => {
  it.each([
    { label: '4 ready at 90 % vs 60 % → ceil(4 × 1.5) = 6', ready: 4, value: 90, target: 60, want: 6 },
    { label: '3 ready at 70 % vs 60 % → ceil(3 × 1.1667) = 4', ready: 3, value: 70, target: 60, want: 4 },
    { label: 'ratio 1.08 is within the 10 % tolerance → no change', ready: 5, value: 65, target: 60, want: 5 },
    { label: 'ratio 1.1 exactly is still within tolerance', ready: 5, value: 66, target: 60, want: 5 },
    { label: 'ratio 0.92 within scale-in tolerance → no change', ready: 6, value: 55, target: 60, want: 6 },
    {
      label: '10 ready at 30 % vs 60 % → 5 after stabilization (window 0 here)',
      ready: 10,
      value: 30,
      target: 60,
      want: 5,
      down: 0,
    },
    {
      label: '10 ready at 0.7 of target → exactly 7, not 8 (float noise)',
      ready: 10,
      value: 42,
      target: 60,
      want: 7,
      down: 0,
    },
  ])('$label', ({ ready, value, target, want, down }) => {
    const d = decide(
      input({
        desired: ready,
        signal: metric('gpu_utilization', value, T0),
        policy: { ...gpu(target), maxCapacity: 50, behavior: { scaleDown: { stabilizationWindowSeconds: down ?? 0 } } },
      }),
    );
    expect(d.desiredCapacity).toBe(want);
    expect(d.reasons.join('\n')).toMatch(/gpu_utilization/);
  });

  it('uses READY replicas as the base: 2 ready of 6 desired at 150 % of target asks for 3, so no new scale-out', () => {
    const d = decide(input({ desired: 6, ready: 2, signal: metric('gpu_utilization', 90, T0), policy: gpu(60) }));
    expect(d.desiredCapacity).toBe(6);
    expect(d.actions).toEqual([]);
    expect(d.reasons.join('\n')).toMatch(/already asked for/);
  });

  it('per-replica and total metrics: queue depth 45 at 10 per replica → 5', () => {
    const d = decide(
      input({
        desired: 2,
        signal: metric('queue_depth', 45, T0),
        policy: {
          targetTracking: [{ metric: 'queue_depth', targetValue: 10, metricType: 'total', windowSeconds: 0 }],
          burst: { enabled: false },
        },
      }),
    );
    expect(d.desiredCapacity).toBe(5);
  });

  it('several metrics: the largest recommendation wins', () => {
    const p = {
      targetTracking: [
        { metric: 'gpu_utilization', targetValue: 60, windowSeconds: 0 },
        { metric: 'concurrency', targetValue: 4, windowSeconds: 0 },
      ],
      burst: { enabled: false },
      maxCapacity: 50,
    };
    const first = decide(input({ desired: 4, signal: metric('gpu_utilization', 75, T0), policy: p }));
    expect(first.desiredCapacity).toBe(5);
    // 16 s later (past the 15 s rate-limit period): gpu still says ceil(5 × 1.25) = 7, concurrency ceil(5 × 2) = 10.
    const second = decide(
      input({
        desired: 5,
        now: T0 + sec(16),
        signal: metric('concurrency', 8, T0 + sec(16)),
        policy: p,
        memory: first.memory,
      }),
    );
    expect(second.desiredCapacity).toBe(10);
    expect(second.reasons.join('\n')).toMatch(/largest recommendation wins: 10/);
  });

  it('averages over the window: samples 90, 30 within 60 s average 60 → on target', () => {
    const p = {
      targetTracking: [{ metric: 'gpu_utilization', targetValue: 60, windowSeconds: 60 }],
      burst: { enabled: false },
    };
    const a = decide(input({ desired: 4, now: T0, signal: metric('gpu_utilization', 90, T0), policy: p }));
    const b = decide(
      input({
        desired: 4,
        now: T0 + sec(30),
        signal: metric('gpu_utilization', 30, T0 + sec(30)),
        policy: p,
        memory: { ...a.memory, recommendations: [] },
      }),
    );
    expect(b.desiredCapacity).toBe(4);
  });
});

describe('step scaling on the size of the breach', () => {
  const steps = {
    stepScaling: [
      {
        alarmName: 'p95-latency-high',
        steps: [
          { lowerBound: 0, upperBound: 200, adjustment: 1 },
          { lowerBound: 200, adjustment: 3 },
        ],
      },
      {
        alarmName: 'queue-pct',
        adjustmentType: 'percent-change-in-capacity' as const,
        minAdjustmentMagnitude: 2,
        steps: [{ lowerBound: 0, adjustment: 10 }],
      },
    ],
    maxCapacity: 40,
  };
  const alarm = (alarmName: string, value: number, threshold: number, state: 'ALARM' | 'OK' = 'ALARM') => ({
    kind: 'alarm' as const,
    alarmName,
    state,
    threshold,
    datapoints: [threshold, value],
    observedAt: T0,
    source: 'aws-cloudwatch',
  });
  it.each([
    { label: 'breach 50 ms → +1', signal: alarm('p95-latency-high', 850, 800), current: 4, want: 5 },
    { label: 'breach 350 ms → +3', signal: alarm('p95-latency-high', 1150, 800), current: 4, want: 7 },
    { label: 'alarm OK → no step', signal: alarm('p95-latency-high', 700, 800, 'OK'), current: 4, want: 4 },
    {
      label: '10 % of 4 = 0.4 → at least 1, min magnitude 2 → +2',
      signal: alarm('queue-pct', 120, 100),
      current: 4,
      want: 6,
    },
    { label: '10 % of 30 = 3 → +3', signal: alarm('queue-pct', 120, 100), current: 30, want: 33 },
  ])('$label', ({ signal, current, want }) => {
    const d = decide(input({ desired: current, signal, policy: steps }));
    expect(d.desiredCapacity).toBe(want);
  });
});

describe('a step alarm that stays in ALARM steps again, as Application Auto Scaling does', () => {
  const policyOf = (cooldown = 0) => ({
    stepScaling: [{ alarmName: 'queue-high', steps: [{ lowerBound: 0, adjustment: 2 }] }],
    cooldown: { scaleOutSeconds: cooldown },
    maxCapacity: 12,
  });
  const alarm = (at: number, state: 'ALARM' | 'OK', previousState: 'ALARM' | 'OK') => ({
    signal: {
      kind: 'alarm' as const,
      alarmName: 'queue-high',
      state,
      previousState,
      threshold: 100,
      datapoints: [150],
      observedAt: at,
      source: 'aws-cloudwatch',
    },
  });

  it('one state change, then every tick after the repeat interval steps again; OK stops it', () => {
    const decisions = run(
      [
        { at: T0, ...alarm(T0, 'ALARM', 'OK') },
        { at: T0 + sec(30) }, // tick: 30 s after the step, not due
        { at: T0 + sec(60) }, // tick: a minute after, due
        { at: T0 + sec(120) },
        { at: T0 + sec(150), ...alarm(T0 + sec(150), 'OK', 'ALARM') },
        { at: T0 + sec(180) },
      ],
      { policy: policyOf(), start: 2 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([4, 4, 6, 8, 8, 8]);
    expect(decisions[1]?.holds.map((h) => h.reason)).toContain(
      'step alarm queue-high still in ALARM, its next step not due: holding at 4',
    );
    expect(decisions[2]?.reasons.join('\n')).toMatch(
      /alarm queue-high is still in ALARM \(state from 60 s ago\): steps again \(last step 60 s ago, repeat interval 60 s\)/,
    );
    expect(decisions[2]?.actions[0]?.reason).toMatch(
      /still in ALARM, steps again: alarm queue-high: value 150, threshold 100/,
    );
  });

  it('bounded by the scale-out cooldown, and by maxCapacity', () => {
    const decisions = run(
      [
        { at: T0, ...alarm(T0, 'ALARM', 'OK') },
        { at: T0 + sec(60) },
        { at: T0 + sec(120) },
        { at: T0 + sec(180) },
        { at: T0 + sec(360) },
        { at: T0 + sec(540) },
        { at: T0 + sec(720) },
      ],
      { policy: policyOf(180), start: 2 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([4, 4, 4, 6, 8, 10, 12]);
    const end = run([{ at: T0, ...alarm(T0, 'ALARM', 'OK') }, { at: T0 + sec(60) }], { policy: policyOf(), start: 11 });
    expect(end.map((d) => d.desiredCapacity)).toEqual([12, 12]);
  });

  it('the same ALARM delivered again (a re-read, a second route) does not step twice within the interval', () => {
    const decisions = run(
      [
        { at: T0, ...alarm(T0, 'ALARM', 'OK') },
        { at: T0 + sec(10), ...alarm(T0, 'ALARM', 'ALARM') },
        { at: T0 + sec(70), ...alarm(T0, 'ALARM', 'ALARM') },
      ],
      { policy: policyOf(), start: 2 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([4, 4, 6]);
  });
});

describe('stabilization windows', () => {
  it('scale-in waits for the highest recommendation of the last 300 s', () => {
    const p = { ...gpu(60), burst: { enabled: false } };
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(60), value: 15 },
        { at: T0 + sec(240), value: 15 },
        { at: T0 + sec(301), value: 15 },
      ],
      { policy: p, start: 8 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([8, 8, 8, 2]);
    expect(decisions[1]?.holds[0]?.rule).toBe('stabilization');
    expect(decisions[2]?.holds[0]?.reason).toMatch(
      /60 s left of the 300 s stabilization window after 8 replicas were recommended/,
    );
  });

  it('keeps a run of equal recommendations as one entry stamped with its latest time, and still holds for the whole window after it', () => {
    const p = { ...gpu(60), burst: { enabled: false } };
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(200), value: 60 },
        { at: T0 + sec(300), value: 15 },
        { at: T0 + sec(499), value: 15 },
        { at: T0 + sec(501), value: 15 },
      ],
      { policy: p, start: 8 },
    );
    expect(decisions[1]?.memory.recommendations).toEqual([[T0 + sec(200), 8]]);
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([8, 8, 8, 8, 2]);
    expect(decisions[3]?.holds[0]?.reason).toMatch(/1 s left of the 300 s stabilization window after 8 replicas/);
  });

  it('a scale-up window takes the lowest recommendation inside it', () => {
    const p = { ...gpu(60), burst: { enabled: false }, behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } };
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(30), value: 120 },
        { at: T0 + sec(61), value: 120 },
      ],
      { policy: p, start: 4 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([4, 4, 8]);
  });
});

describe('rate limits in the manner of HPA behavior policies', () => {
  it.each([
    {
      label: 'default: 3 → wanted 20, max(+100 % = 6, +4 = 7) → 7',
      start: 3,
      value: 400,
      want: 7,
      scaleUp: {} as { selectPolicy?: 'Max' | 'Min' | 'Disabled' },
    },
    { label: 'default: 10 → wanted 40, max(20, 14) → 20', start: 10, value: 240, want: 20, scaleUp: {} },
    {
      label: 'selectPolicy Min: min(6, 7) → 6',
      start: 3,
      value: 400,
      want: 6,
      scaleUp: { selectPolicy: 'Min' as const },
    },
    {
      label: 'Disabled: no scale-up at all',
      start: 3,
      value: 400,
      want: 3,
      scaleUp: { selectPolicy: 'Disabled' as const },
    },
  ])('$label', ({ start, value, want, scaleUp }) => {
    const d = decide(
      input({
        desired: start,
        signal: metric('gpu_utilization', value, T0),
        policy: { ...gpu(60), maxCapacity: 100, burst: { enabled: false }, behavior: { scaleUp } },
      }),
    );
    expect(d.desiredCapacity).toBe(want);
    if (want !== 40) expect(d.holds.some((h) => h.rule === 'rate-limit')).toBe(true);
  });

  it('counts what was already added inside the period: +4 per 60 s allows 4 in total, then waits', () => {
    const p = {
      ...gpu(60),
      maxCapacity: 100,
      burst: { enabled: false },
      behavior: { scaleUp: { policies: [{ type: 'Replicas' as const, value: 4, periodSeconds: 60 }] } },
    };
    const decisions = run(
      [
        { at: T0, value: 240 },
        { at: T0 + sec(20), value: 240 },
        { at: T0 + sec(61), value: 240 },
      ],
      { policy: p, start: 2 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([6, 6, 10]);
  });

  it('scale-down: -1 replica per 60 s', () => {
    const p = {
      ...gpu(60),
      burst: { enabled: false },
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 0,
          policies: [{ type: 'Replicas' as const, value: 1, periodSeconds: 60 }],
        },
      },
    };
    const decisions = run(
      [
        { at: T0, value: 10 },
        { at: T0 + sec(30), value: 10 },
        { at: T0 + sec(61), value: 10 },
      ],
      { policy: p, start: 6 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([5, 5, 4]);
  });
});

describe('cooldowns', () => {
  it('a scale-out cooldown of 120 s holds a second scale-out', () => {
    const p = { ...gpu(60), maxCapacity: 100, burst: { enabled: false }, cooldown: { scaleOutSeconds: 120 } };
    const decisions = run(
      [
        { at: T0, value: 90 },
        { at: T0 + sec(60), value: 90 },
        { at: T0 + sec(121), value: 90 },
      ],
      { policy: p, start: 4 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([6, 6, 9]);
    expect(decisions[1]?.holds.find((h) => h.rule === 'cooldown')?.reason).toMatch(
      /60 s left of the 120 s scale-out cooldown/,
    );
  });
});

describe('burst mode (Knative panic)', () => {
  const p = { ...gpu(60), maxCapacity: 100, burst: { windowSeconds: 6, stableWindowSeconds: 60 } };
  it('demand at 2× ready scales at once past the rate limit, and holds scale-in until the burst has passed', () => {
    const decisions = run(
      [
        { at: T0, value: 600 }, // asks for ceil(2 × 10) = 20 ≥ 2 × 2
        { at: T0 + sec(10), value: 10 },
        { at: T0 + sec(59), value: 10 },
        { at: T0 + sec(61), value: 10 },
      ],
      { policy: { ...p, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }, start: 2 },
    );
    expect(decisions[0]?.desiredCapacity).toBe(20); // rate limit alone would allow 6
    expect(decisions[0]?.reasons.join('\n')).toMatch(/burst starts/);
    expect(decisions[1]?.desiredCapacity).toBe(20);
    expect(decisions[2]?.desiredCapacity).toBe(20);
    expect(decisions[3]?.desiredCapacity).toBeLessThan(20);
    expect(decisions[3]?.reasons.join('\n')).toMatch(/burst over/);
  });

  it('compares unrounded demand: 1 ready at 104 % of target is no burst (ceil would say 2 = 2 × 1)', () => {
    const d = decide(input({ desired: 1, signal: metric('gpu_utilization', 62.4, T0), policy: p }));
    expect(d.desiredCapacity).toBe(1);
    expect(d.memory.burst).toBeNull();
  });

  it('does not re-trigger against ready capacity while the replicas it asked for are still booting', () => {
    // 2 ready, 20 asked for (18 booting); demand of 20 is ≥ 2 × ready but nothing more than is coming.
    const d = decide(input({ desired: 20, ready: 2, signal: metric('gpu_utilization', 600, T0), policy: p }));
    expect(d.desiredCapacity).toBe(20);
    expect(d.memory.burst).toBeNull();
  });

  it('while replicas it asked for boot, a burst grows only at 2× everything asked for (a growing queue is not new demand)', () => {
    // 4 ready, 10 asked for (6 booting). A backlog waiting for them makes the 6 s demand 15: more than is
    // coming but under 2 × 10, so no burst (target tracking alone still asks for 15, within its rate
    // limit); at 20 (= 2 × 10) the spike itself has doubled: a burst, past the rate limit, to 20.
    const under = decide(input({ desired: 10, ready: 4, signal: metric('gpu_utilization', 225, T0), policy: p }));
    expect(under.memory.burst).toBeNull();
    expect(under.reasons.join('\n')).not.toMatch(/burst/);
    const over = decide(input({ desired: 10, ready: 4, signal: metric('gpu_utilization', 300, T0), policy: p }));
    expect(over.desiredCapacity).toBe(20);
    expect(over.reasons.join('\n')).toMatch(/burst starts: the last 6 s ask for 20 replicas, ≥ 2 × 10 asked for/);
  });

  it('demand below 2× ready is ordinary scaling, rate-limited', () => {
    const d = decide(input({ desired: 10, signal: metric('gpu_utilization', 108, T0), policy: p }));
    expect(d.desiredCapacity).toBe(18);
    expect(d.memory.burst).toBeNull();
  });
});

describe('replicaBootSeconds: buy only for demand that lasts as long as a boot', () => {
  // 4 replicas at the 60 % target; replicas take 300 s to boot.
  const p = { ...gpu(60), maxCapacity: 100, replicaBootSeconds: 300 };
  it('a sustained doubling scales out once it has lasted 300 s, to the lowest ask of those 300 s', () => {
    const decisions = run(
      [
        { at: T0, value: 60 }, // asks for 4
        { at: T0 + sec(60), value: 120 }, // asks for 8: 4 was asked for 60 s ago
        { at: T0 + sec(200), value: 120 },
        { at: T0 + sec(301), value: 120 }, // the ask for 4 left the window: 8
      ],
      { policy: p, start: 4 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([4, 4, 4, 8]);
    expect(decisions[1]?.holds.map((h) => h.reason).join('\n')).toMatch(
      /scale-out held at 4: 240 s left of the 300 s stabilization window after 4 replicas was the lowest recommended \(replicas boot in 300 s: a shorter spike is over before they are ready\)/,
    );
  });

  it('a spike shorter than a boot buys nothing', () => {
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(60), value: 150 }, // asks for 10 for 4 minutes
        { at: T0 + sec(240), value: 150 },
        { at: T0 + sec(300), value: 60 },
        { at: T0 + sec(400), value: 60 },
      ],
      { policy: p, start: 4 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([4, 4, 4, 4, 4]);
  });

  it('no burst mode when a replica boots slower than a burst lasts, and it says so', () => {
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(10), value: 600 }, // asks for 40 ≥ 2 × 4 ready: a burst without the boot time
      ],
      { policy: p, start: 4 },
    );
    expect(decisions[1]?.desiredCapacity).toBe(4);
    expect(decisions[1]?.memory.burst).toBeNull();
    expect(decisions[1]?.reasons.join('\n')).toMatch(
      /no burst: replicas boot in 300 s, longer than a burst's 60 s stable window/,
    );
    // Without replicaBootSeconds the same input is a burst.
    const fast = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(10), value: 600 },
      ],
      { policy: { ...gpu(60), maxCapacity: 100 }, start: 4 },
    );
    expect(fast[1]?.desiredCapacity).toBe(40);
  });

  it('a boot faster than the burst stable window keeps burst mode', () => {
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(10), value: 600 },
      ],
      { policy: { ...p, replicaBootSeconds: 30 }, start: 4 },
    );
    expect(decisions[1]?.memory.burst).not.toBeNull();
    expect(decisions[1]?.desiredCapacity).toBe(40);
  });

  it('scale from zero and scheduled floors are not delayed', () => {
    const wake = decide(
      input({ desired: 0, ready: 0, signal: metric('gpu_utilization', 5, T0), policy: { ...p, minCapacity: 0 } }),
    );
    expect(wake.desiredCapacity).toBe(1);
    const floor = decide(
      input({
        desired: 4,
        signal: metric('gpu_utilization', 60, T0),
        policy: { ...p, schedules: [{ name: 'all-day', start: '0 0 * * *', durationMinutes: 1440, minCapacity: 9 }] },
      }),
    );
    expect(floor.desiredCapacity).toBe(9);
  });
});

describe('scale to zero and back', () => {
  const p = { ...gpu(60), minCapacity: 0, burst: { enabled: false } };
  it('goes to zero after the stabilization window with no demand', () => {
    const decisions = run(
      [
        { at: T0, value: 60 },
        { at: T0 + sec(60), value: 0 },
        { at: T0 + sec(301), value: 0 },
      ],
      { policy: p, start: 1 },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual([1, 1, 0]);
  });

  it('the first demand signal wakes the target to at least one, at once', () => {
    const d = decide(input({ desired: 0, ready: 0, signal: metric('gpu_utilization', 5, T0), policy: p }));
    expect(d.desiredCapacity).toBe(1);
    expect(d.reasons.join('\n')).toMatch(/wakes the target/);
  });

  it('a total metric wakes straight to what it needs: 35 queued at 10 per replica → 4', () => {
    const d = decide(
      input({
        desired: 0,
        ready: 0,
        signal: metric('queue', 35, T0),
        policy: { minCapacity: 0, targetTracking: [{ metric: 'queue', targetValue: 10, metricType: 'total' }] },
      }),
    );
    expect(d.desiredCapacity).toBe(4);
  });

  it('a step alarm in ALARM wakes a target at zero', () => {
    const d = decide(
      input({
        desired: 0,
        ready: 0,
        policy: {
          minCapacity: 0,
          stepScaling: [{ alarmName: 'queue-high', steps: [{ lowerBound: 0, adjustment: 2 }] }],
        },
        signal: {
          kind: 'alarm',
          alarmName: 'queue-high',
          state: 'ALARM',
          threshold: 1,
          value: 5,
          observedAt: T0,
          source: 'test',
        },
      }),
    );
    expect(d.desiredCapacity).toBe(2);
  });
});

describe('missing metrics fallback (KEDA-style)', () => {
  const failure = (at: number) => ({
    kind: 'metric-failure' as const,
    metric: 'gpu_utilization',
    error: 'timeout',
    observedAt: at,
    source: 'test',
  });
  it.each([
    { label: 'hold: never changes capacity', fallback: { failureThreshold: 3 }, start: 12, want: [12, 12, 12] },
    {
      label: 'set-capacity 4 does not go below current 12',
      fallback: { failureThreshold: 3, action: 'set-capacity' as const, capacity: 4 },
      start: 12,
      want: [12, 12, 12],
    },
    {
      label: 'set-capacity 4 with allowScaleIn goes to 4 after 3 failures',
      fallback: { failureThreshold: 3, action: 'set-capacity' as const, capacity: 4, allowScaleIn: true },
      start: 12,
      want: [12, 12, 4],
    },
    {
      label: 'set-capacity 6 raises 2 to 6 after 3 failures',
      fallback: { failureThreshold: 3, action: 'set-capacity' as const, capacity: 6 },
      start: 2,
      want: [2, 2, 6],
    },
  ])('$label', ({ fallback, start, want }) => {
    const p = {
      ...gpu(60),
      missingMetrics: fallback,
      maxCapacity: 20,
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    };
    const decisions = run(
      [0, 30, 60].map((s) => ({ at: T0 + sec(s), signal: failure(T0 + sec(s)) })),
      { policy: p, start },
    );
    expect(decisions.map((d) => d.desiredCapacity)).toEqual(want);
    expect(decisions[0]?.holds.some((h) => h.rule === 'missing-metrics')).toBe(true);
  });

  it('INSUFFICIENT_DATA alarms count as failures; a fresh metric resets the count', () => {
    const insufficient = (at: number) => ({
      kind: 'alarm' as const,
      alarmName: 'gpu-high',
      metric: 'gpu_utilization',
      state: 'INSUFFICIENT_DATA' as const,
      observedAt: at,
      source: 'test',
    });
    const p = { ...gpu(60) };
    const decisions = run(
      [
        { at: T0, signal: insufficient(T0) },
        { at: T0 + sec(60), signal: insufficient(T0 + sec(60)) },
        { at: T0 + sec(120), value: 60 },
      ],
      { policy: p, start: 3 },
    );
    expect(decisions[1]?.memory.missing.consecutive).toBe(2);
    expect(decisions[2]?.memory.missing.consecutive).toBe(0);
  });

  it('a stale sample is not acted on', () => {
    const d = decide(
      input({ now: T0 + sec(400), desired: 3, signal: metric('gpu_utilization', 99, T0), policy: gpu(60) }),
    );
    expect(d.desiredCapacity).toBe(3);
    expect(d.holds.map((h) => h.rule)).toContain('stale-data');
  });
});

describe('missing or stale capacity data never throws', () => {
  it('no snapshot → invalid hold', () => {
    const base = input({ policy: gpu(60), signal: metric('gpu_utilization', 99, T0) });
    const d = decide({ ...base, observed: null });
    expect(d.valid).toBe(false);
    expect(d.actions).toEqual([]);
    expect(d.holds[0]?.rule).toBe('stale-data');
  });
  it('snapshot 10 minutes old → invalid hold naming its age', () => {
    const d = decide(input({ observedAt: T0 - sec(600), policy: gpu(60), signal: metric('gpu_utilization', 99, T0) }));
    expect(d.valid).toBe(false);
    expect(d.reasons.join('\n')).toMatch(/600 s old/);
  });
  it('a signal stamped in the future is ignored', () => {
    const d = decide(input({ desired: 3, policy: gpu(60), signal: metric('gpu_utilization', 99, T0 + sec(3600)) }));
    expect(d.desiredCapacity).toBe(3);
    expect(d.reasons.join('\n')).toMatch(/in the future/);
  });
});

describe('manual override', () => {
  it('pins capacity until it expires, inside the policy bounds', () => {
    const p = { ...gpu(60), maxCapacity: 10 };
    const override = {
      kind: 'manual-override' as const,
      capacity: 9,
      expiresAt: T0 + sec(600),
      reason: 'launch event',
      observedAt: T0,
      source: 'tide-api',
    };
    const a = decide(input({ desired: 2, signal: override, policy: p }));
    expect(a.desiredCapacity).toBe(9);
    const b = decide(
      input({
        desired: 9,
        now: T0 + sec(300),
        signal: metric('gpu_utilization', 5, T0 + sec(300)),
        policy: p,
        memory: a.memory,
      }),
    );
    expect(b.desiredCapacity).toBe(9);
    const c = decide(
      input({
        desired: 9,
        now: T0 + sec(601),
        signal: metric('gpu_utilization', 5, T0 + sec(601)),
        policy: p,
        memory: b.memory,
      }),
    );
    expect(c.memory.override).toBeNull();
    expect(c.reasons.join('\n')).toMatch(/expired/);
  });
  it('is clamped to maxCapacity', () => {
    const override = {
      kind: 'manual-override' as const,
      capacity: 50,
      expiresAt: T0 + sec(600),
      reason: 'x',
      observedAt: T0,
      source: 'tide-api',
    };
    expect(decide(input({ desired: 2, signal: override, policy: { maxCapacity: 10 } })).desiredCapacity).toBe(10);
  });
});

describe('bounds', () => {
  it('raises a target below min at once, whatever the rate limits say', () => {
    const d = decide(
      input({
        desired: 1,
        policy: { minCapacity: 8, maxCapacity: 10, behavior: { scaleUp: { selectPolicy: 'Disabled' } } },
      }),
    );
    expect(d.desiredCapacity).toBe(8);
  });
  it('a schedule-only policy with no plan open goes to min', () => {
    const d = decide(
      input({
        desired: 5,
        policy: policy({ minCapacity: 1, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }),
      }),
    );
    expect(d.desiredCapacity).toBe(1);
  });
});
