/**
 * API keys: `tide_<id>_<secret>`, the secret 32 random bytes (base64url). The id finds the stored record in
 * one look-up; the SHA-256 of the whole key is compared in constant time. Only the hash is stored, so the
 * key is shown once, when it is made.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, ApiScope } from '../../adapters/ports/access-store.ts';

const KEY_PATTERN = /^tide_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** A new key and the record to store for it. */
export function generateApiKey(scopes: ApiScope[], name: string, now: number): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(8).toString('hex');
  const key = `tide_${id}_${randomBytes(32).toString('base64url')}`;
  return { key, record: { id, name, scopes: [...new Set(scopes)], hash: hashApiKey(key), createdAt: now } };
}

/** Hex SHA-256 of a key. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The id part of a well-formed key; undefined for anything else. */
export function apiKeyId(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

/** A record's stored hash as bytes, decoded once per record (records are never changed in place). */
const storedHashes = new WeakMap<ApiKeyRecord, Buffer>();

/** Whether `key` hashes to `record.hash`, in constant time. Runs on every authenticated request. */
export function apiKeyMatches(key: string, record: ApiKeyRecord): boolean {
  const presented = hash('sha256', key, 'buffer');
  let stored = storedHashes.get(record);
  if (stored === undefined) {
    stored = Buffer.from(record.hash, 'hex');
    storedHashes.set(record, stored);
  }
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/**
 * A key given in the environment (`TIDE_ADMIN_KEY`) as the bootstrap admin. It must look like a generated
 * key (so it is at least 32 random bytes); its record is derived from it, so a restart finds the same id.
 */
export function bootstrapRecord(key: string, now: number): ApiKeyRecord | undefined {
  const id = apiKeyId(key);
  if (!id) return undefined;
  return { id, name: 'bootstrap admin (TIDE_ADMIN_KEY)', scopes: ['admin'], hash: hashApiKey(key), createdAt: now };
}
