/**
 * The access store port: what the HTTP API keeps next to the targets in the same state store (same Redis,
 * same namespace): API keys (only their hash), the per-key request counters of the rate limit, and the
 * record of every write to a target or policy. Memory and Redis implementations share the semantics
 * exactly (adapters/state/access-*.ts; test/adapters/state/access-contract.test.ts).
 */

/** What a key may do: `read` documents and logs, `write` targets, policies and overrides, `ingest` webhooks, `admin` keys. */
export const API_SCOPES = ['read', 'write', 'ingest', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A stored API key: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  /** Public id, part of the key (`tide_<id>_<secret>`): finds the record without a scan. */
  id: string;
  name: string;
  scopes: ApiScope[];
  /** Hex SHA-256 of the whole key, compared in constant time. */
  hash: string;
  /** Epoch ms. */
  createdAt: number;
}

/** A key as listed: everything but the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

/** What one authentication look-up found, with the request counted against the key's rate limit. */
export interface KeyLookup {
  /** Null when no key has this id (nothing is counted then). */
  record: ApiKeyRecord | null;
  /** Requests of this key in the current window, this one included. */
  count: number;
  /** Epoch ms at which the current window ends (for `Retry-After`). */
  windowEndsAt: number;
}

/** One write to a target, policy or override, as the audit of writes keeps it. */
export interface WriteRecord {
  /** Epoch ms. */
  at: number;
  keyId: string;
  keyName: string;
  /** e.g. `put-policy`, `delete-target`, `override`. */
  action: string;
  targetId: string;
  /** The new document version, when the write made one. */
  version?: number;
  /** The document written or the request applied (bounded by the request body limit). */
  change: unknown;
}

/** Keys, rate-limit counters and the write audit. */
export interface AccessStore {
  /** Store a new key. Throws `KeyLimitError` when the deployment already holds `maxKeys`. */
  createKey(record: ApiKeyRecord): Promise<void>;
  /** Every key, oldest first, without hashes. */
  listKeys(): Promise<ApiKeyInfo[]>;
  /** False when there was no such key. */
  revokeKey(id: string): Promise<boolean>;
  /**
   * Read the key with id `id` and count `requests` (default 1) against it in the fixed window of `windowMs`
   * that holds `now`: one round trip for both. A request for an unknown id counts nothing. The HTTP app counts
   * requests in-process between look-ups and adds them here in one go (functions/http/key-cache.ts).
   */
  authenticate(id: string, now: number, windowMs: number, requests?: number): Promise<KeyLookup>;
  /** Append to the write audit (capped; oldest dropped first). */
  recordWrite(record: WriteRecord): Promise<void>;
  /** The write audit, newest first; only `targetId`'s when given. */
  readWrites(options?: { limit?: number; targetId?: string }): Promise<WriteRecord[]>;
  close(): Promise<void>;
}
