import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { StateCorruptError, StateUnavailableError } from '../../../adapters/state/errors.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { AWS_API_SOURCES } from '../../../functions/aws/lazy-sources.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { awsFixture, cpuPolicy, endpointTarget, shadowRuntime } from '../aws/harness.ts';

const ALARM_AT = Date.parse('2019-10-02T17:04:45Z');
const alarm = () => awsFixture('eventbridge-cloudwatch-alarm-single-metric.json');
/** The same alarm, as a new event (another EventBridge id). */
const alarmWithId = (id: string) => ({ ...alarm(), id });

describe('ingest', () => {
  it('says per target what was decided when one event feeds several targets', async () => {
    const { runtime } = await shadowRuntime(ALARM_AT, {
      'cpu-a': cpuPolicy,
      'cpu-b': { ...cpuPolicy, minCapacity: 3 },
      other: { triggers: [{ source: 'alertmanager' }] },
    });
    const result = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(
      result.decisions.map(({ targetId, status, currentCapacity }) => ({ targetId, status, currentCapacity })),
    ).toEqual([
      { targetId: 'cpu-a', status: 'decided', currentCapacity: 2 },
      { targetId: 'cpu-b', status: 'decided', currentCapacity: 3 },
    ]);
    expect(result).toMatchObject({
      source: 'aws-eventbridge',
      eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      unmatched: [],
      failures: { retryable: [], nonRetryable: [] },
    });
    expect(result.batchItemFailures).toBeUndefined();
  });

  it('lists the signals nothing takes, with what a person needs to find them', async () => {
    const { runtime } = await shadowRuntime(ALARM_AT, {
      'cpu-a': { ...cpuPolicy, triggers: [{ source: 'aws-cloudwatch', alarmName: 'SomethingElse' }] },
    });
    const result = await runtime.ingest.ingest(alarm(), 'auto');
    expect(result.decisions).toEqual([]);
    expect(result.unmatched).toEqual([
      {
        kind: 'alarm',
        source: 'aws-cloudwatch',
        eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
        alarmName: 'ServerCpuTooHigh',
      },
    ]);
  });

  it.each([
    { label: 'truncated JSON', raw: '{"version":"0","id":"trunc', format: 'auto' as const, code: 'malformed' },
    { label: 'a format it does not know', raw: '{}', format: 'aws-kinesis' as never, code: 'unknown-source' },
    {
      label: 'an EventBridge event missing its detail',
      raw: JSON.stringify({ ...alarm(), detail: undefined }),
      format: 'aws-eventbridge' as const,
      code: 'invalid',
    },
  ])('reports $label as a non-retryable failure, never a throw', async ({ raw, format, code }) => {
    const { runtime } = await shadowRuntime(ALARM_AT, { 'cpu-a': cpuPolicy });
    const result = await runtime.ingest.ingest(raw, format);
    expect(result.failures.retryable).toEqual([]);
    expect(result.failures.nonRetryable).toEqual([
      { error: expect.objectContaining({ name: 'EventParseError', code }) },
    ]);
  });

  it('keeps the targets while the loads see no change, and reads them again as soon as one does', async () => {
    const { runtime, clock, failing, memory } = await shadowRuntime(ALARM_AT, { 'cpu-a': cpuPolicy });
    await runtime.ingest.ingest(alarmWithId('e1'), 'aws-eventbridge');
    expect(failing.calls.listTargets).toBe(1);
    // Hours without a change: the routes are not read again, however old.
    clock.time += 3 * 3_600_000;
    await runtime.ingest.ingest(alarmWithId('e2'), 'aws-eventbridge');
    expect(failing.calls.listTargets).toBe(1);
    // A second target appears: cpu-a's load sees the document counter move, the routes are read again, and
    // the new target gets the same event in the same call.
    await memory.putTarget(endpointTarget('cpu-b'));
    await memory.putPolicy('cpu-b', PolicySchema.parse(cpuPolicy));
    clock.time += 1_000;
    const changed = await runtime.ingest.ingest(alarmWithId('e3'), 'aws-eventbridge');
    expect(failing.calls.listTargets).toBe(2);
    expect(changed.decisions.map((d) => [d.targetId, d.status])).toEqual([
      ['cpu-a', 'decided'],
      ['cpu-b', 'decided'],
    ]);
    const next = await runtime.ingest.ingest(alarmWithId('e4'), 'aws-eventbridge');
    expect(failing.calls.listTargets).toBe(2);
    expect(next.decisions.map((d) => d.targetId)).toEqual(['cpu-a', 'cpu-b']);
  });

  it('checks a signal no cached route takes against fresh routes once they are 30 s old', async () => {
    const { runtime, clock, failing, memory } = await shadowRuntime(ALARM_AT, {
      'cpu-a': { ...cpuPolicy, triggers: [{ source: 'aws-cloudwatch', alarmName: 'SomethingElse' }] },
    });
    expect((await runtime.ingest.ingest(alarmWithId('e1'), 'aws-eventbridge')).unmatched).toHaveLength(1);
    await memory.putTarget(endpointTarget('cpu-b'));
    await memory.putPolicy('cpu-b', PolicySchema.parse(cpuPolicy));
    // Within 30 s the cached routes answer (no load happened to see the change).
    clock.time += 29_000;
    expect((await runtime.ingest.ingest(alarmWithId('e2'), 'aws-eventbridge')).unmatched).toHaveLength(1);
    expect(failing.calls.listTargets).toBe(1);
    clock.time += 1_000;
    const fresh = await runtime.ingest.ingest(alarmWithId('e3'), 'aws-eventbridge');
    expect(failing.calls.listTargets).toBe(2);
    expect(fresh.unmatched).toEqual([]);
    expect(fresh.decisions.map((d) => d.targetId)).toEqual(['cpu-b']);
  });

  it('does not cache a failed target read: the next event reads again', async () => {
    const { runtime, failing } = await shadowRuntime(ALARM_AT, { 'cpu-a': cpuPolicy });
    failing.failNext('getPolicy', new StateUnavailableError('getPolicy cpu-a', 3), 1);
    const failed = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(failed.failures.retryable).toEqual([{ error: expect.objectContaining({ name: 'StateUnavailableError' }) }]);
    const retried = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(retried.decisions).toEqual([expect.objectContaining({ targetId: 'cpu-a', status: 'decided' })]);
  });

  it('splits failures: a store outage for one target is retryable, a corrupt value non-retryable, the others still decided', async () => {
    const { runtime, failing } = await shadowRuntime(ALARM_AT, {
      'cpu-a': cpuPolicy,
      'cpu-b': cpuPolicy,
      'cpu-c': cpuPolicy,
    });
    failing.failNext('commit', new StateUnavailableError('commit cpu-a', 3), 1, 'cpu-a');
    failing.failNext(
      'load',
      new StateCorruptError('tide:{default}:state:cpu-c', 'memory fails its schema'),
      1,
      'cpu-c',
    );
    const result = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(result.decisions.map((d) => d.targetId)).toEqual(['cpu-b']);
    expect(result.failures.retryable).toEqual([
      {
        targetId: 'cpu-a',
        eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
        error: { name: 'StateUnavailableError', message: expect.stringContaining('commit cpu-a') },
      },
    ]);
    expect(result.failures.nonRetryable).toEqual([
      {
        targetId: 'cpu-c',
        eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
        error: { name: 'StateCorruptError', message: expect.stringContaining('memory fails its schema') },
      },
    ]);
  });

  it('reports a target deleted while cached as non-retryable (the event cannot be decided for it)', async () => {
    const { runtime, memory } = await shadowRuntime(ALARM_AT, { 'cpu-a': cpuPolicy });
    await runtime.ingest.ingest(alarmWithId('e1'), 'aws-eventbridge');
    await memory.deleteTarget('cpu-a');
    const result = await runtime.ingest.ingest(alarmWithId('e2'), 'aws-eventbridge');
    expect(result.failures.nonRetryable).toEqual([
      expect.objectContaining({ targetId: 'cpu-a', error: expect.objectContaining({ name: 'TargetNotFoundError' }) }),
    ]);
  });

  it('ignores targets without triggers and targets without a policy', async () => {
    const { runtime, memory, failing } = await shadowRuntime(ALARM_AT, { 'no-triggers': { minCapacity: 1 } });
    await memory.putTarget(endpointTarget('no-policy'));
    const result = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(failing.calls.getPolicy).toBe(2);
    expect(result.decisions).toEqual([]);
    expect(result.unmatched).toHaveLength(1);
  });
});

describe('ingest with parsers loaded on demand (the AWS HTTP API)', () => {
  it('a parser that cannot be loaded fails the payload retryably, and the next delivery loads it', async () => {
    let loads = 0;
    const eventSources = AWS_API_SOURCES.map((source) =>
      source.name === 'aws-eventbridge'
        ? {
            ...source,
            load: () => {
              loads += 1;
              return loads === 1 ? Promise.reject(new Error('chunk missing')) : source.load();
            },
          }
        : source,
    );
    const store = new MemoryStateStore({}, () => ALARM_AT);
    const runtime = createRuntime(
      { TIDE_MODE: 'shadow' },
      { eventSources, store, clock: { now: () => ALARM_AT }, write: () => {} },
    );
    const failed = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(failed.failures).toEqual({
      nonRetryable: [],
      retryable: [{ error: { name: 'ParserLoadError', message: 'chunk missing' } }],
    });
    const read = await runtime.ingest.ingest(alarm(), 'aws-eventbridge');
    expect(read.failures).toEqual({ nonRetryable: [], retryable: [] });
    expect(read.source).toBe('aws-eventbridge');
    expect(loads).toBe(2);
  });
});
