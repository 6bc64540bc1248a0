import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../core/decision.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import {
  actuatorsByProvider,
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  ThrottledError,
  UnsupportedProviderError,
} from '../../../adapters/ports/actuator.ts';
import { RecordingActuator } from '../../../adapters/fake-cloud/recording-actuator.ts';
import { isRetryable } from '../../../adapters/state/errors.ts';
import { classifyActuatorError, reconcile } from '../../../functions/shell/reconciler.ts';

const NOW = Date.parse('2026-03-09T15:00:00Z');

const launchSpot: Action = {
  type: 'launch-capacity',
  poolId: 'spot-a',
  instanceType: 'p4d.24xlarge',
  capacityType: 'spot',
  count: 2,
  reason: 'replace the interrupted nodes',
};
const release: Action = { type: 'drain-and-release', poolId: 'spot-a', instanceId: 'i-1', reason: 'interrupted' };
const setOnDemand: Action = { type: 'set-capacity', poolId: 'od', from: 0, to: 1, reason: 'fallback' };
const checkpoint: Action = {
  type: 'request-checkpoint',
  jobId: 'job-1',
  instanceIds: ['i-1'],
  deadlineAt: NOW + 120_000,
  reason: 'notice',
};
const move: Action = {
  type: 'change-instance-type',
  poolId: 'od',
  fromInstanceType: 'p4d.24xlarge',
  toInstanceType: 'p5.48xlarge',
  count: 1,
  reason: 'scale up',
};
const noCapacity = () =>
  new InsufficientCapacityError('spot-a', 'p4d.24xlarge', 'spot', 'InsufficientInstanceCapacity', 1);

describe('reconcile: each action becomes one port call, in order', () => {
  it('calls the port once per action with the idempotency key <prefix>:<index>, and records every action done', async () => {
    const port = new RecordingActuator();
    const result = await reconcile({ actions: [checkpoint, launchSpot, release, setOnDemand, move] }, port, {
      now: NOW,
      source: 'test',
      idempotencyPrefix: 'evt-9',
    });
    expect(port.calls).toEqual([
      {
        method: 'requestCheckpoint',
        request: { jobId: 'job-1', instanceIds: ['i-1'], deadlineAt: NOW + 120_000, idempotencyKey: 'evt-9:0' },
      },
      {
        method: 'launchCapacity',
        request: {
          poolId: 'spot-a',
          instanceType: 'p4d.24xlarge',
          capacityType: 'spot',
          count: 2,
          idempotencyKey: 'evt-9:1',
        },
      },
      { method: 'drainAndRelease', request: { poolId: 'spot-a', instanceId: 'i-1', idempotencyKey: 'evt-9:2' } },
      { method: 'setCapacity', request: { poolId: 'od', desired: 1, idempotencyKey: 'evt-9:3' } },
      {
        method: 'changeInstanceType',
        request: { poolId: 'od', toInstanceType: 'p5.48xlarge', count: 1, idempotencyKey: 'evt-9:4' },
      },
    ]);
    expect(result).toEqual({
      actions: [
        { index: 0, type: 'request-checkpoint', status: 'done' },
        { index: 1, type: 'launch-capacity', status: 'done', instanceIds: ['fake-1', 'fake-2'] },
        { index: 2, type: 'drain-and-release', status: 'done' },
        { index: 3, type: 'set-capacity', status: 'done' },
        { index: 4, type: 'change-instance-type', status: 'done' },
      ],
      retry: false,
      signals: [],
    });
  });

  it('passes no idempotency key when given no prefix (the simulator), and a launch replacing a node names it', async () => {
    const port = new RecordingActuator();
    await reconcile({ actions: [{ ...launchSpot, replacesInstanceId: 'i-1' }] }, port, { now: NOW, source: 'test' });
    expect(port.calls[0]).toEqual({
      method: 'launchCapacity',
      request: {
        poolId: 'spot-a',
        instanceType: 'p4d.24xlarge',
        capacityType: 'spot',
        count: 2,
        replacesInstanceId: 'i-1',
      },
    });
  });

  it('does nothing for a decision without actions', async () => {
    const port = new RecordingActuator();
    expect(await reconcile({ actions: [] }, port, { now: NOW, source: 'test' })).toEqual({
      actions: [],
      retry: false,
      signals: [],
    });
    expect(port.calls).toEqual([]);
  });
});

