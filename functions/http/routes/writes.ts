import * as z from 'zod';
import type { ApiKeyInfo, WriteRecord } from '../../../adapters/ports/access-store.ts';
import type { WriteAudit } from '../../../adapters/ports/state-store.ts';
import { DEFAULT_ACCESS_OPTIONS } from '../../../adapters/state/access-options.ts';
import type { ApiDependencies } from '../context.ts';

/** Conditional-write headers, for the document (the values are read raw: see etag.ts). */
export const ifMatchHeaders = z.object({
  'if-match': z.string().max(200).optional(),
  'if-none-match': z.string().max(200).optional(),
});

/**
 * The audit entry a target or policy write carries into the state store, which commits it with the write
 * (one Lua script on Redis, one step in memory): the document and its record land together or not at all.
 */
export function writeAudit(
  deps: Pick<ApiDependencies, 'clock'>,
  key: ApiKeyInfo,
  write: Omit<WriteRecord, 'at' | 'keyId' | 'keyName' | 'version'>,
): WriteAudit {
  return {
    record: { at: deps.clock.now(), keyId: key.id, keyName: key.name, ...write },
    maxEntries: DEFAULT_ACCESS_OPTIONS.writeAuditMaxEntries,
  };
}

/**
 * Record a write with the key that made it, after the fact: for overrides, which are decisions committed by
 * the shell (their decision and its audit entry are atomic; this record of who asked is written after). The write has landed by now: a failure to record it is logged
 * (loudly) rather than answered as a failure, which would invite a retry of a write that already happened.
 */
export async function recordWrite(
  deps: Pick<ApiDependencies, 'access' | 'clock' | 'logger'>,
  key: ApiKeyInfo,
  write: Omit<WriteRecord, 'at' | 'keyId' | 'keyName'>,
): Promise<void> {
  const record: WriteRecord = { at: deps.clock.now(), keyId: key.id, keyName: key.name, ...write };
  try {
    await deps.access.recordWrite(record);
  } catch (error) {
    deps.logger.error('api: a write landed but could not be recorded in the write audit', {
      action: write.action,
      targetId: write.targetId,
      keyId: key.id,
      error: (error as Error).message,
    });
  }
}
