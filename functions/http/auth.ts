/**
 * Authentication and authorization of every `/v1` route: an API key with the route's scope, counted
 * against the key's rate limit in the same round trip. 401 and 403 say nothing that helps a guesser (the
 * same words for an unknown id, a wrong secret and a malformed key). The key never reaches a log line.
 *
 * Webhook senders that cannot send a bearer header use what each documents, mapped to an `ingest` key:
 * HTTP basic auth with the key as the password (Alertmanager `basic_auth`, Google Cloud Monitoring webhook
 * "basic auth", SNS HTTPS endpoints `https://tide:KEY@host/...`), or the key in the URL as `?token=KEY`
 * (Google Cloud Monitoring "token auth", Azure Monitor action group webhooks). An Azure Monitor action group's
 * secure webhook sends a Microsoft Entra ID token instead: on `POST /v1/events/azure-monitor` a bearer that is
 * not a Tide key is checked by adapters/auth/entra.ts (when configured) and, valid, counts as `ingest` (no
 * per-key rate limit: the sender is Azure's, authenticated by your tenant).
 */
import type { MiddlewareHandler } from 'hono';
import type { ApiScope } from '../../adapters/ports/access-store.ts';
import { apiKeyId, apiKeyMatches } from './api-keys.ts';
import { DEFAULT_API_OPTIONS, type ApiDependencies, type ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';

/** Where a key may come from on a route. */
export type CredentialPlaces = 'bearer' | 'webhook';

const UNAUTHORIZED = 'missing or invalid credentials';

/** The key a request carries, or undefined. */
export function credentialOf(
  header: string | undefined,
  token: string | undefined,
  places: CredentialPlaces,
): string | undefined {
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  if (places === 'bearer') return bearer;
  // A Pub/Sub push sends its own Google token as the bearer: then the key comes as basic auth or `?token=`.
  if (bearer !== undefined && apiKeyId(bearer) !== undefined) return bearer;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return decoded.slice(colon + 1);
  }
  return token ?? bearer;
}

/** The middleware that lets through only a valid key with `scope`, within its rate limit. */
export function requireScope(
  scope: ApiScope,
  deps: Pick<ApiDependencies, 'access' | 'clock' | 'metrics' | 'options' | 'senders'>,
  places: CredentialPlaces = 'bearer',
): MiddlewareHandler<ApiEnv> {
  const options = { ...DEFAULT_API_OPTIONS, ...deps.options };
  const reject = (reason: 'unauthenticated' | 'forbidden' | 'rate-limited', error: ApiError): never => {
    if (places === 'webhook') deps.metrics.webhookRejections.inc({ reason });
    throw error;
  };
  return async (c, next) => {
    const header = c.req.header('authorization');
    // `?token=` is a webhook sender's way only: other routes do not parse the query for it.
    const key = credentialOf(header, places === 'webhook' ? c.req.query('token') : undefined, places);
    const id = key === undefined ? undefined : apiKeyId(key);
    if (id === undefined && entraAllowed(scope, places, c.req.param('source')) && header?.startsWith('Bearer ')) {
      const checked = await deps.senders.authenticate('azure-monitor', {
        headers: { authorization: header },
        body: null,
      });
      if (!checked.ok)
        return reject('unauthenticated', new ApiError(401, 'unauthorized', UNAUTHORIZED, undefined, challenge(places)));
      c.set('apiKey', {
        id: 'entra',
        name: `Azure Monitor secure webhook (${checked.principal})`,
        scopes: ['ingest'],
        createdAt: 0,
      });
      return next();
    }
    if (key === undefined || id === undefined)
      return reject('unauthenticated', new ApiError(401, 'unauthorized', UNAUTHORIZED, undefined, challenge(places)));
    const now = deps.clock.now();
    const { record, count, windowEndsAt } = await deps.access.authenticate(id, now, options.rateWindowMs);
    if (!record || !apiKeyMatches(key, record))
      return reject('unauthenticated', new ApiError(401, 'unauthorized', UNAUTHORIZED, undefined, challenge(places)));
    if (!record.scopes.includes(scope))
      return reject('forbidden', new ApiError(403, 'forbidden', 'this key may not do that'));
    if (count > options.rateLimit) {
      const retryAfter = String(Math.max(1, Math.ceil((windowEndsAt - now) / 1000)));
      return reject(
        'rate-limited',
        new ApiError(
          429,
          'rate-limited',
          `over ${options.rateLimit} requests per ${options.rateWindowMs / 1000} s for this key`,
          undefined,
          {
            'Retry-After': retryAfter,
          },
        ),
      );
    }
    const { hash: _hash, ...info } = record;
    c.set('apiKey', info);
    await next();
  };
}

/** Where an Entra ID token stands in for an `ingest` key: Azure Monitor's webhook route only. */
function entraAllowed(scope: ApiScope, places: CredentialPlaces, source: string | undefined): boolean {
  return scope === 'ingest' && places === 'webhook' && source === 'azure-monitor';
}

function challenge(places: CredentialPlaces): Record<string, string> {
  return { 'WWW-Authenticate': places === 'webhook' ? 'Bearer, Basic realm="tide"' : 'Bearer realm="tide"' };
}
