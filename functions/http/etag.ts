import type { ExpectedVersion } from '../../adapters/ports/state-store.ts';
import { ApiError } from './errors.ts';

/** A document version as an ETag. Versions never repeat within a deployment, so strong ETags are safe. */
export const etagOf = (version: number) => `"${version}"`;

const PRECONDITION_FAILED = () =>
  new ApiError(412, 'precondition-failed', 'the document changed: its ETag no longer matches (nothing was changed)');

/**
 * The version a write expects, from its preconditions: `If-None-Match: *` creates only; `If-Match: "<v>"`
 * replaces or deletes only that version; `If-Match: *` only something that exists; no header: unconditional.
 * A precondition that cannot hold (an ETag that is not one of ours) fails with 412 before anything is written.
 */
export async function expectedVersion(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
  current: () => Promise<number | null>,
): Promise<ExpectedVersion> {
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*')
      throw new ApiError(400, 'bad-request', 'If-None-Match on a write must be "*" (create only)');
    if (ifMatch !== undefined) throw new ApiError(400, 'bad-request', 'send If-Match or If-None-Match, not both');
    return null;
  }
  if (ifMatch === undefined) return undefined;
  const value = ifMatch.trim();
  if (value === '*') {
    const version = await current();
    if (version === null) throw PRECONDITION_FAILED();
    return version;
  }
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(value);
  if (!match) throw PRECONDITION_FAILED();
  return Number(match[1]);
}
