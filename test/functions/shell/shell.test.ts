import { describe, expect, it, vi } from 'vitest';
import type { DecisionInput } from '../../../core/schema/input.ts';
import {
  actuatorsByProvider,
  InsufficientCapacityError,
  PoolNotFoundError,
  ThrottledError,
  UnsupportedProviderError,
} from '../../../adapters/ports/actuator.ts';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { isRetryable, StateUnavailableError, TargetNotFoundError } from '../../../adapters/state/errors.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import {
  ActionFailedError,
  CommitContentionError,
  createShell,
  EventInProgressError,
  type ShellDependencies,
  type ShellOptions,
} from '../../../functions/shell/shell.ts';
import { testPolicy, testTarget } from '../../adapters/state/fixtures.ts';
import { foldingDecide, metricSignal, RecordingActuator, RecordingLogger } from './support/fakes.ts';

const T0 = Date.parse('2026-03-02T14:00:00Z');
const LEASE = 60_000;

async function harness(overrides: Partial<ShellDependencies> = {}, options: Partial<ShellOptions> = {}) {
  const clock = {
    time: T0,
    now() {
      return this.time;
    },
  };
  const store = new MemoryStateStore({}, () => clock.time);
  await store.putTarget(testTarget());
  await store.putPolicy('llm-endpoint', testPolicy({ maxCapacity: 20 }));
  const actuator = new RecordingActuator();
  const logger = new RecordingLogger();
  const decide = vi.fn(foldingDecide);
  const deps: ShellDependencies = {
    store,
    decide,
    actuators: actuator.actuators,
    clock,
    logger,
    options: { leaseMs: LEASE, retryDelayMs: 1, ...options },
    ...overrides,
  };
  return { store, clock, actuator, logger, decide, deps, shell: createShell(deps) };
}

const hot = (eventId: string | undefined, at = T0) => ({
  targetId: 'llm-endpoint',
  signal: metricSignal(eventId, 90, at),
});
const calm = (eventId: string | undefined, at = T0) => ({
  targetId: 'llm-endpoint',
  signal: metricSignal(eventId, 50, at),
});

describe('shell: one event, one decision, one action', () => {
  it('decides, commits, acts and confirms; the actuator gets the event id and version', async () => {
    const { shell, store, actuator } = await harness();
    const result = await shell.handle(hot('e1'));
    expect(result).toMatchObject({
      status: 'decided',
      acted: true,
      attempts: 1,
      decision: { eventId: 'e1', version: 1, desiredCapacity: 3 },
    });
    expect(actuator.calls).toMatchObject([
      {
        method: 'setCapacity',
        eventId: 'e1',
        index: 0,
        request: { poolId: 'primary', desired: 3, idempotencyKey: 'e1:0' },
      },
    ]);
    expect(result).toMatchObject({ actions: [{ index: 0, type: 'set-capacity', status: 'done' }], followUps: [] });
    const snapshot = await store.load('llm-endpoint', 'e1');
    expect(snapshot.event?.status).toBe('done');
    expect(snapshot.state.pending).toBeNull();
    expect((await store.readAudit('llm-endpoint')).entries[0]).toMatchObject({
      eventId: 'e1',
      signal: { kind: 'metric', detail: 'gpu_utilization = 90' },
      results: [{ index: 0, type: 'set-capacity', status: 'done' }],
    });
  });

  it('answers a redelivery with the stored decision, deciding and acting on nothing', async () => {
    const { shell, actuator, decide } = await harness();
    const first = await shell.handle(hot('e1'));
    const again = await shell.handle(hot('e1'));
    expect(again).toEqual({ status: 'duplicate', eventId: 'e1', decision: first.decision });
    expect(decide).toHaveBeenCalledTimes(1);
    expect(actuator.calls).toHaveLength(1);
  });

  it.each([
    { label: 'a hold', event: calm('e1'), roundTrips: 2 },
    { label: 'a decision with actions (plus the confirmation)', event: hot('e1'), roundTrips: 3 },
  ])('takes $roundTrips round trips for $label, and one for a duplicate', async ({ event, roundTrips }) => {
    const { shell, store } = await harness();
    const before = store.roundTrips;
    await shell.handle(event);
    expect(store.roundTrips - before).toBe(roundTrips);
    const beforeDuplicate = store.roundTrips;
    await shell.handle(event);
    expect(store.roundTrips - beforeDuplicate).toBe(1);
  });

  it('uses a content hash as the event id when the provider gives none', async () => {
    const { shell, actuator } = await harness();
    const first = await shell.handle(hot(undefined));
    expect(first.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await shell.handle(hot(undefined))).status).toBe('duplicate');
    expect((await shell.handle(hot(undefined, T0 + 1))).status).toBe('decided');
    expect(actuator.calls).toHaveLength(2);
  });

  it('decides with the default policy when the target has none, and with no snapshot when observe fails', async () => {
    const seen: DecisionInput[] = [];
    const { shell, store, logger, actuator } = await harness({
      decide: (input) => {
        seen.push(input);
        return foldingDecide(input);
      },
    });
    actuator.observed = async () => {
      throw new Error('DescribeEndpoint throttled');
    };
    await store.deletePolicy('llm-endpoint');
    await shell.handle(calm('e1'));
    expect(seen[0]).toMatchObject({ observed: null, policy: testPolicy() });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('observe failed') }),
    );
  });

  it('hands the recorded exchange closures to decide from the same load, with no extra round trip', async () => {
    const seen: DecisionInput[] = [];
    const { shell, store } = await harness({
      decide: (input) => {
        seen.push(input);
        return foldingDecide(input);
      },
    });
    const closure = { exchange: 'XNYS', date: '2026-03-03', status: 'closed' as const, reason: 'mourning' };
    await store.putExchangeOverride(closure, '2026-03-01');
    const before = store.roundTrips;
    await shell.handle(calm('e1'));
    expect(seen[0]?.exchangeOverrides).toEqual([closure]);
    // load + commit (+ finish when there are actions): the closures ride on the load.
    expect(store.roundTrips - before).toBeLessThanOrEqual(3);
  });

  it('refuses events for an unknown target, not retryably', async () => {
    const { shell } = await harness();
    const error = await shell
      .handle({ targetId: 'nobody', signal: metricSignal('e1', 90, T0) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetNotFoundError);
    expect(isRetryable(error)).toBe(false);
  });
});

