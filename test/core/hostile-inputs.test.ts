/**
 * Everything the schema accepts, `decide` decides without throwing. Documents are generated raw (as a user
 * or a parser would write them), with names that are also `Object.prototype` members, numbers at the edges
 * of their ranges and instants at the edges of the timestamp range; those the schema accepts go to `decide`,
 * twice in a row (the second time with the memory the first returned). A throw is a failure, and so is a
 * decision without a reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema, PolicySchema } from '../../core/index.ts';
import { MAX_TIMESTAMP_MS } from '../../core/schema/common.ts';
import { LIMITS } from '../../core/schema/limits.ts';
import { EventParseError, parseEvent } from '../../adapters/events/index.ts';

/** Names that are members of Object.prototype, and some ordinary ones (the schema's id pattern allows them). */
const PROTO_IDS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'prototype'];
const id = fc.constantFrom(...PROTO_IDS, 'nyse', 'primary', 'spot-a', 'p1');
/** Free text names (metric, alarm, job, instance ids, dimension keys) may also be `__proto__`. */
const name = fc.oneof(fc.constantFrom(...PROTO_IDS, '__proto__', '__defineGetter__', 'gpu_utilization'), id);

const T0 = Date.parse('2026-03-02T14:00:00Z');
const instant = fc.oneof(
  fc.constantFrom(0, 1, T0, MAX_TIMESTAMP_MS, MAX_TIMESTAMP_MS - 1, Date.parse('2038-01-19T03:14:08Z')),
  fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
);
const isoInstant = fc.constantFrom('1970-01-01T00:00Z', '9999-12-31T23:59:59.999Z', '2024-02-29T23:59:59+14:00');
const extreme = fc.oneof(
  fc.constantFrom(0, 1, -1, 0.5, 5e-324, -5e-324, 1e308, -1e308, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 1e-9),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const positive = fc.oneof(
  fc.constantFrom(5e-324, 1e-9, 0.5, 1, 100, 1e308, Number.MAX_VALUE),
  fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
);
const count = fc.oneof(fc.constantFrom(0, 1, 2, 100000, Number.MAX_SAFE_INTEGER), fc.integer({ min: 0, max: 50 }));
const seconds = fc.constantFrom(0, 1, 15, 60, 3600, 86400, 604800);
const percent = fc.constantFrom(0, 0.5, 50, 100);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const cron = fc.constantFrom('* * * * *', '30 9 * * 1-5', '0 0 29 2 *', '0 0 31 12 *', '59 23 * * 0', '*/5 * * * * *');
const zone = fc.constantFrom('UTC', 'America/New_York', 'Pacific/Kiritimati', 'Etc/GMT+12', 'Asia/Kathmandu');
const date = fc.constantFrom('1970-01-01', '9999-12-31', '2026-03-02', '2024-02-29');
const instanceType = fc.constantFrom(
  'ml.g5.2xlarge',
  'g5.xlarge',
  'p4d.24xlarge',
  'g2-standard-8',
  'no-such-type',
  'constructor',
);

const rateLimit = fc.record({
  type: fc.constantFrom('Replicas', 'Percent'),
  value: fc.constantFrom(1, 4, 100, Number.MAX_SAFE_INTEGER),
  periodSeconds: fc.constantFrom(1, 15, 1800),
});
const direction = fc.record(
  {
    stabilizationWindowSeconds: fc.constantFrom(0, 300, 3600),
    selectPolicy: fc.constantFrom('Max', 'Min', 'Disabled'),
    policies: fc.array(rateLimit, { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const plan = fc.record(
  {
    name: id,
    start: cron,
    end: cron,
    durationMinutes: fc.constantFrom(1, 60, 10080),
    timezone: zone,
    minCapacity: count,
    maxCapacity: opt(count),
    preWarmSeconds: fc.constantFrom(0, 900, 86400),
    excludeDates: fc.array(date, { maxLength: 3 }),
    excludeCalendars: fc.array(id, { maxLength: 3 }),
  },
  { requiredKeys: ['name', 'start', 'minCapacity', 'end', 'durationMinutes'] },
);

const policy = fc.record(
  {
    minCapacity: count,
    maxCapacity: count,
    targetTracking: fc.array(
      fc.record(
        {
          metric: name,
          targetValue: positive,
          metricType: fc.constantFrom('per-replica', 'total'),
          aggregation: fc.constantFrom('average', 'max', 'latest'),
          windowSeconds: fc.constantFrom(0, 60, 3600),
          scaleOutTolerance: fc.constantFrom(0, 0.1, 1),
          scaleInTolerance: fc.constantFrom(0, 0.1, 1),
          treatMissingAsZero: fc.boolean(),
        },
        { requiredKeys: ['metric', 'targetValue'] },
      ),
      { maxLength: 3 },
    ),
    stepScaling: fc.array(
      fc.record({
        alarmName: name,
        adjustmentType: fc.constantFrom('change-in-capacity', 'percent-change-in-capacity', 'exact-capacity'),
        steps: fc.array(
          fc.record(
            { lowerBound: opt(extreme), upperBound: opt(extreme), adjustment: extreme },
            { requiredKeys: ['adjustment'] },
          ),
          { minLength: 1, maxLength: 3 },
        ),
        minAdjustmentMagnitude: opt(fc.constantFrom(1, Number.MAX_SAFE_INTEGER)),
      }),
      { maxLength: 2 },
    ),
    behavior: fc.record({ scaleUp: direction, scaleDown: direction }, { requiredKeys: [] }),
    cooldown: fc.record({ scaleOutSeconds: seconds, scaleInSeconds: seconds }, { requiredKeys: [] }),
    burst: fc.record(
      {
        enabled: fc.boolean(),
        windowSeconds: fc.constantFrom(0, 6, 600),
        thresholdRatio: fc.constantFrom(1, 2, 100),
        stableWindowSeconds: fc.constantFrom(0, 60, 3600),
      },
      { requiredKeys: [] },
    ),
    missingMetrics: fc.record(
      {
        staleAfterSeconds: fc.constantFrom(1, 300, 86400),
        failureThreshold: fc.constantFrom(1, 3, 1000),
        action: fc.constantFrom('hold', 'set-capacity'),
        capacity: opt(count),
        allowScaleIn: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    replicaBootSeconds: fc.option(fc.constantFrom(0, 525, 86400), { nil: null }),
    observedStaleAfterSeconds: fc.constantFrom(1, 300, 86400),
    schedules: fc.array(plan, { maxLength: 3 }),
    calendars: fc.dictionary(id, fc.array(date, { maxLength: 3 }), { maxKeys: 3 }),
    triggers: fc.array(
      fc.record(
        {
          source: fc.constantFrom('any', 'aws-cloudwatch', 'cloudevents'),
          alarmName: opt(fc.constantFrom('*', 'constructor', 'a*b*c')),
          dimensions: opt(fc.dictionary(name, name, { maxKeys: 2 })),
          metric: opt(name),
        },
        { requiredKeys: ['source'] },
      ),
      { maxLength: 2 },
    ),
    mode: fc.constantFrom('horizontal', 'vertical', 'hybrid'),
    instanceTypes: fc.array(
      fc.record(
        {
          name: instanceType,
          provider: fc.constantFrom('aws', 'gcp'),
          family: fc.constantFrom('g5', 'constructor'),
          gpus: fc.constantFrom(1, 8, Number.MAX_SAFE_INTEGER),
          gpuModel: fc.constantFrom('A10G', 'toString'),
          gpuMemoryGiB: positive,
          vcpus: fc.constantFrom(1, 96),
          memoryGiB: positive,
          onDemandUsdPerHour: positive,
          spotUsdPerHour: positive,
        },
        { requiredKeys: ['name'] },
      ),
      { maxLength: 2 },
    ),
    scaleUp: fc.record(
      {
        latencyMetric: name,
        latencySloMs: fc.constantFrom(0, 1, 1e308),
        gpuMemoryHighPercent: percent,
        lowUtilizationPercent: percent,
        stepDownAfterSeconds: seconds,
        minDwellSeconds: seconds,
        ladderScope: fc.constantFrom('family', 'provider'),
        ladder: fc.array(instanceType, { maxLength: 3 }),
        maxSurge: fc.constantFrom(1, 1000),
      },
      { requiredKeys: [] },
    ),
    spot: fc.record(
      {
        actOnRebalance: fc.boolean(),
        interruptionWindowSeconds: seconds,
        maxInterruptionsPerWindow: fc.constantFrom(0, 3, 10000),
        interruptionPenalty: fc.constantFrom(0, 0.25, 100),
        capacityErrorCooldownSeconds: fc.constantFrom(0, 180, 86400),
        returnToSpotAfterSeconds: seconds,
        onDemandBase: count,
        onDemandPercentAboveBase: percent,
      },
      { requiredKeys: [] },
    ),
    training: fc.record(
      {
        checkpointSeconds: fc.constantFrom(0, 60, 86400),
        idleTimeoutSeconds: seconds,
        onDemandFallback: fc.boolean(),
        launchTimeoutSeconds: fc.constantFrom(0, 900, 86400),
        deadlineSafetySeconds: seconds,
        deadlineStrategy: fc.constantFrom('uniform-progress', 'greedy'),
        defaultDeadlineSlackPercent: fc.option(fc.constantFrom(0, 50, 100000), { nil: null }),
      },
      { requiredKeys: [] },
    ),
    spendCaps: fc.record(
      {
        targetUsdPerHour: fc.option(positive, { nil: null }),
        targetUsdPerDay: fc.option(positive, { nil: null }),
        groupUsdPerHour: fc.option(positive, { nil: null }),
        groupUsdPerDay: fc.option(positive, { nil: null }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const base = (at: fc.Arbitrary<number | string>) => ({
  observedAt: at,
  source: fc.constantFrom('fuzz', 'any'),
  eventId: opt(name),
});
const signal = (at: fc.Arbitrary<number | string>) =>
  fc.oneof(
    fc.record({ kind: fc.constant('metric'), metric: name, value: extreme, ...base(at) }),
    fc.record({ kind: fc.constant('metric-failure'), metric: name, error: fc.constant('x'), ...base(at) }),
    fc.record(
      {
        kind: fc.constant('alarm'),
        alarmName: name,
        state: fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA'),
        metric: opt(name),
        threshold: opt(extreme),
        comparison: opt(fc.constantFrom('above', 'below')),
        datapoints: opt(fc.array(extreme, { maxLength: 3 })),
        value: opt(extreme),
        dimensions: opt(fc.dictionary(name, name, { maxKeys: 2 })),
        ...base(at),
      },
      { requiredKeys: ['kind', 'alarmName', 'state', 'observedAt', 'source'] },
    ),
    fc.record({ kind: fc.constant('schedule-tick'), ...base(at) }),
    fc.record({
      kind: fc.constant('manual-override'),
      capacity: fc.option(count, { nil: null }),
      expiresAt: fc.oneof(instant, isoInstant),
      reason: fc.constant('fuzz'),
      ...base(at),
    }),
    fc.record(
      {
        kind: fc.constant('spot-interruption'),
        instanceId: name,
        poolId: opt(id),
        instanceType: opt(instanceType),
        action: fc.constantFrom('terminate', 'preempt'),
        deadlineAt: instant,
        ...base(at),
      },
      { requiredKeys: ['kind', 'instanceId', 'deadlineAt', 'observedAt', 'source'] },
    ),
    fc.record(
      { kind: fc.constant('rebalance-recommendation'), instanceId: name, poolId: opt(id), ...base(at) },
      { requiredKeys: ['kind', 'instanceId', 'observedAt', 'source'] },
    ),
    fc.record({
      kind: fc.constant('capacity-error'),
      poolId: id,
      capacityType: fc.constantFrom('spot', 'on-demand'),
      code: fc.constant('InsufficientInstanceCapacity'),
      ...base(at),
    }),
    fc.record(
      {
        kind: fc.constant('job'),
        event: fc.constantFrom('queued', 'started', 'finished', 'failed', 'preempted', 'checkpoint-acknowledged'),
        jobId: name,
        gpusPerNode: opt(fc.constantFrom(1, 8, Number.MAX_SAFE_INTEGER)),
        nodeCount: opt(fc.constantFrom(1, 4, Number.MAX_SAFE_INTEGER)),
        priority: opt(fc.constantFrom(0, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
        gpuModel: opt(fc.constantFrom('A10G', 'constructor')),
        instanceIds: opt(fc.array(name, { maxLength: 2 })),
        checkpointAt: opt(instant),
        deadlineAt: opt(instant),
        runSeconds: opt(positive),
        ...base(at),
      },
      { requiredKeys: ['kind', 'event', 'jobId', 'observedAt', 'source'] },
    ),
  );

const pool = fc.record({ id, instanceType, capacityType: fc.constantFrom('spot', 'on-demand') });
const node = fc.record(
  { id: name, state: fc.constantFrom('ready', 'pending', 'draining'), launchedAt: opt(instant), jobId: opt(name) },
  { requiredKeys: ['id'] },
);

const document = fc
  .record({
    now: instant,
    policy,
    kind: fc.constantFrom('inference-endpoint', 'training-pool'),
    provider: fc.constantFrom('aws', 'gcp', 'simulated'),
    pools: fc.array(pool, { minLength: 1, maxLength: 3 }),
    desired: fc.array(
      fc.record({ desired: count, ready: count, pending: count, nodes: opt(fc.array(node, { maxLength: 3 })) }),
      { minLength: 3, maxLength: 3 },
    ),
    group: opt(id),
    groupSpend: opt(fc.record({ usdPerHour: fc.constantFrom(0, 1, 1e308), usdLastDay: fc.constantFrom(0, 1e308) })),
    lag: fc.constantFrom(0, 1, 60_000, MAX_TIMESTAMP_MS),
    signalAt: fc.oneof(fc.constant('now'), instant, isoInstant),
    next: fc.constantFrom(0, 1000, 3_600_000, MAX_TIMESTAMP_MS),
    signal: signal(fc.constant(0)),
    secondSignal: signal(fc.constant(0)),
  })
  .map((g) => {
    // Repair the cross-field rules (one of end or duration, floors under the ceiling, calendars defined) so
    // that most documents are accepted; the edges stay in every field.
    const policy: Record<string, unknown> = { ...g.policy };
    const max = Math.max(g.policy.maxCapacity ?? 10, g.policy.minCapacity ?? 1, 1);
    if (g.policy.maxCapacity !== undefined) policy.maxCapacity = max;
    const calendars = g.policy.calendars ?? {};
    policy.schedules = (g.policy.schedules ?? []).map((plan, i) => {
      const { end, durationMinutes, ...rest } = plan;
      const floor = Math.min(plan.minCapacity, max);
      return {
        ...rest,
        ...(i % 2 === 0 ? { end } : { durationMinutes }),
        minCapacity: floor,
        ...(plan.maxCapacity !== undefined ? { maxCapacity: Math.max(plan.maxCapacity, floor) } : {}),
        excludeCalendars: (plan.excludeCalendars ?? []).filter(
          (name) => name === 'nyse' || Object.hasOwn(calendars, name),
        ),
      };
    });
    const missing = g.policy.missingMetrics;
    if (missing?.action === 'set-capacity' && missing.capacity === undefined)
      policy.missingMetrics = { ...missing, capacity: 0 };
    const observedAt = Math.max(0, g.now - g.lag);
    const at = g.signalAt === 'now' ? g.now : g.signalAt;
    return {
      now: g.now,
      signal: { ...g.signal, observedAt: at },
      secondSignal: g.secondSignal,
      next: Math.min(MAX_TIMESTAMP_MS, g.now + g.next),
      document: {
        now: g.now,
        signal: { ...g.signal, observedAt: at },
        target: {
          id: 'constructor',
          kind: g.kind,
          provider: g.provider,
          pools: g.pools,
          ...(g.group ? { group: g.group } : {}),
        },
        policy,
        observed: {
          observedAt,
          pools: g.pools.map((p, i) => ({
            poolId: p.id,
            instanceType: p.instanceType,
            capacityType: p.capacityType,
            ...g.desired[i]!,
          })),
        },
        ...(g.groupSpend ? { groupSpend: g.groupSpend } : {}),
      },
    };
  });

const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);

// HOSTILE_RUNS=3000 HOSTILE_SEED=n HOSTILE_TIMEOUT=600000 for a longer search (3,000 runs: about 4 minutes).
describe('decide on hostile documents the schema accepts', () => {
  it('never throws, and every decision has a reason', {
    timeout: Number(process.env.HOSTILE_TIMEOUT ?? 60_000),
  }, () => {
    let accepted = 0;
    fc.assert(
      fc.property(document, (generated) => {
        const parsed = DecisionInputSchema.safeParse(generated.document);
        if (!parsed.success) return;
        accepted += 1;
        const first = decide(parsed.data);
        expect(first.reasons.length + first.holds.length).toBeGreaterThan(0);
        const second = DecisionInputSchema.safeParse({
          ...generated.document,
          now: generated.next,
          signal: { ...generated.secondSignal, observedAt: generated.next },
          observed: { ...generated.document.observed, observedAt: generated.next },
        });
        if (!second.success) return;
        const decision = decide({ ...second.data, memory: first.memory });
        expect(decision.reasons.length + decision.holds.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS, seed: Number(process.env.HOSTILE_SEED ?? 11) },
    );
    // Most generated documents must be accepted, or the property tests little.
    expect(accepted).toBeGreaterThan(RUNS / 3);
  });

  it.each([
    ['a calendar named after an Object.prototype member', ['constructor'], { constructor: ['2026-03-02'] }],
    ['an undefined calendar named toString', ['toString'], {}],
    ['valueOf', ['valueOf'], {}],
  ])('%s: validation and decide agree', (_label, excludeCalendars, calendars) => {
    const policyDocument = {
      calendars,
      schedules: [{ name: 'p', start: '0 9 * * *', durationMinutes: 60, minCapacity: 1, excludeCalendars }],
    };
    const parsed = PolicySchema.safeParse(policyDocument);
    if (!parsed.success) {
      // Refused at validation, naming the calendar: never accepted and then thrown on.
      expect(parsed.error.issues[0]!.message).toContain(excludeCalendars[0]!);
      return;
    }
    const input = DecisionInputSchema.parse({
      now: T0,
      signal: { kind: 'schedule-tick', observedAt: T0, source: 't' },
      target: {
        id: 't',
        kind: 'inference-endpoint',
        provider: 'aws',
        pools: [{ id: 'p', instanceType: 'ml.g5.2xlarge' }],
      },
      policy: policyDocument,
      observed: {
        observedAt: T0,
        pools: [{ poolId: 'p', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired: 1, ready: 1 }],
      },
    });
    expect(() => decide(input)).not.toThrow();
  });
});

describe('timestamps are real instants', () => {
  const base = {
    now: T0,
    signal: { kind: 'schedule-tick', observedAt: T0, source: 't' },
    target: {
      id: 't',
      kind: 'inference-endpoint',
      provider: 'aws',
      pools: [{ id: 'p', instanceType: 'ml.g5.2xlarge' }],
    },
    observed: { observedAt: T0, pools: [] },
  };
  const override = (expiresAt: unknown) => ({
    ...base,
    signal: { kind: 'manual-override', capacity: 3, expiresAt, reason: 'r', observedAt: T0, source: 't' },
  });
  it.each([
    ['an override expiring on 30 February at 25:61', override('2026-02-30T25:61Z'), 'signal.expiresAt'],
    [
      'an override expiring on 30 February (Date.parse reads 2 March)',
      override('2026-02-30T10:00Z'),
      'signal.expiresAt',
    ],
    ['an override expiring past the Date range', override(8640000000000001), 'signal.expiresAt'],
    ['now past the Date range', { ...base, now: 8.64e15 + 1 }, 'now'],
    ['now before 1970', { ...base, now: -1 }, 'now'],
    ['now as a fraction of a millisecond', { ...base, now: T0 + 0.5 }, 'now'],
    ['a NaN observedAt', { ...base, signal: { ...base.signal, observedAt: Number.NaN } }, 'signal.observedAt'],
    [
      'a snapshot at 24:00',
      { ...base, observed: { observedAt: '2026-03-01T24:00Z', pools: [] } },
      'observed.observedAt',
    ],
  ])('%s is refused, naming the field', (_label, document, path) => {
    const result = DecisionInputSchema.safeParse(document);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('the last instant of year 9999 is accepted, and decide keeps every later instant it computes valid', () => {
    const result = DecisionInputSchema.safeParse({ ...override('9999-12-31T23:59:59.999Z'), now: MAX_TIMESTAMP_MS });
    expect(result.success).toBe(true);
    if (result.success)
      expect(
        decide({ ...result.data, observed: { observedAt: MAX_TIMESTAMP_MS, pools: [] } }).reasons.join(' '),
      ).toContain('manual override');
  });

  it('a CloudEvent checkpointAt past the Date range is a typed parse error, not a signal', () => {
    const event = {
      specversion: '1.0',
      id: 'e1',
      source: '/ray/clusters/a',
      type: 'dev.tide.job.checkpoint.acknowledged',
      subject: 'job-1',
      time: '2026-03-09T16:43:05Z',
      data: { framework: 'ray', checkpointAt: 8640000000000001 },
    };
    const result = parseEvent(event, 'cloudevents');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(EventParseError);
      expect(result.error.message).toMatch(/checkpointAt/);
    }
  });
});

describe('every list a document holds is bounded', () => {
  const plan = { name: 'p', start: '0 9 * * *', durationMinutes: 60, minCapacity: 1 };
  const pool = (i: number) => ({ id: `p${i}`, instanceType: 'ml.g5.2xlarge' });
  it.each([
    [
      'pools',
      LIMITS.pools,
      (n: number) => ({ target: { pools: Array.from({ length: n }, (_, i) => pool(i)) } }),
      'target.pools',
    ],
    [
      'plans',
      LIMITS.plans,
      (n: number) => ({ policy: { schedules: Array.from({ length: n }, (_, i) => ({ ...plan, name: `p${i}` })) } }),
      'policy.schedules',
    ],
    [
      'triggers',
      LIMITS.triggers,
      (n: number) => ({ policy: { triggers: Array.from({ length: n }, () => ({ source: 'any' })) } }),
      'policy.triggers',
    ],
    [
      'calendars',
      LIMITS.calendars,
      (n: number) => ({
        policy: { calendars: Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, []])) },
      }),
      'policy.calendars',
    ],
    [
      'dates of a calendar',
      LIMITS.datesPerCalendar,
      (n: number) => ({ policy: { calendars: { c: Array.from({ length: n }, () => '2026-03-02') } } }),
      'policy.calendars.c',
    ],
    [
      'target-tracking rules',
      LIMITS.targetTracking,
      (n: number) => ({
        policy: { targetTracking: Array.from({ length: n }, () => ({ metric: 'm', targetValue: 1 })) },
      }),
      'policy.targetTracking',
    ],
  ])('%s: %i accepted, one more refused naming the field', (_label, limit, build, path) => {
    const document = (n: number) => {
      const extra = build(n) as { target?: object; policy?: object };
      return {
        now: T0,
        signal: { kind: 'schedule-tick', observedAt: T0, source: 't' },
        target: { id: 't', kind: 'inference-endpoint', provider: 'aws', pools: [pool(0)], ...extra.target },
        policy: extra.policy ?? {},
        observed: { observedAt: T0, pools: [] },
      };
    };
    expect(DecisionInputSchema.safeParse(document(limit)).success).toBe(true);
    const over = DecisionInputSchema.safeParse(document(limit + 1));
    expect(over.success).toBe(false);
    if (!over.success) expect(over.error.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
