/**
 * Target and policy documents read by the API's GETs from memory, with invalidation Redis pushes
 * (adapters/state/key-tracking.ts): no round trip for a document nobody has changed since this process
 * read it. Safe because every change to a document key, by any writer (this process, the CLI, another
 * instance), is announced and drops the entry; and because nothing is answered from memory while the
 * announcements are not flowing (starting, a lost connection: every read goes to the store then).
 *
 * Bounds: an entry is dropped within the time Redis takes to push the announcement (one message on an open
 * connection) after a write by another process; writes by this process drop it before they answer. A read
 * that raced a change (the announcement came while it was in flight) is answered but not kept. At most
 * `maxEntries` documents are kept (default 2,000), oldest out first.
 */
import type { KeyInvalidations } from '../../adapters/state/key-tracking.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';

export type DocumentReader = Pick<StateStore, 'getTarget' | 'getPolicy'>;

export interface CachedDocuments extends DocumentReader {
  /** Forget a target's documents (after this process wrote them). */
  forget(targetId: string): void;
}

export function cachedDocuments(
  store: DocumentReader,
  invalidations: KeyInvalidations,
  keys: { target(id: string): string; policy(id: string): string },
  options: { maxEntries?: number } = {},
): CachedDocuments {
  const maxEntries = options.maxEntries ?? 2000;
  const entries = new Map<string, Promise<unknown>>();
  /** Moves on every change heard of: a read that started before a move is not kept. */
  let epoch = 0;
  invalidations.onInvalidate((changed) => {
    epoch += 1;
    if (changed === null) entries.clear();
    else for (const key of changed) entries.delete(key);
  });

  const read = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!invalidations.ready) return load();
    const hit = entries.get(key);
    if (hit) return hit as Promise<T>;
    const started = epoch;
    const value = load();
    value.then(
      () => {
        if (epoch !== started || !invalidations.ready) return;
        entries.delete(key);
        entries.set(key, value);
        while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      },
      () => undefined,
    );
    return value;
  };

  return {
    getTarget: (id) => read(keys.target(id), () => store.getTarget(id)),
    getPolicy: (id) => read(keys.policy(id), () => store.getPolicy(id)),
    forget(targetId) {
      epoch += 1;
      entries.delete(keys.target(targetId));
      entries.delete(keys.policy(targetId));
    },
  };
}
