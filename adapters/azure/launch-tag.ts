/**
 * What makes a relative launch idempotent on Azure, where ARM does not deduplicate requests: the base the
 * launch added to rides in a tag of the resource, set by the same PATCH that sets the capacity, and a re-drive
 * of the same decision finds it and sets the same absolute capacity again (scale sets: vmss.ts; Azure ML
 * online deployments: ml.ts).
 */
import { createHash } from 'node:crypto';
/**
 * The tag that makes a relative launch idempotent: `{"k": <hash of the request's idempotency key>, "b": <the
 * capacity the launch added to>}` (Azure tag values hold up to 256 characters; this one about 60).
 */
export const LAUNCH_TAG = 'tide-launch';

/** A short, stable stand-in for an idempotency key (the key itself may be long and carry a target id). */
export function launchKeyOf(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
}

/** The base a launch with this key recorded, or undefined when the tag is missing, foreign or another key's. */
export function recordedBase(tag: string | undefined, key: string): number | undefined {
  if (tag === undefined) return undefined;
  try {
    const parsed = JSON.parse(tag) as { k?: unknown; b?: unknown };
    return parsed.k === key && Number.isSafeInteger(parsed.b) && (parsed.b as number) >= 0
      ? (parsed.b as number)
      : undefined;
  } catch {
    return undefined;
  }
}
