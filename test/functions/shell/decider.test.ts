/**
 * `decide` loaded at its first use (functions/shell/decider.ts; the AWS HTTP API): the shell decides with it as
 * with the function itself, loads it only for a delivery that decides (a duplicate does not), once, and tries
 * again after a failed load.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { isRetryable } from '../../../adapters/state/errors.ts';
import { DecideLoadError, decideOf, lazyDecide, type Decide } from '../../../functions/shell/decider.ts';
import { createShell } from '../../../functions/shell/shell.ts';
import { testPolicy, testTarget } from '../../adapters/state/fixtures.ts';
import { foldingDecide, metricSignal, RecordingActuator, RecordingLogger } from './support/fakes.ts';

const T0 = Date.parse('2026-03-02T14:00:00Z');

async function shellWith(decide: Parameters<typeof createShell>[0]['decide']) {
  const store = new MemoryStateStore({}, () => T0);
  await store.putTarget(testTarget());
  await store.putPolicy('llm-endpoint', testPolicy({ maxCapacity: 20 }));
  const actuator = new RecordingActuator();
  const shell = createShell({
    store,
    decide,
    actuators: actuator.actuators,
    clock: { now: () => T0 },
    logger: new RecordingLogger(),
    options: { retryDelayMs: 1 },
  });
  return { shell, actuator };
}

const hot = (eventId: string) => ({ targetId: 'llm-endpoint', signal: metricSignal(eventId, 90, T0) });

describe('decide loaded at its first use', () => {
  it('decides as the function itself does, loaded once, and not for a delivery already decided', async () => {
    let loads = 0;
    const lazy = lazyDecide(async () => {
      loads += 1;
      return foldingDecide;
    });
    const eager = await shellWith(foldingDecide);
    const loaded = await shellWith(lazy);
    expect(loads).toBe(0);
    const expected = await eager.shell.handle(hot('e1'));
    expect(await loaded.shell.handle(hot('e1'))).toEqual(expected);
    // The recording actuator stamps each call with the wall clock: the calls are compared without it.
    const calls = (actuator: RecordingActuator) => actuator.calls.map(({ at: _at, ...call }) => call);
    expect(calls(loaded.actuator)).toEqual(calls(eager.actuator));
    expect(loads).toBe(1);
    expect(await loaded.shell.handle(hot('e1'))).toMatchObject({ status: 'duplicate' });
    await loaded.shell.handle(hot('e2'));
    expect(loads).toBe(1);
  });

  it('a failed load fails that delivery; the next one loads again', async () => {
    let loads = 0;
    const lazy = lazyDecide(async () => {
      loads += 1;
      if (loads === 1) throw new Error('chunk missing');
      return foldingDecide;
    });
    const { shell } = await shellWith(lazy);
    await expect(shell.handle(hot('e1'))).rejects.toThrow('chunk missing');
    expect(await shell.handle(hot('e1'))).toMatchObject({ status: 'decided', decision: { eventId: 'e1' } });
    expect(loads).toBe(2);
  });

  it('a failed load is a typed, retryable error (the sender delivers again), naming what failed', async () => {
    const lazy = lazyDecide(async () => {
      throw new Error('chunk missing');
    });
    const { shell } = await shellWith(lazy);
    const error = await shell.handle(hot('e1')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecideLoadError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toMatch(/decision core could not be loaded.*chunk missing/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('decideOf gives the function itself at once, a lazy one once loaded', async () => {
    const decide: Decide = foldingDecide;
    expect(decideOf(decide)).toBe(decide);
    expect(await decideOf(lazyDecide(async () => decide))).toBe(decide);
  });
});
