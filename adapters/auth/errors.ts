/**
 * Sender authentication: who may hand Tide an event. Every check answers with an {@link AuthResult}, never a
 * throw, so a runtime adapter maps a failure to HTTP 401/403 or a dropped record the same way everywhere.
 * Reasons name what failed (the field, the host, the account), never the payload and never a secret.
 */

/** Why a sender was refused. */
export type AuthFailureCode =
  /** A required credential (signature, token, key) is absent. */
  | 'missing-credential'
  /** A signature or token that does not verify, or a key that does not match. */
  | 'bad-credential'
  /** Signed or authorized correctly, but by a sender outside the configured allow-list. */
  | 'not-allowed'
  /** The signing certificate or key set could not be fetched (timeout, too large, wrong host). */
  | 'key-unavailable'
  /** The sender's message is not of a form the check can read (e.g. an unknown signature version). */
  | 'malformed';

export type AuthResult =
  | { ok: true /** Who sent it, for logs: a topic ARN, an account, a service account email. */; principal: string }
  | { ok: false; code: AuthFailureCode; reason: string };

export const allow = (principal: string): AuthResult => ({ ok: true, principal });
export const deny = (code: AuthFailureCode, reason: string): AuthResult => ({ ok: false, code, reason });

/** An outbound fetch Tide made to verify a sender failed (the caller turns it into `key-unavailable`). */
export class KeyFetchError extends Error {
  override readonly name = 'KeyFetchError';
}

/** Shorten a value quoted in a reason (a URL, an ARN), and escape control characters. */
export function quote(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value));
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
