/**
 * Event Grid webhook authentication. Event Grid has no signature; as documented, the subscription is
 * configured with a secret it sends on every delivery: in the endpoint URL's query string, or as a delivery
 * property header (e.g. `Authorization`, marked secret). The validation handshake is answered only when the
 * delivery is for a configured subscription (`aeg-subscription-name`, which Event Grid sends upper-case) and
 * carries the secret, so nobody else can make Tide accept a subscription.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { allow, deny, quote, type AuthResult } from './errors.ts';

export interface EventGridAuthOptions {
  /** The shared secret the subscription's endpoint URL or delivery header carries. Required. */
  secret: string;
  /** Event subscription names accepted (compared case-insensitively). Required. */
  subscriptions: readonly string[];
  /** The query parameter carrying the secret (default `code`). */
  queryParameter?: string;
  /** The header carrying the secret (default `authorization`, as `Bearer <secret>` or the bare secret). */
  header?: string;
}

export interface EventGridRequest {
  headers: Record<string, string | undefined>;
  query?: Record<string, string | undefined>;
}

export interface EventGridAuth {
  verify(request: EventGridRequest): AuthResult;
}

/** Equal strings, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

export function createEventGridAuth(options: EventGridAuthOptions): EventGridAuth {
  if (options.secret.length < 16) throw new Error('the Event Grid secret must be at least 16 characters');
  const subscriptions = new Set(options.subscriptions.map((name) => name.toUpperCase()));
  const parameter = options.queryParameter ?? 'code';
  const headerName = options.header ?? 'authorization';
  return {
    verify(request) {
      const fromHeader = header(request.headers, headerName)?.replace(/^Bearer /, '');
      const given = fromHeader ?? request.query?.[parameter];
      if (!given)
        return deny('missing-credential', `no secret in the ${headerName} header or the ${parameter} parameter`);
      if (!sameSecret(given, options.secret)) return deny('bad-credential', 'the delivery secret does not match');
      const name = header(request.headers, 'aeg-subscription-name');
      if (!name || !subscriptions.has(name.toUpperCase()))
        return deny('not-allowed', `event subscription is not configured, was: ${quote(name ?? null)}`);
      return allow(`event-grid:${name.toUpperCase()}`);
    },
  };
}