describe('shell: races', () => {
  it('re-reads and re-decides after losing the compare-and-set, and loses no update', async () => {
    const { store, deps, decide } = await harness();
    let interleave = true;
    const racing: StateStore = Object.create(store);
    racing.commit = async (targetId, request) => {
      if (interleave) {
        interleave = false;
        await createShell(deps).handle(calm('rival', T0 - 1)); // lands first
      }
      return store.commit(targetId, request);
    };
    const result = await createShell({ ...deps, store: racing }).handle(calm('e1'));
    expect(result).toMatchObject({ status: 'decided', attempts: 2, decision: { version: 2 } });
    expect(decide.mock.calls.map(([input]) => input.signal.eventId)).toEqual(['e1', 'rival', 'e1']);
    const memory = (await store.load('llm-endpoint', 'x')).state.memory;
    expect(memory?.samples.seen).toEqual([
      [T0 - 1, 50],
      [T0, 50],
    ]);
  });

  it('gives up after maxAttempts lost races with a retryable CommitContentionError', async () => {
    const { store, deps, actuator } = await harness({}, { maxAttempts: 3 });
    const losing: StateStore = Object.create(store);
    losing.commit = async () => ({ status: 'conflict', version: 99 });
    const error = await createShell({ ...deps, store: losing })
      .handle(hot('e1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitContentionError);
    expect(isRetryable(error)).toBe(true);
    expect(actuator.calls).toEqual([]);
  });

  it.each([
    // 6 attempts by default: lost races pause 4 times (150-300 ms in all), a busy outbox 5 times.
    ['lost races', 'conflict', [10, 20, 40, 80]],
    ['a busy outbox', 'busy', [10, 20, 40, 80, 160]],
  ] as const)('after %s: the first conflict re-reads at once, then pauses double', async (_, status, pauses) => {
    const slept: number[] = [];
    const { store, deps } = await harness({ sleep: async (ms) => void slept.push(ms) }, { retryDelayMs: 20 });
    const losing: StateStore = Object.create(store);
    losing.commit = async () =>
      status === 'conflict'
        ? { status: 'conflict', version: 99 }
        : { status: 'busy', pending: { eventId: 'earlier', leaseUntil: T0 + LEASE } };
    const error = await createShell({ ...deps, store: losing })
      .handle(hot('e1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitContentionError);
    // Randomized between half and all of each pause.
    expect(slept).toHaveLength(pauses.length);
    slept.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(pauses[i]!);
      expect(ms).toBeLessThanOrEqual(pauses[i]! * 2);
    });
  });

  it('executes decisions with actions one at a time, in commit order', async () => {
    const { shell, actuator } = await harness({}, { maxAttempts: 8, retryDelayMs: 5 });
    actuator.hangNext();
    const first = shell.handle(hot('e1'));
    await vi.waitFor(() => expect(actuator.calls).toHaveLength(1));
    const second = shell.handle(hot('e2', T0 + 1));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(actuator.calls).toHaveLength(1); // e2 waits: e1's actions are still running
    actuator.hanging[0]!();
    await first;
    expect(await second).toMatchObject({ status: 'decided', decision: { currentCapacity: 3, desiredCapacity: 4 } });
    expect(actuator.eventIds()).toEqual(['e1', 'e2']);
  });
});

describe('shell: dying between commit and act (the outbox)', () => {
  it('re-drives the committed actions on a redelivery once the lease has expired, exactly once', async () => {
    const { shell, clock, actuator, decide } = await harness();
    actuator.hangNext(); // the first invocation dies while acting: it never confirms
    void shell.handle(hot('e1'));
    await vi.waitFor(() => expect(actuator.calls).toHaveLength(1));

    const early = await shell.handle(hot('e1')).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(EventInProgressError);
    expect(isRetryable(early)).toBe(true);

    clock.time += LEASE + 1;
    const redriven = await shell.handle(hot('e1'));
    expect(redriven).toMatchObject({ status: 'redriven', decision: { eventId: 'e1', version: 1 } });
    expect((await shell.handle(hot('e1'))).status).toBe('duplicate');
    expect(actuator.eventIds()).toEqual(['e1', 'e1']); // the dead attempt, then the one re-drive
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('releases the lease when acting fails, so the redelivery re-drives at once', async () => {
    const { shell, actuator, store } = await harness();
    actuator.failNext(new Error('UpdateEndpointWeightsAndCapacities: ThrottlingException'));
    const error = await shell.handle(hot('e1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionFailedError);
    expect(isRetryable(error)).toBe(true);
    expect((await store.load('llm-endpoint', 'e1')).event).toMatchObject({ status: 'pending', leaseUntil: 0 });
    expect((await shell.handle(hot('e1'))).status).toBe('redriven');
    expect(actuator.eventIds()).toEqual(['e1', 'e1']);
  });

  it('does not replay abandoned actions after a newer decision with actions has been committed', async () => {
    const { shell, clock, actuator } = await harness();
    actuator.hangNext();
    void shell.handle(hot('e1'));
    await vi.waitFor(() => expect(actuator.calls).toHaveLength(1));
    clock.time += LEASE + 1;
    expect((await shell.handle(hot('e2', T0 + 1))).status).toBe('decided');
    expect(await shell.handle(hot('e1'))).toMatchObject({ status: 'superseded', decision: { eventId: 'e1' } });
    expect(actuator.eventIds()).toEqual(['e1', 'e2']);
  });

  it('reports success when the actions ran but the confirmation could not be written (no double act)', async () => {
    const { store, deps, actuator, logger } = await harness();
    const flaky: StateStore = Object.create(store);
    flaky.finish = async () => {
      throw new StateUnavailableError('finish llm-endpoint', 3);
    };
    const result = await createShell({ ...deps, store: flaky }).handle(hot('e1'));
    expect(result).toMatchObject({ status: 'decided', acted: true });
    expect(actuator.calls).toHaveLength(1);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: expect.stringContaining('not confirmed') }),
    );
  });
});

describe('shell: state store unavailable', () => {
  it.each(['load', 'commit'] as const)('fails retryably when %s fails, having acted on nothing', async (method) => {
    const { store, deps, actuator } = await harness();
    const down: StateStore = Object.create(store);
    down[method] = async () => {
      throw new StateUnavailableError(`${method} llm-endpoint`, 3, { cause: new Error('connect ECONNREFUSED') });
    };
    const error = await createShell({ ...deps, store: down })
      .handle(hot('e1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect(isRetryable(error)).toBe(true);
    expect(actuator.calls).toEqual([]);
    expect((await store.load('llm-endpoint', 'e1')).event).toBeNull();
  });
});

describe('shell: the reconciler executes the actions, and the cloud’s errors come back as data', () => {
  it('decides at once on a capacity error the actions met, and closes the outbox: nothing to redeliver', async () => {
    const { shell, store, actuator, decide } = await harness();
    actuator.failNext(
      new InsufficientCapacityError('primary', 'ml.g5.xlarge', 'on-demand', 'InsufficientInstanceCapacity'),
    );
    const result = await shell.handle(hot('e1'));
    expect(result).toMatchObject({
      status: 'decided',
      acted: true,
      actions: [{ index: 0, type: 'set-capacity', status: 'failed', error: { name: 'InsufficientCapacityError' } }],
      followUps: [{ status: 'decided', eventId: 'e1/capacity-error/0', decision: { version: 2, outcome: 'hold' } }],
    });
    expect(decide.mock.calls.map(([input]) => input.signal)).toMatchObject([
      { kind: 'metric', eventId: 'e1' },
      {
        kind: 'capacity-error',
        eventId: 'e1/capacity-error/0',
        poolId: 'primary',
        code: 'InsufficientInstanceCapacity',
        source: 'tide-reconciler',
      },
    ]);
    expect((await store.load('llm-endpoint', 'e1')).event?.status).toBe('done');
    expect(
      (await store.readAudit('llm-endpoint')).entries.map((entry) => [entry.signal.kind, entry.results]),
    ).toMatchObject([
      ['capacity-error', undefined],
      [
        'metric',
        [
          {
            index: 0,
            type: 'set-capacity',
            status: 'failed',
            error: { name: 'InsufficientCapacityError', code: 'InsufficientInstanceCapacity' },
          },
        ],
      ],
    ]);
  });

  it('bounds the decisions on capacity errors per delivery', async () => {
    const { shell, actuator, logger } = await harness({}, { maxFollowUps: 0 });
    actuator.failNext(
      new InsufficientCapacityError('primary', 'ml.g5.xlarge', 'on-demand', 'InsufficientInstanceCapacity'),
    );
    expect(await shell.handle(hot('e1'))).toMatchObject({ status: 'decided', followUps: [] });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('follow-up budget spent') }),
    );
  });

  it('closes the outbox on an action that failed for good (no such pool), reporting it, not retrying', async () => {
    const { shell, store, actuator, logger } = await harness();
    actuator.failNext(new PoolNotFoundError('primary'));
    const result = await shell.handle(hot('e1'));
    expect(result).toMatchObject({
      status: 'decided',
      actions: [{ status: 'failed', error: { name: 'PoolNotFoundError', message: 'no pool "primary"' } }],
      followUps: [],
    });
    expect((await store.load('llm-endpoint', 'e1')).event?.status).toBe('done');
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'reconcile: action',
        fields: expect.objectContaining({ status: 'failed' }),
      }),
    );
  });

  it('a retryable failure carries the per-action record; the redelivery acts once with the same idempotency key', async () => {
    const { shell, actuator, store } = await harness();
    actuator.failNext(new ThrottledError('Rate exceeded'));
    const error = await shell.handle(hot('e1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionFailedError);
    expect((error as ActionFailedError).actions).toEqual([
      {
        index: 0,
        type: 'set-capacity',
        status: 'retryable',
        error: { name: 'ThrottledError', message: 'Rate exceeded' },
      },
    ]);
    const audited = async () => (await store.readAudit('llm-endpoint')).entries.map((entry) => entry.results);
    // The audit entry shows the attempt that failed, then the re-drive's record replaces it (same write as the
    // release and the confirmation: still 3 round trips for the first delivery, 3 for the re-drive).
    expect(await audited()).toEqual([
      [{ index: 0, type: 'set-capacity', status: 'retryable', error: expect.anything() }],
    ]);
    const before = store.roundTrips;
    expect(await shell.handle(hot('e1'))).toMatchObject({ status: 'redriven', actions: [{ status: 'done' }] });
    expect(store.roundTrips - before).toBe(3);
    expect(await audited()).toEqual([[{ index: 0, type: 'set-capacity', status: 'done' }]]);
    expect(actuator.calls.map((call) => call.request.idempotencyKey)).toEqual(['e1:0', 'e1:0']);
  });

  it('refuses a target whose cloud has no actuator in this deployment, before deciding, not retryably', async () => {
    const { deps, decide } = await harness();
    const shell = createShell({
      ...deps,
      actuators: actuatorsByProvider({ gcp: () => new RecordingActuator().actuators(testTarget()) }),
    });
    const error = await shell.handle(hot('e1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedProviderError);
    expect(isRetryable(error)).toBe(false);
    expect(decide).not.toHaveBeenCalled();
  });
});
