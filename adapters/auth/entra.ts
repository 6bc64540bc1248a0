/**
 * Microsoft Entra ID (Azure AD) bearer tokens, as an Azure Monitor action group's **secure webhook** sends
 * them: the action group gets an app-only access token from your tenant for the application you registered
 * for Tide (its Application ID URI is the token's audience) and posts the alert with
 * `Authorization: Bearer <token>`. The token is checked with `jose`:
 *
 * - the signature (RS256) against the tenant's published keys (a JWKS fetched over https with a timeout and
 *   a size cap, cached for `cacheTtlMs`; a token signed with a key not in the cached set makes one refetch,
 *   at most once per `refetchCooldownMs`, since Entra rotates its keys);
 * - the issuer: the tenant's, as v1.0 tokens (`https://sts.windows.net/<tenant>/`) or v2.0 tokens
 *   (`https://login.microsoftonline.com/<tenant>/v2.0`) name it, and `tid` the same tenant;
 * - the audience: one of those configured (the Application ID URI; add the app's client id for v2.0 tokens);
 * - `exp`/`nbf`/`iat` with a small clock tolerance;
 * - the calling application (`appid` in v1.0 tokens, `azp` in v2.0): Azure Monitor action groups' own
 *   application, `461e8683-5575-4561-ac7f-899cc907d62a` ("AzNS AAD Webhook"), unless configured otherwise;
 * - when configured, an app role the action groups' service principal was assigned (Microsoft's set-up
 *   script names it `ActionGroupsSecureWebhook`), so only that principal's tokens pass even if another
 *   application could get a token for the audience;
 * - an app-only token: `idtyp`, when present, must be `app`, and a delegated token (`scp`) is refused.
 *
 * Reusable by every runtime (the HTTP app, the Azure functions): build one verifier per process.
 */
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { allow, deny, quote, type AuthResult } from './errors.ts';
import { loadJose, type Jose } from './jose.ts';
import { httpsGet, type KeyFetcher, type KeyFetchOptions } from './fetch.ts';

/** Azure Monitor action groups' application ("AzNS AAD Webhook"), the caller of a secure webhook. */
export const ACTION_GROUPS_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';
/** The app role Microsoft's secure-webhook set-up script creates and assigns to the action groups' principal. */
export const ACTION_GROUPS_ROLE = 'ActionGroupsSecureWebhook';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EntraVerifierOptions {
  /** The directory (tenant) id that issues the tokens, a GUID. */
  tenantId: string;
  /** Accepted `aud` values: the Application ID URI of Tide's app registration (and its client id for v2.0 tokens). */
  audiences: readonly string[];
  /** Applications whose tokens are accepted (`appid`/`azp`). Default: Azure Monitor action groups' only. */
  clientIds?: readonly string[];
  /** An app role the token must carry (`roles`), e.g. {@link ACTION_GROUPS_ROLE}. Default: none required. */
  requiredRole?: string;
  /** The tenant's key set. Default `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`. */
  jwksUrl?: string;
  /** Where the issuer names are built from, for sovereign clouds. Default `login.microsoftonline.com`. */
  authorityHost?: string;
  fetch?: Partial<KeyFetchOptions>;
  /** How long the key set is kept, ms (default 1 h). */
  cacheTtlMs?: number;
  /** Least time between two fetches caused by an unknown key id, ms (default 5 min). */
  refetchCooldownMs?: number;
  /** Clock skew tolerated on `exp`/`nbf`/`iat`, seconds (default 300, as Microsoft's libraries do). */
  clockToleranceSeconds?: number;
  get?: KeyFetcher;
  now?: () => number;
}

export interface EntraVerifier {
  /** Check the `Authorization` header of a request. The principal is `entra:<tenant>/<client id>`. */
  verify(authorization: string | undefined): Promise<AuthResult>;
}

/** A configuration error (a tenant id that is not a GUID, no audience). */
export class EntraConfigError extends Error {
  override readonly name = 'EntraConfigError';
  readonly retryable = false;
}

class KeysUnavailable extends Error {}

