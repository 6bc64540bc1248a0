import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../../../adapters/state/errors.ts';
import { createShell, type Shell, type ShellResult, type TargetSignal } from '../../../functions/shell/shell.ts';
import { serializePerTarget, TargetQueueFullError } from '../../../functions/shell/target-queue.ts';
import { testPolicy, testTarget } from '../../adapters/state/fixtures.ts';
import { freshNamespace, startStoreSetup, type StoreSetup } from '../../adapters/state/store-setup.ts';
import { foldingDecide, metricSignal, RecordingActuator, RecordingLogger } from './support/fakes.ts';

const T0 = Date.parse('2026-03-02T14:00:00Z');

/** A shell that records how many deliveries per target run at once, and finishes each when told. */
function gatedShell() {
  const running = new Map<string, number>();
  const maxRunning = new Map<string, number>();
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const shell: Shell = {
    async handle(event: TargetSignal): Promise<ShellResult> {
      const now = (running.get(event.targetId) ?? 0) + 1;
      running.set(event.targetId, now);
      maxRunning.set(event.targetId, Math.max(maxRunning.get(event.targetId) ?? 0, now));
      started.push(event.signal.eventId!);
      await new Promise<void>((resolve) => gates.push(resolve));
      running.set(event.targetId, now - 1);
      if (event.signal.eventId?.startsWith('fail')) throw new Error(`failed ${event.signal.eventId}`);
      return { status: 'duplicate', eventId: event.signal.eventId! } as ShellResult;
    },
  };
  /** Let every delivery waiting at the gate finish, until none is left. */
  const drain = async () => {
    for (let rounds = 0; rounds < 1000; rounds++) {
      await new Promise((resolve) => setImmediate(resolve));
      const open = gates.splice(0);
      if (open.length === 0 && rounds > 3) return;
      for (const release of open) release();
    }
  };
  return { shell, maxRunning, started, drain, gates };
}

const delivery = (targetId: string, eventId: string): TargetSignal => ({
  targetId,
  signal: metricSignal(eventId, 90, T0),
});

describe('serializePerTarget', () => {
  it('runs one delivery per target at a time, in arrival order, and targets side by side', async () => {
    const { shell, maxRunning, started, drain } = gatedShell();
    const queued = serializePerTarget(shell);
    const results = Promise.all([
      ...Array.from({ length: 20 }, (_, i) => queued.handle(delivery('a', `a${i}`))),
      ...Array.from({ length: 20 }, (_, i) => queued.handle(delivery('b', `b${i}`))),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    // Both targets started at once: one delivery each.
    expect(started).toEqual(['a0', 'b0']);
    await drain();
    const answered = await results;
    expect(answered.map((r) => r.eventId)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `a${i}`),
      ...Array.from({ length: 20 }, (_, i) => `b${i}`),
    ]);
    expect(maxRunning).toEqual(
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
    );
    expect(started.filter((id) => id.startsWith('a'))).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    // Nothing is kept for targets with nothing in flight.
    expect(queued.depths().size).toBe(0);
  });

  it('a failed delivery fails alone: the next one for the target runs', async () => {
    const { shell, drain } = gatedShell();
    const queued = serializePerTarget(shell);
    const first = queued.handle(delivery('a', 'fail-1'));
    const second = queued.handle(delivery('a', 'ok-2'));
    const firstDone = first.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await drain();
    expect(await firstDone).toBe('failed fail-1');
    expect((await second).eventId).toBe('ok-2');
  });

  it('refuses a delivery past maxQueued with a retryable error, and takes more once the queue drains', async () => {
    const { shell, drain } = gatedShell();
    const queued = serializePerTarget(shell, { maxQueued: 2 });
    const accepted = [1, 2, 3].map((i) => queued.handle(delivery('a', `e${i}`)));
    const refused = await queued.handle(delivery('a', 'e4')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TargetQueueFullError);
    expect(isRetryable(refused)).toBe(true);
    expect(queued.depths().get('a')).toBe(3);
    // Another target is not affected.
    const other = queued.handle(delivery('b', 'b1'));
    await drain();
    await Promise.all([...accepted, other]);
    const later = queued.handle(delivery('a', 'e5'));
    await drain();
    expect((await later).eventId).toBe('e5');
  });
});

describe('serializePerTarget over the real shell and Redis', () => {
  let setup: StoreSetup;
  beforeAll(async () => {
    setup = await startStoreSetup();
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('64 concurrent deliveries for one target: each decided at the first commit attempt, none lost', async () => {
    const store = setup.create('redis', { namespace: freshNamespace('target-queue'), timeoutMs: 5_000 });
    await store.putTarget(testTarget());
    await store.putPolicy('llm-endpoint', testPolicy({ maxCapacity: 20 }));
    const actuator = new RecordingActuator();
    const shell = serializePerTarget(
      createShell({
        store,
        decide: foldingDecide,
        actuators: actuator.actuators,
        clock: { now: () => T0 },
        logger: new RecordingLogger(),
        // One attempt: a lost race would fail the delivery instead of being retried away.
        options: { maxAttempts: 1 },
      }),
    );
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        shell.handle({ targetId: 'llm-endpoint', signal: metricSignal(`e${i}`, 50 + (i % 40), T0 + i) }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(64).fill('decided'));
    expect(results.map((r) => r.decision.version)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    const audit = await store.readAudit('llm-endpoint', { limit: 100 });
    expect(new Set(audit.entries.map((d) => d.eventId)).size).toBe(64);
  });
});
