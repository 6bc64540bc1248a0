import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Target } from '../../../core/schema/target.ts';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { StateUnavailableError } from '../../../adapters/state/errors.ts';
import { createShell, EventInProgressError } from '../../../functions/shell/shell.ts';
import { deliverAll, generateEvents } from './support/event-run.ts';
import { foldingDecide, metricSignal, RecordingActuator, RecordingLogger } from './support/fakes.ts';
import { testPolicy, testTarget } from '../../adapters/state/fixtures.ts';
import { freshNamespace, startStoreSetup, type StoreSetup } from '../../adapters/state/store-setup.ts';
import { verifyExactlyOnce } from './support/verify-run.ts';

/**
 * Redis goes away mid-run. Stopped (connection refused): every delivery fails retryably and nothing is
 * acted on; after the restart, with the data set saved at shutdown, processing resumes and nothing is lost.
 * Frozen (up but silent): requests time out, some commits land after their invocation gave up, and the
 * outbox makes their redeliveries act exactly once.
 *
 * Nothing here depends on how fast the machine is. The deadline only has to tell a silent Redis from an
 * answering one, so it is long enough for a loopback call on a loaded 2-core machine (1 s); the lease only
 * has to outlast commit-then-act of one delivery (5 s); the outage lasts until the deliveries have seen
 * it (a bounded wait for the first failure), not a fixed time.
 */