describe('reconcile: errors as data', () => {
  it.each([
    {
      label: 'no capacity: failed for good, a capacity-error signal, the rest skipped',
      actions: [launchSpot, release],
      error: noCapacity(),
      statuses: ['failed', 'skipped'],
      retry: false,
      signals: [
        {
          kind: 'capacity-error',
          poolId: 'spot-a',
          instanceType: 'p4d.24xlarge',
          capacityType: 'spot',
          code: 'InsufficientInstanceCapacity',
          message: 'no spot capacity for p4d.24xlarge in pool spot-a (InsufficientInstanceCapacity); launched 1',
          observedAt: NOW,
          source: 'test',
        },
      ],
    },
    {
      label: 'throttled: retryable, the rest skipped',
      actions: [setOnDemand, release],
      error: new ThrottledError('Rate exceeded'),
      statuses: ['retryable', 'skipped'],
      retry: true,
      signals: [],
    },
    {
      label: 'an unknown error (a network failure): retryable, as the shell always treated it',
      actions: [setOnDemand],
      error: new Error('socket hang up'),
      statuses: ['retryable'],
      retry: true,
      signals: [],
    },
    {
      label: 'no such pool: failed for good, no signal',
      actions: [setOnDemand, launchSpot],
      error: new PoolNotFoundError('od'),
      statuses: ['failed', 'skipped'],
      retry: false,
      signals: [],
    },
    {
      label: 'an error that says it is not retryable: failed for good',
      actions: [setOnDemand],
      error: Object.assign(new Error('AccessDenied'), { retryable: false }),
      statuses: ['failed'],
      retry: false,
      signals: [],
    },
    {
      label: 'releasing a node the cloud already took back: done, and the next action runs',
      actions: [release, setOnDemand],
      error: new NodeNotFoundError('spot-a', 'i-1'),
      statuses: ['done', 'done'],
      retry: false,
      signals: [],
    },
  ])('$label', async ({ actions, error, statuses, retry, signals }) => {
    const port = new RecordingActuator().failNext(error);
    const result = await reconcile({ actions }, port, { now: NOW, source: 'test' });
    expect(result.actions.map((action) => action.status)).toEqual(statuses);
    expect(result.retry).toBe(retry);
    expect(result.signals).toEqual(signals);
    // Skipped actions never reach the port.
    expect(port.calls).toHaveLength(statuses.filter((status) => status !== 'skipped').length);
    if (statuses[0] === 'done') expect(result.error).toBeUndefined();
    else {
      expect(result.error).toBe(error);
      expect(result.actions[0]!.error).toMatchObject({ name: error.name, message: error.message });
    }
  });

  it('keeps a provider error code with the failed action', async () => {
    const error = Object.assign(new Error('Request limit exceeded'), {
      name: 'RequestLimitExceeded',
      code: 'Throttling',
    });
    const result = await reconcile({ actions: [setOnDemand] }, new RecordingActuator().failNext(error), {
      now: NOW,
      source: 'test',
    });
    expect(result.actions[0]).toEqual({
      index: 0,
      type: 'set-capacity',
      status: 'retryable',
      error: { name: 'RequestLimitExceeded', message: 'Request limit exceeded', code: 'Throttling' },
    });
  });

  it('a missing node is done only for a release', () => {
    expect(classifyActuatorError(release, new NodeNotFoundError('spot-a', 'i-1'))).toEqual({
      status: 'done',
      note: 'node i-1 was already gone',
    });
    expect(classifyActuatorError(checkpoint, new NodeNotFoundError('spot-a', 'i-1'))).toEqual({ status: 'failed' });
  });
});

describe('actuatorsByProvider: one port per target, by cloud', () => {
  const target = (provider: string): Target =>
    TargetSchema.parse({
      id: `t-${provider}`,
      kind: 'inference-endpoint',
      provider,
      pools: [{ id: 'p', instanceType: 'ml.g5.xlarge' }],
    });

  it('builds the port of each target from its provider’s factory', () => {
    const aws = new RecordingActuator();
    const simulated = new RecordingActuator();
    const seen: string[] = [];
    const resolve = actuatorsByProvider({
      aws: (t) => {
        seen.push(t.id);
        return aws;
      },
      simulated: () => simulated,
    });
    expect(resolve(target('aws'))).toBe(aws);
    expect(resolve(target('simulated'))).toBe(simulated);
    expect(seen).toEqual(['t-aws']);
  });

  it('refuses a target whose cloud has no actuator here, naming it, not retryably', () => {
    const resolve = actuatorsByProvider({ aws: () => new RecordingActuator() });
    const error = (() => {
      try {
        resolve(target('gcp'));
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedProviderError);
    expect((error as Error).message).toBe('no actuator for provider "gcp" (target t-gcp); this deployment has: aws');
    expect(isRetryable(error)).toBe(false);
  });
});

describe('the reconciler is the only caller of the actuator’s write methods', () => {
  it('no source file outside the ports, the reconciler and the fakes that forward calls calls them', () => {
    const root = join(import.meta.dirname, '../../..');
    // Besides the reconciler, ports that wrap another and forward the calls they get from it: the recording
    // fake, the serve runtime's metrics decorator, and the actuators loaded at their first call (AWS's, and the
    // Google Cloud and Azure ones through adapters/ports/lazy-actuator.ts).
    const allowed = new Set([
      'functions/shell/reconciler.ts',
      'adapters/fake-cloud/recording-actuator.ts',
      'functions/serve/runtime.ts',
      'adapters/aws/lazy.ts',
      'adapters/ports/lazy-actuator.ts',
      // The Azure port itself: these calls are to its own scale-set and Azure ML clients, not to a port.
      'adapters/azure/actuator.ts',
    ]);
    const call = /\.(setCapacity|launchCapacity|drainAndRelease|changeInstanceType|requestCheckpoint)\(/;
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) {
          const file = relative(root, path);
          if (!allowed.has(file) && call.test(readFileSync(path, 'utf8'))) offenders.push(file);
        }
      }
    };
    for (const dir of ['core', 'adapters', 'functions', 'simulator', 'tools']) walk(join(root, dir));
    expect(offenders).toEqual([]);
  });
});
