/** The invocation's deadline as the state store reads it (adapters/state/deadline.ts), alone and overlapping. */
import { describe, expect, it } from 'vitest';
import { stateDeadline, withStateDeadline } from '../../../adapters/state/deadline.ts';

/** A few turns of the event loop, so the runs below interleave across real awaits. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('withStateDeadline', () => {
  it('carries the deadline through awaits, and none outside', async () => {
    expect(stateDeadline()).toBeUndefined();
    const seen = await withStateDeadline(1000, async () => {
      const before = stateDeadline();
      await turns(3);
      return [before, stateDeadline()];
    });
    expect(seen).toEqual([1000, 1000]);
    expect(stateDeadline()).toBeUndefined();
    // One after the other: each its own.
    expect(await withStateDeadline(2000, async () => stateDeadline())).toBe(2000);
  });

  it('gives overlapping runs each their own deadline, whichever started first', async () => {
    const seen: Record<string, (number | undefined)[]> = { a: [], b: [], c: [] };
    const run = (name: string, deadline: number, steps: number) =>
      withStateDeadline(deadline, async () => {
        for (let i = 0; i < steps; i += 1) {
          seen[name]!.push(stateDeadline());
          await turns(1);
        }
      });
    const a = run('a', 100, 6);
    await turns(1);
    const b = run('b', 200, 6);
    await a;
    // c starts after a ended, while b still runs.
    const c = run('c', 300, 4);
    await Promise.all([b, c]);
    expect(seen.a).toEqual(Array(6).fill(100));
    expect(seen.b).toEqual(Array(6).fill(200));
    expect(seen.c).toEqual(Array(4).fill(300));
    expect(stateDeadline()).toBeUndefined();
  });

  it('lets go of the deadline when the work throws, at once or later', async () => {
    expect(() =>
      withStateDeadline(100, () => {
        throw new Error('at once');
      }),
    ).toThrow('at once');
    expect(stateDeadline()).toBeUndefined();
    await expect(
      withStateDeadline(100, async () => {
        await turns(1);
        throw new Error('later');
      }),
    ).rejects.toThrow('later');
    expect(stateDeadline()).toBeUndefined();
    expect(await withStateDeadline(500, async () => stateDeadline())).toBe(500);
  });
});
