/**
 * API keys checked without a state-store round trip on every request. The access store's `authenticate`
 * reads the key's record and counts requests in one round trip; this decorator does that round trip at most
 * once per key per `ttlMs` (default 1 s of wall time) and, in between, answers from the record it read and
 * counts the requests in-process, adding them to the shared counter at the next look-up.
 *
 * Bounds, as documented in the README:
 * - Revocation: a key revoked through this app stops working at once; revoked anywhere else (the CLI,
 *   another instance) it stops within `ttlMs` of wall time, since no request is answered from a record
 *   older than that (requests for a key whose record is due wait for the one look-up under way).
 * - Rate limit: the limit is still kept in the state store, shared by every instance; each instance adds
 *   what it counted at most `ttlMs` late, so with N instances a key may get up to what the other N - 1
 *   admitted in the last `ttlMs` over its limit. One instance alone never exceeds it. A rate window that
 *   begins within the TTL is counted here from zero, not read first: the others' counts in it arrive with
 *   the next look-up, within the same `ttlMs`.
 * - Memory: at most `maxEntries` keys (1,000 by default, the access store's default key cap); past that the
 *   oldest entry is dropped (its requests not yet counted are added by the next look-up of that key only if
 *   it comes back within the same window).
 * - A state store that does not answer fails the look-up (503) once the record is due: nothing is answered
 *   from a record older than `ttlMs`.
 *
 * The key itself is still hashed and compared in constant time on every request (api-keys.ts); unknown ids
 * are not cached (every request with one costs a round trip, as before, and counts nothing).
 */
import type { AccessStore, ApiKeyRecord, KeyLookup } from '../../adapters/ports/access-store.ts';

export interface KeyCacheOptions {
  /** Wall-time ms a key's record is answered from memory before it is read again. Default 1000; 0 disables. */
  ttlMs: number;
  /** Keys kept, at most. Default 1000. */
  maxEntries: number;
  /** Monotonic ms (wall time; default `performance.now`). The rate windows use the app's clock instead. */
  monotonic: () => number;
}

export const DEFAULT_KEY_CACHE_OPTIONS: KeyCacheOptions = {
  ttlMs: 1000,
  maxEntries: 1000,
  monotonic: () => performance.now(),
};

interface Entry {
  record: ApiKeyRecord;
  /** Rate window (index) the counts below belong to. */
  window: number;
  /** The shared count at the last look-up. */
  shared: number;
  /** Requests counted here since then, not yet added to the shared count. */
  unsent: number;
  /** Monotonic ms of the last look-up. */
  readAt: number;
  windowEndsAt: number;
}

/** The access store with `authenticate` answered from memory within the bounds above. */
export function cachedAccessStore(access: AccessStore, options: Partial<KeyCacheOptions> = {}): AccessStore {
  const { ttlMs, maxEntries, monotonic } = { ...DEFAULT_KEY_CACHE_OPTIONS, ...options };
  if (ttlMs <= 0) return access;
  const entries = new Map<string, Entry>();
  const lookups = new Map<string, Promise<unknown>>();

  const lookUp = async (id: string, now: number, windowMs: number, requests: number): Promise<void> => {
    const window = Math.floor(now / windowMs);
    const previous = entries.get(id);
    // Requests counted in an earlier window belong to a counter that has ended: they are dropped.
    const carried = previous?.window === window ? previous.unsent : 0;
    const startedAt = monotonic();
    const lookup = await access.authenticate(id, now, windowMs, carried + requests);
    entries.delete(id); // re-inserted last: the map's order is the order of look-ups, oldest first
    if (!lookup.record) return;
    entries.set(id, {
      record: lookup.record,
      window,
      shared: lookup.count,
      unsent: 0,
      readAt: startedAt,
      windowEndsAt: lookup.windowEndsAt,
    });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };

  const unknown = (window: number, windowMs: number): KeyLookup => ({
    record: null,
    count: 0,
    windowEndsAt: (window + 1) * windowMs,
  });

  const authenticate = async (id: string, now: number, windowMs: number, requests = 1): Promise<KeyLookup> => {
    const window = Math.floor(now / windowMs);
    for (let round = 0; round < 3; round++) {
      const entry = entries.get(id);
      if (entry && entry.window <= window && monotonic() - entry.readAt < ttlMs) {
        if (entry.window < window) {
          // A new rate window within the TTL: counted here from zero, and added to the shared counter at the
          // next look-up like any other count (what the old window counted belongs to a counter that has
          // ended). Without this, a key's first request of every window cost a round trip: with the app's
          // clock simulated, or events further apart than a window, every request did.
          entry.window = window;
          entry.shared = 0;
          entry.unsent = 0;
          entry.windowEndsAt = (window + 1) * windowMs;
        }
        entry.unsent += requests;
        return { record: entry.record, count: entry.shared + entry.unsent, windowEndsAt: entry.windowEndsAt };
      }
      const pending = lookups.get(id);
      if (pending) {
        // One look-up per key at a time: requests arriving meanwhile wait for it, then count in memory.
        await pending;
        if (!entries.has(id)) return unknown(window, windowMs);
        continue;
      }
      const started = lookUp(id, now, windowMs, requests).finally(() => lookups.delete(id));
      lookups.set(id, started);
      await started;
      const read = entries.get(id);
      if (!read) return unknown(window, windowMs);
      // This request was counted by the look-up itself.
      return { record: read.record, count: read.shared, windowEndsAt: read.windowEndsAt };
    }
    // The look-ups kept landing in another window (a clock far off): count this one directly.
    return access.authenticate(id, now, windowMs, requests);
  };

  return {
    createKey: (record) => access.createKey(record),
    listKeys: () => access.listKeys(),
    async revokeKey(id) {
      entries.delete(id);
      try {
        return await access.revokeKey(id);
      } finally {
        entries.delete(id);
      }
    },
    authenticate,
    recordWrite: (record) => access.recordWrite(record),
    readWrites: (options) => access.readWrites(options),
    close: () => access.close(),
  };
}
