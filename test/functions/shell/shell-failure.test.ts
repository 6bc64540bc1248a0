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
 * outbox makes their redeliveries act exactly once. Short timeouts and leases keep the test quick.
 */
const TIMEOUT_MS = 150;
const LEASE_MS = 800;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  const stores = Array.from({ length: 10 }, () => setup.create(kind, { namespace, timeoutMs: TIMEOUT_MS, retries: 1 }));
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
  const window = { from: Infinity, to: Infinity };
  let outageDone: Promise<void> | undefined;
  const run = deliverAll({
    shells,
    deliveries,
    redeliverAfterMs: 50,
    beforeDelivery: async () => {
      delivered += 1;
      if (delivered === 120) {
        outageDone = (async () => {
          await outage.begin();
          window.from = Date.now();
          await sleep(700);
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
  // Margin: an act whose commit was answered just before the outage may start a few ms into it.
  const actedDuringOutage = actuator.calls.filter((call) => call.at > window.from + 50 && call.at < window.to);
  expect(actedDuringOutage).toEqual([]);
  await verifyExactlyOnce({ store: stores[0]!, distinct, decide: foldingDecide, targets, policy, actuator });
}

describe.each(['redis', 'upstash'] as const)('%s store when Redis fails mid-run', (kind) => {
  it('stopped: no action while it is down; after the restart every event is decided and acted on once', async () => {
    await runThroughOutage(kind, { begin: () => setup.server.stop(), end: () => setup.server.start() });
  }, 60_000); // long (a restart of redis-server), not timed: 6.5 s idle, over 20 s on a loaded machine

  it('frozen: requests time out and nothing is acted on; once it wakes every event is decided and acted on once', async () => {
    await runThroughOutage(kind, { begin: () => setup.server.pause(), end: () => setup.server.resume() });
  }, 60_000);
});

describe.each(['redis', 'upstash'] as const)('%s store, a commit that times out and lands late', (kind) => {
  it('acts on nothing at the time; the redelivery waits out the lease, then acts exactly once', async () => {
    const store = setup.create(kind, { namespace: freshNamespace(`late-${kind}`), timeoutMs: TIMEOUT_MS, retries: 1 });
    await store.putTarget(testTarget());
    const actuator = new RecordingActuator();
    const deps = {
      decide: foldingDecide,
      actuators: actuator.actuators,
      clock: { now: () => Date.now() },
      logger: new RecordingLogger(),
      options: { leaseMs: 400 },
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
    await vi.waitFor(async () => expect((await store.load('llm-endpoint', 'e1')).event?.status).toBe('pending'));

    await expect(shell.handle(hot)).rejects.toBeInstanceOf(EventInProgressError);
    await sleep(450);
    expect(await shell.handle(hot)).toMatchObject({ status: 'redriven', decision: { eventId: 'e1', version: 2 } });
    expect((await shell.handle(hot)).status).toBe('duplicate');
    expect(actuator.eventIds()).toEqual(['e1']);
  });
});