const TIMEOUT_MS = 1_000;
const LEASE_MS = 5_000;
/** Bound on waiting for a condition: far above what it takes on a loaded machine, far below the test's 60 s. */
const BOUND_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolve once `condition` holds, polling; fail after `BOUND_MS`. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${BOUND_MS} ms: ${what}`);
    await sleep(10);
  }
}

/** When each commit or claim that let an event act was sent and answered (the act follows the answer). */
type Authorizations = Map<string, { sentAt: number; answeredAt: number }[]>;

/** The store, recording the commits and claims that authorize an act. */
function recordingAuthorizations(store: StateStore, authorizations: Authorizations): StateStore {
  const recording: StateStore = Object.create(store);
  const note = (eventId: string, sentAt: number) => {
    const list = authorizations.get(eventId) ?? [];
    list.push({ sentAt, answeredAt: Date.now() });
    authorizations.set(eventId, list);
  };
  recording.commit = async (targetId, request) => {
    const sentAt = Date.now();
    const result = await store.commit(targetId, request);
    if (result.status === 'committed' && request.leaseUntil !== null) note(request.eventId, sentAt);
    return result;
  };
  recording.claim = async (targetId, eventId, ...rest) => {
    const sentAt = Date.now();
    const result = await store.claim(targetId, eventId, ...rest);
    if (result.status === 'claimed') note(eventId, sentAt);
    return result;
  };
  return recording;
}

let setup: StoreSetup;
beforeAll(async () => {
  setup = await startStoreSetup();
});
afterAll(async () => {
  await setup?.close();
});

async function runThroughOutage(
  kind: 'redis' | 'upstash',
  outage: { begin(): Promise<void> | void; end(): Promise<void> | void },
) {
  const namespace = freshNamespace(`failure-${kind}`);
  const authorizations: Authorizations = new Map();
  const stores = Array.from({ length: 10 }, () =>
    recordingAuthorizations(setup.create(kind, { namespace, timeoutMs: TIMEOUT_MS, retries: 1 }), authorizations),
  );
  const policy = testPolicy();
  const targets = new Map<string, Target>();
  for (let i = 0; i < 5; i++) {
    const target = testTarget(`target-${i}`);
    targets.set(target.id, target);
    await stores[0]!.putTarget(target);
  }
  const { distinct, deliveries } = generateEvents({
    seed: 7,
    total: 400,
    targets: 5,
    duplicateShare: 0.2,
    now: Date.now(),
  });
  const actuator = new RecordingActuator();
  const shells = stores.map((store) =>
    createShell({
      store,
      decide: foldingDecide,
      actuators: actuator.actuators,
      clock: { now: () => Date.now() },
      logger: new RecordingLogger(),
      options: { leaseMs: LEASE_MS },
    }),
  );

  let delivered = 0;
  let unavailable = 0;
  const window = { from: Infinity, to: Infinity };
  let outageDone: Promise<void> | undefined;
  const run = deliverAll({
    shells,
    deliveries,
    redeliverAfterMs: 50,
    onRetry: (error) => {
      if (error instanceof StateUnavailableError) unavailable += 1;
    },
    beforeDelivery: async () => {
      delivered += 1;
      if (delivered === 120) {
        outageDone = (async () => {
          await outage.begin();
          window.from = Date.now();
          const before = unavailable;
          // Down until deliveries have met it: a few of them failed for it (a silent Redis takes a deadline).
          await until(() => unavailable >= before + 3, 'three deliveries fail with StateUnavailableError');
          window.to = Date.now();
          await outage.end();
        })();
      }
      // Pace deliveries a little, so the outage meets a run in progress rather than a finished one.
      await sleep(2);
    },
  });
  const report = await run;
  await outageDone;

  expect(report.failed).toEqual([]);
  expect(report.retried.StateUnavailableError ?? 0).toBeGreaterThan(0);
  // Nothing acts on an answer Redis gave while down: every act inside the outage follows a commit or claim
  // sent before it began (one answered just before the outage may be acted on a little into it).
  const actedOnOutageAnswers = actuator.calls.filter((call) => {
    if (call.at <= window.from || call.at >= window.to) return false;
    const answered = (authorizations.get(call.eventId) ?? []).filter((a) => a.answeredAt <= call.at);
    const latest = answered.at(-1);
    // Clocks here are Date.now() milliseconds: a commit sent in the millisecond the outage began was written
    // before the SIGSTOP (the test stops Redis between deliveries) and may be answered, so it counts as before.
    return latest === undefined || latest.sentAt > window.from;
  });
  expect(actedOnOutageAnswers).toEqual([]);
  await verifyExactlyOnce({ store: stores[0]!, distinct, decide: foldingDecide, targets, policy, actuator });
}

describe.each(['redis', 'upstash'] as const)('%s store when Redis fails mid-run', (kind) => {
  it('stopped: no action while it is down; after the restart every event is decided and acted on once', async () => {
    await runThroughOutage(kind, { begin: () => setup.server.stop(), end: () => setup.server.start() });
  }, 60_000); // long (a restart of redis-server and a 5 s lease), not timed

  it('frozen: requests time out and nothing is acted on; once it wakes every event is decided and acted on once', async () => {
    await runThroughOutage(kind, { begin: () => setup.server.pause(), end: () => setup.server.resume() });
  }, 60_000);
});

describe.each(['redis', 'upstash'] as const)('%s store, a commit that times out and lands late', (kind) => {
  it('acts on nothing at the time; the redelivery waits out the lease, then acts exactly once', async () => {
    const store = setup.create(kind, { namespace: freshNamespace(`late-${kind}`), timeoutMs: TIMEOUT_MS, retries: 1 });
    // From the decision to the redelivery below: two timed-out attempts (2 s) and a wake-up; 10 s covers a
    // loaded machine, and the test waits the lease out by its own clock, not a guess.
    const lease = 10_000;
    await store.putTarget(testTarget());
    const actuator = new RecordingActuator();
    const deps = {
      decide: foldingDecide,
      actuators: actuator.actuators,
      clock: { now: () => Date.now() },
      logger: new RecordingLogger(),
      options: { leaseMs: lease },
    };
    const shell = createShell({ ...deps, store });
    await shell.handle({ targetId: 'llm-endpoint', signal: metricSignal('warm-up', 50, Date.now()) }); // scripts cached

    // Redis freezes between load and commit: the commit times out, then runs when Redis wakes up.
    const freezing: StateStore = Object.create(store);
    freezing.commit = (targetId, request) => {
      setup.server.pause();
      return store.commit(targetId, request);
    };
    const hot = { targetId: 'llm-endpoint', signal: metricSignal('e1', 95, Date.now()) };
    const error = await createShell({ ...deps, store: freezing })
      .handle(hot)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect(actuator.calls).toEqual([]);
    setup.server.resume();
    await vi.waitFor(async () => expect((await store.load('llm-endpoint', 'e1')).event?.status).toBe('pending'), {
      timeout: BOUND_MS,
      interval: 20,
    });

    // Inside the lease a redelivery is told to come back later; it says until when.
    const inProgress = await shell.handle(hot).catch((e: unknown) => e);
    expect(inProgress).toBeInstanceOf(EventInProgressError);
    const { leaseUntil } = inProgress as EventInProgressError;
    await sleep(Math.max(0, leaseUntil - Date.now()) + 20);
    expect(await shell.handle(hot)).toMatchObject({ status: 'redriven', decision: { eventId: 'e1', version: 2 } });
    expect((await shell.handle(hot)).status).toBe('duplicate');
    expect(actuator.eventIds()).toEqual(['e1']);
  });
});