export function createEntraVerifier(options: EntraVerifierOptions): EntraVerifier {
  if (!GUID.test(options.tenantId))
    throw new EntraConfigError(`the Entra tenant id must be a GUID, was: ${quote(options.tenantId, 60)}`);
  if (options.audiences.length === 0) throw new EntraConfigError('at least one Entra audience is needed');
  const tenant = options.tenantId.toLowerCase();
  const authority = options.authorityHost ?? 'login.microsoftonline.com';
  const url = new URL(options.jwksUrl ?? `https://${authority}/${tenant}/discovery/v2.0/keys`);
  const issuers = [`https://sts.windows.net/${tenant}/`, `https://${authority}/${tenant}/v2.0`];
  const clients = new Set((options.clientIds ?? [ACTION_GROUPS_APP_ID]).map((id) => id.toLowerCase()));
  const fetchOptions: KeyFetchOptions = { timeoutMs: 2000, maxBytes: 64 * 1024, ...options.fetch };
  const get = options.get ?? httpsGet;
  const now = options.now ?? Date.now;
  const ttl = options.cacheTtlMs ?? 3_600_000;
  const cooldown = options.refetchCooldownMs ?? 300_000;

  type KeySet = ReturnType<Jose['createLocalJWKSet']>;
  let cached: { keys: Promise<KeySet>; fetchedAt: number } | null = null;
  const fetchKeys = () => {
    const keys = Promise.all([get(url, fetchOptions), loadJose()]).then(([body, jose]) =>
      jose.createLocalJWKSet(JSON.parse(body.toString('utf8')) as JSONWebKeySet),
    );
    const entry = { keys, fetchedAt: now() };
    cached = entry;
    // A failed fetch is not kept: the next request tries again.
    keys.catch(() => {
      if (cached === entry) cached = null;
    });
    return keys;
  };
  const keySet = () => (cached && now() - cached.fetchedAt < ttl ? cached.keys : fetchKeys());

  const check = (payload: JWTPayload): AuthResult => {
    if (String(payload.tid ?? '').toLowerCase() !== tenant)
      return deny('not-allowed', `the token is from another tenant, was: ${quote(payload.tid, 60)}`);
    const client = String((payload.ver === '2.0' ? payload.azp : payload.appid) ?? '').toLowerCase();
    if (!clients.has(client))
      return deny('not-allowed', `the token is for another application, was: ${quote(client, 60)}`);
    if (payload.idtyp !== undefined && payload.idtyp !== 'app')
      return deny('not-allowed', `not an app-only token (idtyp ${quote(payload.idtyp, 20)})`);
    if (payload.scp !== undefined) return deny('not-allowed', 'a delegated (user) token, not an app-only one');
    if (options.requiredRole !== undefined) {
      const roles = Array.isArray(payload.roles) ? payload.roles : [];
      if (!roles.includes(options.requiredRole))
        return deny('not-allowed', `the token lacks the app role ${quote(options.requiredRole, 60)}`);
    }
    return allow(`entra:${tenant}/${client}`);
  };

  const verifyWith = async (token: string, keys: KeySet) =>
    (await loadJose()).jwtVerify(token, keys, {
      issuer: issuers,
      audience: [...options.audiences],
      algorithms: ['RS256'],
      clockTolerance: options.clockToleranceSeconds ?? 300,
      currentDate: new Date(now()),
      requiredClaims: ['exp', 'iat', 'tid'],
    });

  return {
    async verify(authorization) {
      const match = /^Bearer ([A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{1,8192}\.[A-Za-z0-9_-]{1,2048})$/.exec(
        authorization ?? '',
      );
      if (!match) return deny('missing-credential', 'Authorization: Bearer <Entra ID token> is missing or malformed');
      const token = match[1]!;
      let jose: Jose;
      try {
        jose = await loadJose();
      } catch (error) {
        return deny('key-unavailable', `token verification unavailable: ${(error as Error).message}`);
      }
      const { errors } = jose;
      const keys = async (load: typeof keySet) => {
        try {
          return await load();
        } catch (error) {
          throw new KeysUnavailable((error as Error).message);
        }
      };
      try {
        let result: Awaited<ReturnType<typeof verifyWith>>;
        try {
          result = await verifyWith(token, await keys(keySet));
        } catch (error) {
          // Keys rotate: a key id the cached set lacks is fetched once more (not more often than the cooldown).
          const stale = cached !== null && now() - cached.fetchedAt >= cooldown;
          if (!(error instanceof errors.JWKSNoMatchingKey) || !stale) throw error;
          result = await verifyWith(token, await keys(fetchKeys));
        }
        return check(result.payload);
      } catch (error) {
        if (error instanceof KeysUnavailable)
          return deny('key-unavailable', `signing keys unavailable: ${error.message}`);
        // jose's messages name the claim that failed ("\"aud\" claim check failed"), never the token.
        const code = error instanceof errors.JOSEError ? error.code : 'ERR';
        return deny('bad-credential', `token rejected (${code}): ${(error as Error).message}`);
      }
    },
  };
}
