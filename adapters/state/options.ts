/** Limits and timings shared by every state store implementation. */
export interface StateStoreOptions {
  /** Deployment name: every key is `tide:{<namespace>}:…`, so deployments sharing a Redis never collide. */
  namespace: string;
  /** Per attempt, milliseconds: a Redis that has not answered by then counts as unavailable. */
  timeoutMs: number;
  /** Further attempts after a failed one (connection lost, timeout); 2 means at most 3 attempts. */
  retries: number;
  /** How long an event's idempotency record (and the decision it produced) is kept, seconds. */
  eventTtlSeconds: number;
  /** A target's memory is dropped after this long without a decision, seconds. */
  stateTtlSeconds: number;
  /** The audit stream keeps at most this many decisions per target… */
  auditMaxEntries: number;
  /** …and none older than this, seconds. */
  auditMaxAgeSeconds: number;
  /** Targets per deployment: the cap that bounds the number of target, policy and state keys. */
  maxTargets: number;
  /**
   * Recent signals kept per target (for the policy editor's replay), written with the commit: at most this
   * many, each at most `recentSignalMaxBytes` of JSON (a larger one is not kept), none older than
   * `recentSignalsMaxAgeSeconds`. 0 keeps none.
   */
  recentSignalsMax: number;
  recentSignalMaxBytes: number;
  recentSignalsMaxAgeSeconds: number;
}

export const DEFAULT_STATE_OPTIONS: StateStoreOptions = {
  namespace: 'default',
  timeoutMs: 1000,
  retries: 2,
  eventTtlSeconds: 24 * 3600,
  stateTtlSeconds: 30 * 24 * 3600,
  auditMaxEntries: 1000,
  auditMaxAgeSeconds: 30 * 24 * 3600,
  maxTargets: 1000,
  // 120 entries of 4 KB at most: under 0.5 MB per target, about 60 KB for metric signals (~500 bytes each).
  recentSignalsMax: 120,
  recentSignalMaxBytes: 4096,
  recentSignalsMaxAgeSeconds: 6 * 3600,
};

export function withDefaults(options: Partial<StateStoreOptions> = {}): StateStoreOptions {
  return { ...DEFAULT_STATE_OPTIONS, ...options };
}
