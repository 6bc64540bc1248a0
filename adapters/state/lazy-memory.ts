/**
 * The memory stores as the factory hands them out (adapters/state/index.ts): memory-store.ts and access-memory.ts
 * are chunks of their own, loaded by the first call, so a function deployed with Redis or Upstash (every cloud
 * function) does not load them at its cold start (issue 18: about 8 KB of each function's start bundle). Each
 * call waits for the one load, then runs as the store's own: calls resume in the order they were made, and
 * each still runs in one step as MemoryStateStore's do. A failed load is that call's error and is tried again
 * by the next one.
 */
import { atFirstUse } from '../at-first-use.ts';
import type { AccessStore } from '../ports/access-store.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { AccessStoreOptions } from './access-options.ts';
import { lazyRecords } from './lazy-records.ts';
import type { MemoryStateStore } from './memory-store.ts';
import type { StateStoreOptions } from './options.ts';
import type { MemoryWriteLog } from './write-log.ts';

/** A memory state store loaded at its first call; `loaded` is the store itself (the access store's write audit). */
export interface LazyMemoryStateStore extends StateStore {
  readonly kind: 'memory';
  readonly loaded: () => Promise<MemoryStateStore>;
}

/** `new MemoryStateStore(options)`, loaded at its first call. */
export function lazyMemoryStateStore(options: Partial<StateStoreOptions>): LazyMemoryStateStore {
  const store = atFirstUse(async () => new (await import('./memory-store.ts')).MemoryStateStore(options));
  return {
    kind: 'memory',
    loaded: store,
    // The loaded store's own records (Azure operations and moves), themselves loaded at their first use.
    records: lazyRecords(async () => (await store()).records),
    load: async (...args) => (await store()).load(...args),
    commit: async (...args) => (await store()).commit(...args),
    claim: async (...args) => (await store()).claim(...args),
    finish: async (...args) => (await store()).finish(...args),
    getTarget: async (...args) => (await store()).getTarget(...args),
    putTarget: async (...args) => (await store()).putTarget(...args),
    deleteTarget: async (...args) => (await store()).deleteTarget(...args),
    listTargets: async () => (await store()).listTargets(),
    documentsVersion: async () => (await store()).documentsVersion(),
    getPolicy: async (...args) => (await store()).getPolicy(...args),
    putPolicy: async (...args) => (await store()).putPolicy(...args),
    deletePolicy: async (...args) => (await store()).deletePolicy(...args),
    listExchangeOverrides: async () => (await store()).listExchangeOverrides(),
    putExchangeOverride: async (...args) => (await store()).putExchangeOverride(...args),
    deleteExchangeOverride: async (...args) => (await store()).deleteExchangeOverride(...args),
    readRecentSignals: async (...args) => (await store()).readRecentSignals(...args),
    readAudit: async (...args) => (await store()).readAudit(...args),
    close: async () => (await store()).close(),
  };
}

/** The write audit of a memory state store beside an access store: a lazy one's, a loaded one's, or none. */
function writesOf(beside: StateStore | undefined): (() => Promise<MemoryWriteLog>) | undefined {
  if (beside?.kind !== 'memory') return undefined;
  if ('loaded' in beside && typeof beside.loaded === 'function') {
    const lazy = beside as LazyMemoryStateStore;
    return async () => (await lazy.loaded()).writes;
  }
  const writes = (beside as Partial<MemoryStateStore>).writes;
  return writes ? async () => writes : undefined;
}

/**
 * `new MemoryAccessStore(options, beside.writes)`, loaded at its first call: the write audit is the memory state
 * store's beside it (a document write and its audit entry land in one step), or its own when there is none.
 */
export function lazyMemoryAccessStore(options: Partial<AccessStoreOptions>, beside?: StateStore): AccessStore {
  const writes = writesOf(beside);
  const store = atFirstUse(async () => {
    const { MemoryAccessStore } = await import('./access-memory.ts');
    return new MemoryAccessStore(options, writes ? await writes() : undefined);
  });
  return {
    createKey: async (...args) => (await store()).createKey(...args),
    listKeys: async () => (await store()).listKeys(),
    revokeKey: async (...args) => (await store()).revokeKey(...args),
    authenticate: async (...args) => (await store()).authenticate(...args),
    recordWrite: async (...args) => (await store()).recordWrite(...args),
    readWrites: async (...args) => (await store()).readWrites(...args),
    close: async () => (await store()).close(),
  };
}
