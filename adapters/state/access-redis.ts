import { createHash } from 'node:crypto';
import type { AccessStore, ApiKeyInfo, ApiKeyRecord, KeyLookup, WriteRecord } from '../ports/access-store.ts';
import { KeyLimitError } from './access-errors.ts';
import { withAccessDefaults, type AccessStoreOptions } from './access-options.ts';
import { StateCommandError, StateCorruptError, StateUnavailableError } from './errors.ts';
import type { RedisTransport } from './redis-store.ts';

function script(source: string) {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** KEYS: key hash, key index. ARGV: id, record JSON, max keys. */
const CREATE_KEY =
  script(`if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'`);

/**
 * KEYS: the key's record, its counter for the current window. ARGV: window length ms, requests to count.
 * One round trip: the record, and the requests counted, only for a key that exists.
 */
const AUTHENTICATE = script(`local record = redis.call('GET', KEYS[1])
if not record then return {} end
local count = redis.call('INCRBY', KEYS[2], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return {record, count}`);

/** KEYS: the key's record, key index. ARGV: id. */
const REVOKE_KEY = script(`redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`);

/** The access store over Redis (TCP or Upstash), in the state store's namespace. */
export class RedisAccessStore implements AccessStore {
  private readonly options: AccessStoreOptions;
  private readonly prefix: string;

  constructor(
    private readonly transport: RedisTransport,
    options: Partial<AccessStoreOptions> = {},
  ) {
    this.options = withAccessDefaults(options);
    this.prefix = `tide:{${this.options.namespace}}`;
  }

  private keyOf = (id: string) => `${this.prefix}:apikey:${id}`;
  private get index() {
    return `${this.prefix}:apikeys`;
  }
  private get writesKey() {
    return `${this.prefix}:writes`;
  }

  async createKey(record: ApiKeyRecord): Promise<void> {
    const reply = await this.run('create key', () =>
      this.script(
        CREATE_KEY,
        [this.keyOf(record.id), this.index],
        [record.id, JSON.stringify(record), String(this.options.maxKeys)],
      ),
    );
    if (reply === 'full') throw new KeyLimitError(this.options.maxKeys);
  }

  async listKeys(): Promise<ApiKeyInfo[]> {
    const ids = (await this.run('list keys', () => this.transport.command(['SMEMBERS', this.index]))) as string[];
    if (ids.length === 0) return [];
    const records = (await this.run('list keys', () =>
      this.transport.command(['MGET', ...ids.map((id) => this.keyOf(String(id)))]),
    )) as (string | null)[];
    return records
      .flatMap((text, i) => (text === null ? [] : [this.decode(this.keyOf(String(ids[i])), text)]))
      .map(({ hash: _hash, ...info }) => info)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async revokeKey(id: string): Promise<boolean> {
    const deleted = await this.run('revoke key', () => this.script(REVOKE_KEY, [this.keyOf(id), this.index], [id]));
    return Number(deleted) > 0;
  }

  async authenticate(id: string, now: number, windowMs: number, requests = 1): Promise<KeyLookup> {
    const window = Math.floor(now / windowMs);
    const windowEndsAt = (window + 1) * windowMs;
    const counter = `${this.prefix}:rate:${id}:${window}`;
    const reply = (await this.run('authenticate', () =>
      this.script(
        AUTHENTICATE,
        [this.keyOf(id), counter],
        [String(windowMs), String(Math.max(1, Math.trunc(requests)))],
      ),
    )) as unknown[];
    if (!Array.isArray(reply) || reply.length === 0) return { record: null, count: 0, windowEndsAt };
    return { record: this.decode(this.keyOf(id), String(reply[0])), count: Number(reply[1]), windowEndsAt };
  }

  async recordWrite(record: WriteRecord): Promise<void> {
    const max = String(this.options.writeAuditMaxEntries);
    await this.run('record write', () =>
      this.transport.command(['XADD', this.writesKey, 'MAXLEN', max, '*', 'write', JSON.stringify(record)]),
    );
  }

  async readWrites(options: { limit?: number; targetId?: string } = {}): Promise<WriteRecord[]> {
    const limit = Math.min(1000, Math.max(1, Math.trunc(options.limit ?? 100)));
    // Filtering by target reads at most the cap; the audit is small (10 000 entries by default).
    const count = options.targetId === undefined ? limit : this.options.writeAuditMaxEntries;
    const reply = (await this.run('read writes', () =>
      this.transport.command(['XREVRANGE', this.writesKey, '+', '-', 'COUNT', String(count)]),
    )) as [string, string[]][];
    const records = reply.map(([, fields]) => JSON.parse(String(fields[fields.indexOf('write') + 1])) as WriteRecord);
    return records.filter((r) => options.targetId === undefined || r.targetId === options.targetId).slice(0, limit);
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private decode(key: string, text: string): ApiKeyRecord {
    try {
      return JSON.parse(text) as ApiKeyRecord;
    } catch (error) {
      throw new StateCorruptError(key, 'API key record is not JSON', { cause: error });
    }
  }

  private async script(lua: { source: string; sha1: string }, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.transport.evalsha(lua.sha1, keys, args);
    } catch (error) {
      if (this.transport.isNoScript(error)) return this.transport.eval(lua.source, keys, args);
      throw error;
    }
  }

  /** One attempt bounded by the timeout (waiting for the connection included), one retry on a transient error. */
  private async run<T>(operation: string, request: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)),
            this.options.timeoutMs,
          );
        });
        const work = this.transport.ready().then(request);
        work.catch(() => undefined);
        return await Promise.race([work, deadline]);
      } catch (error) {
        if (
          error instanceof Error &&
          error.message.startsWith('no answer') === false &&
          !this.transport.isTransient(error)
        )
          throw new StateCommandError(`${operation}: ${error.message}`, { cause: error });
        lastError = error;
      } finally {
        clearTimeout(timer);
      }
    }
    throw new StateUnavailableError(operation, 2, { cause: lastError });
  }
}
