import { describe, expect, it } from 'vitest';
import { RecordingActuator } from '../../../adapters/fake-cloud/recording-actuator.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { createRuntime, RuntimeConfigError } from '../../../functions/shell/runtime.ts';
import { serializePerTarget } from '../../../functions/shell/target-queue.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const NOW = Date.UTC(2026, 10, 29, 12);
const target = TargetSchema.parse({
  id: 'llm',
  kind: 'inference-endpoint',
  provider: 'gcp',
  pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
});

async function runtimeIn(mode: string, port: RecordingActuator, queued = false) {
  const store = new MemoryStateStore({}, () => NOW);
  await store.putTarget(target);
  await store.putPolicy(
    'llm',
    PolicySchema.parse({ minCapacity: 1, maxCapacity: 10, targetTracking: [{ metric: 'load', targetValue: 10 }] }),
  );
  const lines: string[] = [];
  const runtime = createRuntime(
    { TIDE_MODE: mode },
    {
      eventSources: EVENT_SOURCES,
      store,
      clock: { now: () => NOW },
      write: (line) => lines.push(line),
      providers: { gcp: () => port },
      ...(queued ? { queuePerTarget: serializePerTarget } : {}),
    },
  );
  return { runtime, lines };
}

const twoReady = (port: RecordingActuator) =>
  port.observe({
    observedAt: NOW,
    pools: [
      { poolId: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', desired: 2, ready: 2, pending: 0 },
    ],
  });

const overloaded = {
  kind: 'metric' as const,
  metric: 'load',
  value: 30,
  observedAt: NOW,
  source: 'test',
  eventId: 'e1',
};

describe('TIDE_MODE', () => {
  it('act: the decision reaches the provider adapter through the reconciler', async () => {
    const port = twoReady(new RecordingActuator());
    const { runtime } = await runtimeIn('act', port);
    const result = await runtime.shell.handle({ targetId: 'llm', signal: overloaded });
    expect(result.decision.actions).toEqual([expect.objectContaining({ type: 'set-capacity', to: 6 })]);
    expect(port.callsOf('setCapacity')).toEqual([expect.objectContaining({ method: 'setCapacity' })]);
  });

  it('dry-run: reads the cloud, logs the write it would make, and changes nothing', async () => {
    const port = twoReady(new RecordingActuator());
    const { runtime, lines } = await runtimeIn('dry-run', port);
    const result = await runtime.shell.handle({ targetId: 'llm', signal: overloaded });
    expect(result.decision.actions).toEqual([expect.objectContaining({ type: 'set-capacity', to: 6 })]);
    expect(port.callsOf('readCapacity').length).toBeGreaterThan(0);
    expect(port.calls.filter((call) => call.method !== 'readCapacity')).toEqual([]);
    expect(lines.some((line) => line.includes('dry-run: would call setCapacity'))).toBe(true);
  });

  it('shadow: the fleet comes with the state load and goes back with the commit (2 round trips a hold, 3 acting)', async () => {
    const port = new RecordingActuator();
    const { runtime } = await runtimeIn('shadow', port);
    const store = runtime.store as MemoryStateStore;
    const signal = (eventId: string, value: number) => ({ ...overloaded, eventId, value });
    // The first event of a target without a record reads the audit log once (it is empty here).
    const first = await runtime.shell.handle({ targetId: 'llm', signal: signal('e1', 10) });
    expect(first.decision).toMatchObject({ currentCapacity: 1, desiredCapacity: 1, actions: [] });

    let before = store.roundTrips;
    const hold = await runtime.shell.handle({ targetId: 'llm', signal: signal('e2', 10) });
    expect(hold.decision).toMatchObject({ currentCapacity: 1, actions: [] });
    expect(store.roundTrips - before).toBe(2);

    before = store.roundTrips;
    const out = await runtime.shell.handle({ targetId: 'llm', signal: signal('e3', 30) });
    expect(out.decision.actions).toEqual([expect.objectContaining({ type: 'set-capacity', from: 1, to: 2 })]);
    expect(store.roundTrips - before).toBe(3);

    // The next decision sees the capacity the last one set, with no audit read.
    before = store.roundTrips;
    const next = await runtime.shell.handle({ targetId: 'llm', signal: signal('e4', 10) });
    expect(next.decision.currentCapacity).toBe(2);
    expect(store.roundTrips - before).toBe(next.decision.actions.length > 0 ? 3 : 2);
    expect((await runtime.actuators(target).readCapacity('llm')).pools[0]).toMatchObject({
      desired: next.decision.desiredCapacity,
    });
    expect(port.calls).toEqual([]);
  });

  it('act or dry-run in a function that carries no provider adapter refuses to start, naming the mode', () => {
    expect(() => createRuntime({ TIDE_MODE: 'act' }, { eventSources: EVENT_SOURCES, write: () => {} })).toThrow(
      RuntimeConfigError,
    );
    expect(() => createRuntime({ TIDE_MODE: 'dry-run' }, { eventSources: EVENT_SOURCES, write: () => {} })).toThrow(
      /TIDE_MODE=dry-run needs a provider adapter/,
    );
  });
});

describe('concurrent invocations in one process', () => {
  // Eight deliveries for one target at once, as a worker that runs invocations concurrently hands them over.
  const deliverAtOnce = async (queued: boolean) => {
    const port = twoReady(new RecordingActuator());
    const { runtime } = await runtimeIn('act', port, queued);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        runtime.shell.handle({ targetId: 'llm', signal: { ...overloaded, eventId: `e${i}`, value: 10 + i } }),
      ),
    );
    return results.map((result) => (result.status === 'decided' ? result.attempts : 0));
  };

  it('race on the compare-and-set without a queue (one invocation per instance)', async () => {
    expect(Math.max(...(await deliverAtOnce(false)))).toBeGreaterThan(1);
  });

  it('queue per target with serializePerTarget: each delivery commits at its first attempt', async () => {
    expect(await deliverAtOnce(true)).toEqual(Array(8).fill(1));
  });
});
