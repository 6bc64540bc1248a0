/**
 * Records a provider adapter keeps between invocations (Azure's started operations, an Azure ML move's
 * steps), in the deployment's state store: each with a TTL, in groups of bounded size (see
 * adapters/state/provider-records.ts). A key's group is its text up to the second `:`.
 */
export interface ProviderRecordStore {
  get(key: string): Promise<string | null>;
  /** Write (or replace) a record, kept `ttlMs` (at most 400 days). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** The live keys of one group (`azure-op:<target>:`), sorted. */
  keys(group: string): Promise<string[]>;
}
