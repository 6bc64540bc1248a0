/**
 * Pub/Sub push authentication: a push subscription with authentication sends
 * `Authorization: Bearer <Google-signed OIDC token>`. The token is checked with `jose`: RS256 signature
 * against Google's published keys (a JWKS fetched over https, bounded and cached), issuer
 * `accounts.google.com`, the audience the subscription was configured with, expiry, and the email of the
 * service account the subscription pushes as (verified). Cloud Run and Cloud Functions with IAM invocation
 * already check the token before the code runs; this is for endpoints the runtime does not guard.
 * `jose` is loaded at the first push to check (./jose.ts).
 */
import type { JSONWebKeySet } from 'jose';
import { allow, deny, quote, type AuthResult } from './errors.ts';
import { loadJose, type Jose } from './jose.ts';
import { httpsGet, KeyCache, type KeyFetcher, type KeyFetchOptions } from './fetch.ts';

export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
const ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export interface PubSubVerifierOptions {
  /** The audience set on the push subscription (default there: the push endpoint URL). Required. */
  audience: string;
  /** Service account emails the subscription pushes as. Required: a valid Google token alone proves nothing. */
  serviceAccounts: readonly string[];
  /** Where the signing keys are published (default Google's). */
  jwksUrl?: string;
  fetch?: Partial<KeyFetchOptions>;
  /** How long the key set is kept, ms (default 1 h; Google rotates keys over days). */
  cacheTtlMs?: number;
  /** Clock skew tolerated on `exp`/`iat`, seconds (default 30). */
  clockToleranceSeconds?: number;
  get?: KeyFetcher;
  now?: () => number;
}

export interface PubSubVerifier {
  /** Check the `Authorization` header of a push request. */
  verify(authorization: string | undefined): Promise<AuthResult>;
}

export function createPubSubVerifier(options: PubSubVerifierOptions): PubSubVerifier {
  const url = new URL(options.jwksUrl ?? GOOGLE_JWKS_URL);
  const fetchOptions: KeyFetchOptions = { timeoutMs: 2000, maxBytes: 64 * 1024, ...options.fetch };
  const get = options.get ?? httpsGet;
  const now = options.now ?? Date.now;
  const cache = new KeyCache<ReturnType<Jose['createLocalJWKSet']>>(1, options.cacheTtlMs ?? 3_600_000, now);
  const accounts = new Set(options.serviceAccounts);
  const keySet = () =>
    cache.get(url.href, async () => {
      const { createLocalJWKSet } = await loadJose();
      return createLocalJWKSet(JSON.parse((await get(url, fetchOptions)).toString('utf8')) as JSONWebKeySet);
    });

  return {
    async verify(authorization) {
      const match = /^Bearer ([A-Za-z0-9_.-]{1,8192})$/.exec(authorization ?? '');
      if (!match) return deny('missing-credential', 'Authorization: Bearer <token> is missing or malformed');
      let keys: Awaited<ReturnType<typeof keySet>>;
      let verifier: Jose;
      try {
        verifier = await loadJose();
        keys = await keySet();
      } catch (error) {
        return deny('key-unavailable', `signing keys unavailable: ${(error as Error).message}`);
      }
      try {
        const { payload } = await verifier.jwtVerify(match[1]!, keys, {
          issuer: ISSUERS,
          audience: options.audience,
          algorithms: ['RS256'],
          clockTolerance: options.clockToleranceSeconds ?? 30,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'iat', 'email'],
        });
        if (payload.email_verified !== true) return deny('bad-credential', 'the token email is not verified');
        if (typeof payload.email !== 'string' || !accounts.has(payload.email))
          return deny('not-allowed', `the token is for another service account, was: ${quote(payload.email)}`);
        return allow(payload.email);
      } catch (error) {
        // jose's messages name the claim that failed ("\"aud\" claim check failed"), never the token.
        const code = error instanceof verifier.errors.JOSEError ? error.code : 'ERR';
        return deny('bad-credential', `token rejected (${code}): ${(error as Error).message}`);
      }
    },
  };
}
