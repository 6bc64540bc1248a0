import { z } from '@hono/zod-openapi';
import type { ApiKeyInfo, WriteRecord } from '../../../adapters/ports/access-store.ts';
import type { ApiDependencies } from '../context.ts';

/** Conditional-write headers, for the document (the values are read raw: see etag.ts). */
export const ifMatchHeaders = z.object({
  'if-match': z.string().max(200).optional(),
  'if-none-match': z.string().max(200).optional(),
});

/**
 * Record a write with the key that made it. The write has landed by now: a failure to record it is logged
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
