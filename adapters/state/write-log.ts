import type { WriteRecord } from '../ports/access-store.ts';

/**
 * The write audit in memory, shared by the memory state store (which appends to it in the same step as the
 * document write it records) and the memory access store (which reads it). The Redis stores keep it in one
 * stream, `tide:{<namespace>}:writes`, appended by the same Lua script that writes the document.
 */
export class MemoryWriteLog {
  private entries: string[] = [];

  /** Append `record` (with `version` when the write made one), keeping the newest `maxEntries`. */
  append(record: Omit<WriteRecord, 'version'>, version: number | undefined, maxEntries: number): void {
    this.entries.push(JSON.stringify(version === undefined ? record : { ...record, version }));
    if (this.entries.length > maxEntries) this.entries = this.entries.slice(-maxEntries);
  }

  /** Newest first, only `targetId`'s when given, at most `limit`. */
  read(limit: number, targetId?: string): WriteRecord[] {
    const out: WriteRecord[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const record = JSON.parse(this.entries[i]!) as WriteRecord;
      if (targetId === undefined || record.targetId === targetId) out.push(record);
    }
    return out;
  }
}
