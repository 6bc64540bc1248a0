import { describe, expect, it } from 'vitest';
import type { AccessStore, ApiKeyRecord } from '../../../adapters/ports/access-store.ts';
import { MemoryAccessStore } from '../../../adapters/state/access-memory.ts';
import { StateUnavailableError } from '../../../adapters/state/errors.ts';
import { cachedAccessStore } from '../../../functions/http/key-cache.ts';

const WINDOW = 60_000;
const record = (id: string): ApiKeyRecord => ({ id, name: id, scopes: ['read'], hash: 'a'.repeat(64), createdAt: 0 });

/** The memory store with its look-ups counted, and a wall clock the test moves. */
async function harness(ttlMs = 1000, maxEntries = 1000) {
  const store = new MemoryAccessStore();
  await store.createKey(record('k1'));
  await store.createKey(record('k2'));
  let lookups = 0;
  let failing = false;
  const counted: AccessStore = Object.assign(Object.create(store) as AccessStore, {
    authenticate: async (id: string, now: number, windowMs: number, requests?: number) => {
      lookups += 1;
      if (failing) throw new StateUnavailableError('authenticate', 1);
      return store.authenticate(id, now, windowMs, requests);
    },
  });
  const wall = { at: 0 };
  const cache = cachedAccessStore(counted, { ttlMs, maxEntries, monotonic: () => wall.at });
  return {
    store,
    cache,
    wall,
    lookups: () => lookups,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

describe('the API key cache', () => {
  it('looks a key up once per TTL and counts the requests in between into the shared counter', async () => {
    const { store, cache, wall, lookups } = await harness();
    const counts: number[] = [];
    for (let i = 0; i < 100; i++) counts.push((await cache.authenticate('k1', 1_000 + i, WINDOW)).count);
    expect(lookups()).toBe(1);
    expect(counts).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    wall.at = 1000; // the TTL is over: the next request reads the record again and adds the 99 counted here
    expect((await cache.authenticate('k1', 2_000, WINDOW)).count).toBe(101);
    expect(lookups()).toBe(2);
    // The shared counter has them all (this look-up adds one more).
    expect((await store.authenticate('k1', 2_000, WINDOW)).count).toBe(102);
  });

  it('concurrent requests for a due key share one look-up', async () => {
    const { cache, lookups } = await harness();
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.authenticate('k1', 1_000, WINDOW)));
    expect(lookups()).toBe(1);
    expect(answers.every((a) => a.record?.id === 'k1')).toBe(true);
    expect(Math.max(...answers.map((a) => a.count))).toBe(50);
  });

  it('a new rate window within the TTL counts from zero without a look-up, dropping what the old window counted', async () => {
    const { store, cache, wall, lookups } = await harness();
    for (let i = 0; i < 5; i++) await cache.authenticate('k1', 1_000, WINDOW);
    // Another instance counted 3 in the next window meanwhile.
    await store.authenticate('k1', WINDOW + 1, WINDOW, 3);
    const next = await cache.authenticate('k1', WINDOW + 1, WINDOW);
    expect(lookups()).toBe(1);
    expect(next).toMatchObject({ count: 1, windowEndsAt: 2 * WINDOW });
    expect((await cache.authenticate('k1', WINDOW + 2, WINDOW)).count).toBe(2);
    // The TTL over: the look-up adds the 2 counted here to the others' 3, and counts this one.
    wall.at = 1000;
    expect(await cache.authenticate('k1', WINDOW + 3, WINDOW)).toMatchObject({ count: 6, windowEndsAt: 2 * WINDOW });
    expect(lookups()).toBe(2);
    // A clock that went back a window is looked up, not rolled.
    expect((await cache.authenticate('k1', 1_000, WINDOW)).record?.id).toBe('k1');
    expect(lookups()).toBe(3);
  });

  it('a key revoked through the cache stops at once; revoked elsewhere, within the TTL', async () => {
    const { store, cache, wall } = await harness();
    await cache.authenticate('k1', 1_000, WINDOW);
    await cache.authenticate('k2', 1_000, WINDOW);
    expect(await cache.revokeKey('k1')).toBe(true);
    expect((await cache.authenticate('k1', 1_000, WINDOW)).record).toBeNull();
    // Revoked by another process (the CLI): answered from memory until the TTL is over, never after.
    await store.revokeKey('k2');
    wall.at = 999;
    expect((await cache.authenticate('k2', 1_000, WINDOW)).record?.id).toBe('k2');
    wall.at = 1000;
    expect((await cache.authenticate('k2', 1_000, WINDOW)).record).toBeNull();
  });

  it('unknown ids are not cached, and a store that does not answer fails the look-up once the record is due', async () => {
    const { cache, wall, lookups, fail } = await harness();
    expect((await cache.authenticate('nobody', 1_000, WINDOW)).record).toBeNull();
    expect((await cache.authenticate('nobody', 1_000, WINDOW)).record).toBeNull();
    expect(lookups()).toBe(2);
    await cache.authenticate('k1', 1_000, WINDOW);
    fail(true);
    expect((await cache.authenticate('k1', 1_000, WINDOW)).record?.id).toBe('k1');
    wall.at = 1000;
    await expect(cache.authenticate('k1', 1_000, WINDOW)).rejects.toBeInstanceOf(StateUnavailableError);
  });

  it('keeps at most maxEntries keys, and ttl 0 is no cache', async () => {
    const { cache, lookups } = await harness(1000, 1);
    await cache.authenticate('k1', 1_000, WINDOW);
    await cache.authenticate('k2', 1_000, WINDOW);
    await cache.authenticate('k1', 1_000, WINDOW); // k1 was dropped for k2
    expect(lookups()).toBe(3);
    const off = await harness(0);
    await off.cache.authenticate('k1', 1_000, WINDOW);
    await off.cache.authenticate('k1', 1_000, WINDOW);
    expect(off.lookups()).toBe(2);
  });
});
