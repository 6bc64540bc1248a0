/**
 * Small records a provider adapter keeps between invocations, beside the state: Azure's started long-running
 * operations (polled on later ticks) and the steps of an Azure ML deployment move. They lived in process
 * memory, so a cold start in the middle of a move forgot it; here they live in the deployment's state store
 * (Redis, Upstash, or the memory store of the embedded default), so the next instance carries on.
 *
 * Every record has a TTL, set by the writer (an operation a day, a move a week). Records belong to a group,
 * the key up to its second `:` (`azure-op:<target>:`, `azure-ml:<deployment>:`); a group keeps at most
 * `maxPerGroup` records (the ones closest to expiring go first), and `keys(group)` lists one group. Writes
 * are idempotent: writing a key again replaces its value and TTL.
 */
import type { ProviderRecordStore } from '../ports/provider-records.ts';
import { script, type LuaScript } from './scripts.ts';

export type { ProviderRecordStore } from '../ports/provider-records.ts';

/** Records one group keeps at most (a target's operations in flight, a deployment's move). */
export const MAX_RECORDS_PER_GROUP = 256;
/** Longest TTL a writer may ask for, ms (400 days: a deployment's current name after a move). */
export const MAX_RECORD_TTL_MS = 400 * 86_400_000;

/** The group of a key: up to and including its second `:` (the whole key when it has fewer). */
export function recordGroupOf(key: string): string {
  const first = key.indexOf(':');
  const second = first < 0 ? -1 : key.indexOf(':', first + 1);
  return second < 0 ? key : key.slice(0, second + 1);
}

function checkTtl(ttlMs: number): number {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_RECORD_TTL_MS)
    throw new RangeError(`record TTL must be a whole number of ms in 1..${MAX_RECORD_TTL_MS}, was: ${ttlMs}`);
  return ttlMs;
}

/** In memory, for the memory state store (the embedded default and tests). */
export class MemoryProviderRecords implements ProviderRecordStore {
  readonly #values = new Map<string, { value: string; expiresAt: number }>();
  readonly #groups = new Map<string, Set<string>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxPerGroup = MAX_RECORDS_PER_GROUP,
  ) {}

  #live(key: string): { value: string; expiresAt: number } | undefined {
    const entry = this.#values.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.#drop(key);
      return undefined;
    }
    return entry;
  }

  #drop(key: string): void {
    this.#values.delete(key);
    const group = recordGroupOf(key);
    const members = this.#groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.#groups.delete(group);
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#values.set(key, { value, expiresAt: this.now() + checkTtl(ttlMs) });
    const group = recordGroupOf(key);
    const members = this.#groups.get(group) ?? new Set<string>();
    members.add(key);
    this.#groups.set(group, members);
    for (const member of [...members]) this.#live(member);
    if (members.size > this.maxPerGroup) {
      const byExpiry = [...members].sort((a, b) => this.#values.get(a)!.expiresAt - this.#values.get(b)!.expiresAt);
      for (const member of byExpiry.slice(0, members.size - this.maxPerGroup)) this.#drop(member);
    }
  }

  async delete(key: string): Promise<void> {
    this.#drop(key);
  }

  async keys(group: string): Promise<string[]> {
    return [...(this.#groups.get(group) ?? [])].filter((key) => this.#live(key) !== undefined).sort();
  }
}

/**
 * KEYS: the record, its group's index (sorted set: key -> expiry ms). ARGV: value, ttl ms, now ms, the key,
 * the most the group keeps, the prefix of record keys. Writes the record with its TTL, drops expired and
 * excess members (closest to expiring first, with their records), and lets the index expire with its last.
 */
const SET_RECORD: LuaScript = script(
  'set-provider-record',
  `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  local gone = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, member in ipairs(gone) do
    redis.call('DEL', ARGV[6] .. member)
    redis.call('ZREM', KEYS[2], member)
  end
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[2], last[2]) end
return 1`,
);

/** KEYS: the record, its group's index. ARGV: the key. */
const DELETE_RECORD: LuaScript = script(
  'delete-provider-record',
  `redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`,
);

/** On Redis or Upstash, under the deployment's hash tag (one slot with the rest of its state). */
export class RedisProviderRecords implements ProviderRecordStore {
  readonly #prefix: string;

  constructor(
    private readonly transport: { command(args: [string, ...string[]]): Promise<unknown> },
    /** `tide:{<namespace>}` (keys.ts): records are `<prefix>:rec:<key>`, indexes `<prefix>:rec-index:<group>`. */
    prefix: string,
    /** The store's bounded retries and timeout around one request. */
    private readonly run: <T>(operation: string, request: () => Promise<T>) => Promise<T>,
    /** EVALSHA, then EVAL on NOSCRIPT. */
    private readonly script: (lua: LuaScript, keys: string[], args: string[]) => Promise<unknown>,
    private readonly now: () => number = Date.now,
    private readonly maxPerGroup = MAX_RECORDS_PER_GROUP,
  ) {
    this.#prefix = `${prefix}:rec:`;
    this.#indexPrefix = `${prefix}:rec-index:`;
  }
  readonly #indexPrefix: string;

  async get(key: string): Promise<string | null> {
    const reply = await this.run(`get record ${key}`, () => this.transport.command(['GET', this.#prefix + key]));
    return typeof reply === 'string' ? reply : null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const ttl = checkTtl(ttlMs);
    await this.run(`set record ${key}`, () =>
      this.script(
        SET_RECORD,
        [this.#prefix + key, this.#indexPrefix + recordGroupOf(key)],
        [value, String(ttl), String(this.now()), key, String(this.maxPerGroup), this.#prefix],
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.run(`delete record ${key}`, () =>
      this.script(DELETE_RECORD, [this.#prefix + key, this.#indexPrefix + recordGroupOf(key)], [key]),
    );
  }

  async keys(group: string): Promise<string[]> {
    const reply = await this.run(`list records ${group}`, () =>
      this.transport.command(['ZRANGEBYSCORE', this.#indexPrefix + group, `(${this.now()}`, '+inf']),
    );
    return Array.isArray(reply) ? reply.map(String).sort() : [];
  }
}
