import type { AccessStore, ApiKeyInfo, ApiKeyRecord, KeyLookup, WriteRecord } from '../ports/access-store.ts';
import { KeyLimitError } from './access-errors.ts';
import { withAccessDefaults, type AccessStoreOptions } from './access-options.ts';
import { MemoryWriteLog } from './write-log.ts';

/** The in-memory access store: the embedded default and the tests' store. Same semantics as the Redis one. */
export class MemoryAccessStore implements AccessStore {
  private readonly options: AccessStoreOptions;
  private readonly keys = new Map<string, string>();
  /** Rate-limit windows by key id: only the current window is kept, so the map is bounded by the key count. */
  private readonly windows = new Map<string, { window: number; count: number }>();
  /**
   * @param writes the write audit; pass the memory state store's (`store.writes`) so the entries it appends
   * with each document write are read here.
   */
  constructor(
    options: Partial<AccessStoreOptions> = {},
    private readonly writes: MemoryWriteLog = new MemoryWriteLog(),
  ) {
    this.options = withAccessDefaults(options);
  }

  async createKey(record: ApiKeyRecord): Promise<void> {
    if (!this.keys.has(record.id) && this.keys.size >= this.options.maxKeys)
      throw new KeyLimitError(this.options.maxKeys);
    this.keys.set(record.id, JSON.stringify(record));
  }

  async listKeys(): Promise<ApiKeyInfo[]> {
    return [...this.keys.values()]
      .map((text) => JSON.parse(text) as ApiKeyRecord)
      .map(({ hash: _hash, ...info }) => info)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async revokeKey(id: string): Promise<boolean> {
    this.windows.delete(id);
    return this.keys.delete(id);
  }

  async authenticate(id: string, now: number, windowMs: number, requests = 1): Promise<KeyLookup> {
    const window = Math.floor(now / windowMs);
    const windowEndsAt = (window + 1) * windowMs;
    const text = this.keys.get(id);
    if (text === undefined) return { record: null, count: 0, windowEndsAt };
    const current = this.windows.get(id);
    const counted = Math.max(1, Math.trunc(requests));
    const count = current?.window === window ? current.count + counted : counted;
    this.windows.set(id, { window, count });
    return { record: JSON.parse(text) as ApiKeyRecord, count, windowEndsAt };
  }

  async recordWrite(record: WriteRecord): Promise<void> {
    const { version, ...rest } = record;
    this.writes.append(rest, version, this.options.writeAuditMaxEntries);
  }

  async readWrites(options: { limit?: number; targetId?: string } = {}): Promise<WriteRecord[]> {
    const limit = Math.min(1000, Math.max(1, Math.trunc(options.limit ?? 100)));
    return this.writes.read(limit, options.targetId);
  }

  async close(): Promise<void> {}
}
