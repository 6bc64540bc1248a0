import type { ProviderRecordStore } from '../ports/provider-records.ts';

/**
 * Provider records loaded at their first use (provider-records.ts is a chunk of its own): only the Azure
 * adapters use them, so the other functions' cold starts do not load them (issue 18's start-up budget).
 */
export function lazyRecords(load: () => Promise<ProviderRecordStore>): ProviderRecordStore {
  let made: Promise<ProviderRecordStore> | undefined;
  const store = () => {
    made ??= load().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
  return {
    get: async (key) => (await store()).get(key),
    set: async (key, value, ttlMs) => (await store()).set(key, value, ttlMs),
    delete: async (key) => (await store()).delete(key),
    keys: async (group) => (await store()).keys(group),
  };
}
