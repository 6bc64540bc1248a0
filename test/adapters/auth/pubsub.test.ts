import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPubSubVerifier, type PubSubVerifierOptions } from '../../../adapters/auth/pubsub.ts';
import { makeTestPki, startHttpsServer, type TestHttpsServer, type TestPki } from '../../support/tls.ts';

let pki: TestPki;
/** Plays Google's key endpoint. */
let google: TestHttpsServer;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;

const AUDIENCE = 'https://tide.example.com/v1/events/gcp-pubsub';
const PUSHER = 'tide-push@my-project.iam.gserviceaccount.com';

beforeAll(async () => {
  pki = makeTestPki();
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  google = await startHttpsServer(pki, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
}, 60_000);
afterAll(async () => {
  await google?.close();
});

const now = () => Date.parse('2026-03-09T14:00:00Z');

function verifier(options: Partial<PubSubVerifierOptions> = {}) {
  return createPubSubVerifier({
    audience: AUDIENCE,
    serviceAccounts: [PUSHER],
    jwksUrl: `${google.origin}/oauth2/v3/certs`,
    fetch: { ca: pki.caCert, timeoutMs: 1500 },
    now,
    ...options,
  });
}

async function token(
  claims: Record<string, unknown> = {},
  options: { key?: CryptoKey; iat?: number; exp?: number } = {},
): Promise<string> {
  const iat = options.iat ?? now() / 1000 - 60;
  return new SignJWT({ email: PUSHER, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'JWT' })
    .setIssuer((claims.iss as string) ?? 'https://accounts.google.com')
    .setAudience((claims.aud as string) ?? AUDIENCE)
    .setSubject('1234567890')
    .setIssuedAt(iat)
    .setExpirationTime(options.exp ?? iat + 3600)
    .sign(options.key ?? signingKey);
}

describe('Pub/Sub push tokens', () => {
  it.each([{ iss: 'https://accounts.google.com' }, { iss: 'accounts.google.com' }])(
    'accepts a token from Google ($iss) for the audience and the pushing service account',
    async (claims) => {
      expect(await verifier().verify(`Bearer ${await token(claims)}`)).toEqual({ ok: true, principal: PUSHER });
    },
  );

  it.each([
    { label: 'another audience', make: () => token({ aud: 'https://attacker.example.com/' }), code: 'bad-credential' },
    { label: 'another issuer', make: () => token({ iss: 'https://evil.example.com' }), code: 'bad-credential' },
    { label: 'a key Google never published', make: () => token({}, { key: strangerKey }), code: 'bad-credential' },
    {
      label: 'an expired token',
      make: () => token({}, { iat: now() / 1000 - 7200, exp: now() / 1000 - 3600 }),
      code: 'bad-credential',
    },
    { label: 'an unverified email', make: () => token({ email_verified: false }), code: 'bad-credential' },
    {
      label: 'another service account',
      make: () => token({ email: 'someone@else.iam.gserviceaccount.com' }),
      code: 'not-allowed',
    },
  ])('refuses $label', async ({ make, code }) => {
    expect(await verifier().verify(`Bearer ${await make()}`)).toMatchObject({ ok: false, code });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await token()).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        iss: 'https://accounts.google.com',
        aud: AUDIENCE,
        email: PUSHER,
        email_verified: true,
        exp: now() / 1000 + 600,
        iat: now() / 1000,
      }),
    ).toString('base64url');
    expect(await verifier().verify(`Bearer ${header}.${forged}.${signature}`)).toMatchObject({
      ok: false,
      code: 'bad-credential',
    });
  });

  it.each([undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer ', `Bearer ${'a'.repeat(9000)}`])(
    'refuses a missing or malformed header (%#)',
    async (header) => {
      expect(await verifier().verify(header)).toMatchObject({ ok: false, code: 'missing-credential' });
    },
  );

  it('fetches the key set once and keeps it', async () => {
    const v = verifier();
    const before = google.requests.length;
    for (let i = 0; i < 3; i++) expect((await v.verify(`Bearer ${await token()}`)).ok).toBe(true);
    expect(google.requests.length - before).toBe(1);
  });

  it('refuses everything when the key set cannot be fetched (untrusted server)', async () => {
    const v = verifier({ fetch: { timeoutMs: 1500 } });
    expect(await v.verify(`Bearer ${await token()}`)).toMatchObject({ ok: false, code: 'key-unavailable' });
  });
});
