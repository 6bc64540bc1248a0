/** Limits of the access store (keys and the write audit). */
export interface AccessStoreOptions {
  /** Deployment name, the same namespace as the state store's keys. */
  namespace: string;
  /** API keys per deployment. */
  maxKeys: number;
  /** Writes kept in the write audit (the oldest are dropped first). */
  writeAuditMaxEntries: number;
  /** Per attempt, milliseconds (Redis only). */
  timeoutMs: number;
}

export const DEFAULT_ACCESS_OPTIONS: AccessStoreOptions = {
  namespace: 'default',
  maxKeys: 1000,
  writeAuditMaxEntries: 10_000,
  timeoutMs: 1000,
};

export function withAccessDefaults(options: Partial<AccessStoreOptions> = {}): AccessStoreOptions {
  return { ...DEFAULT_ACCESS_OPTIONS, ...options };
}
