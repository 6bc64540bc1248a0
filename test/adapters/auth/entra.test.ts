/**
 * Entra ID tokens as an Azure Monitor action group's secure webhook sends them: app-only access tokens of the
 * client-credentials flow, v1.0 (issuer `https://sts.windows.net/<tenant>/`, `appid`, audience the
 * Application ID URI) and v2.0 (issuer `https://login.microsoftonline.com/<tenant>/v2.0`, `azp`), signed RS256
 * with a `kid` from the tenant's key set, here served by a local HTTPS endpoint.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SenderAuthConfigError, senderAuthOptionsFromEnv } from '../../../adapters/auth/index.ts';
import {
  ACTION_GROUPS_APP_ID,
  ACTION_GROUPS_ROLE,
  createEntraVerifier,
  EntraConfigError,
  type EntraVerifierOptions,
} from '../../../adapters/auth/entra.ts';
import { makeTestPki, startHttpsServer, type TestHttpsServer, type TestPki } from '../../support/tls.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP_ID_URI = 'api://tide-webhooks';
const CLIENT_ID = 'b2f9c3e1-0d4a-4c55-9a7e-2f1e6c0d9a11';

let pki: TestPki;
let entra: TestHttpsServer;
let key1: CryptoKey;
let key2: CryptoKey;
let stranger: CryptoKey;
/** What the key endpoint publishes now. */
let published: JWK[] = [];
/** key-2's public half, published later (rotation). */
let secondKey: JWK;

beforeAll(async () => {
  pki = makeTestPki();
  const pair1 = await generateKeyPair('RS256', { extractable: true });
  const pair2 = await generateKeyPair('RS256', { extractable: true });
  key1 = pair1.privateKey;
  key2 = pair2.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  const jwk = async (key: CryptoKey, kid: string) => ({ ...(await exportJWK(key)), kid, kty: 'RSA', use: 'sig' });
  published = [await jwk(pair1.publicKey, 'key-1')];
  secondKey = await jwk(pair2.publicKey, 'key-2');
  entra = await startHttpsServer(pki, (req, res) => {
    if (req.url !== `/${TENANT}/discovery/v2.0/keys`) {
      res.writeHead(404).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published }));
  });
}, 60_000);
afterAll(async () => {
  await entra?.close();
});

let clock = Date.parse('2026-03-09T14:00:00Z');
const now = () => clock;

function verifier(options: Partial<EntraVerifierOptions> = {}) {
  return createEntraVerifier({
    tenantId: TENANT,
    audiences: [APP_ID_URI, CLIENT_ID],
    jwksUrl: `${entra.origin}/${TENANT}/discovery/v2.0/keys`,
    fetch: { ca: pki.caCert, timeoutMs: 1500 },
    now,
    ...options,
  });
}

/** A token as Entra issues it to the action groups' app by client credentials. */
async function token(
  version: '1.0' | '2.0',
  claims: Record<string, unknown> = {},
  options: { key?: CryptoKey; kid?: string; lifetime?: number } = {},
): Promise<string> {
  const iat = Math.floor(now() / 1000) - 60;
  const common = {
    aio: 'k2BgYJg0vNb1pP9yfN5MdQ8A',
    idp: `https://sts.windows.net/${TENANT}/`,
    oid: '3c2b1a09-8f7e-4d6c-9b5a-0f1e2d3c4b5a',
    rh: '0.AXEAv4j5cvGGr0GRqy180BHbRw.',
    roles: [ACTION_GROUPS_ROLE],
    sub: '3c2b1a09-8f7e-4d6c-9b5a-0f1e2d3c4b5a',
    tid: TENANT,
    uti: 'Vj3o1n7kbUuY6yqQ2X0AAA',
    ver: version,
  };
  const specific =
    version === '1.0'
      ? { appid: ACTION_GROUPS_APP_ID, appidacr: '2', iss: `https://sts.windows.net/${TENANT}/`, aud: APP_ID_URI }
      : {
          azp: ACTION_GROUPS_APP_ID,
          azpacr: '2',
          idtyp: 'app',
          iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
          aud: CLIENT_ID,
        };
  return new SignJWT({ ...common, ...specific, ...claims })
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: options.kid ?? 'key-1', x5t: options.kid ?? 'key-1' })
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + (options.lifetime ?? 3599))
    .sign(options.key ?? key1);
}

describe('Entra ID tokens of Azure Monitor secure webhooks', () => {
  it.each(['1.0', '2.0'] as const)(
    'accepts a v%s app-only token of the action groups app for the audience',
    async (v) => {
      const result = await verifier({ requiredRole: ACTION_GROUPS_ROLE }).verify(`Bearer ${await token(v)}`);
      expect(result).toEqual({ ok: true, principal: `entra:${TENANT}/${ACTION_GROUPS_APP_ID}` });
    },
  );

  it.each([
    ['another audience', { aud: 'api://someone-else' }, 'bad-credential', '"aud"'],
    [
      'another issuer',
      { iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' },
      'bad-credential',
      '"iss"',
    ],
    ['another tenant id', { tid: '00000000-0000-0000-0000-000000000000' }, 'not-allowed', 'another tenant'],
    ['another application', { appid: '11111111-2222-3333-4444-555555555555' }, 'not-allowed', 'another application'],
    ['a delegated (user) token', { scp: 'user_impersonation' }, 'not-allowed', 'delegated'],
    ['a token without the role', { roles: [] }, 'not-allowed', 'app role'],
  ])('refuses %s', async (_label, claims, code, reason) => {
    const result = await verifier({ requiredRole: ACTION_GROUPS_ROLE }).verify(`Bearer ${await token('1.0', claims)}`);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? '' : result.reason).toContain(reason);
  });

  it('refuses an expired token, one signed by another key, a malformed header, and no header', async () => {
    const v = verifier();
    const expired = await token('1.0', {}, { lifetime: -600 });
    expect(await v.verify(`Bearer ${expired}`)).toMatchObject({ ok: false, code: 'bad-credential' });
    const forged = await token('1.0', {}, { key: stranger });
    expect(await v.verify(`Bearer ${forged}`)).toMatchObject({ ok: false, code: 'bad-credential' });
    expect(await v.verify('Bearer not-a-jwt')).toMatchObject({ ok: false, code: 'missing-credential' });
    expect(await v.verify(undefined)).toMatchObject({ ok: false, code: 'missing-credential' });
  });

  it('a v1.0 token for the client id, or a v2.0 token for the URI, passes only when configured', async () => {
    const onlyUri = verifier({ audiences: [APP_ID_URI] });
    expect(await onlyUri.verify(`Bearer ${await token('2.0')}`)).toMatchObject({ ok: false, code: 'bad-credential' });
    expect(await onlyUri.verify(`Bearer ${await token('1.0')}`)).toMatchObject({ ok: true });
  });

  it('fetches the key set once, refetches for a rotated key after the cooldown, and says when keys are unreachable', async () => {
    const before = entra.requests.length;
    const v = verifier({ refetchCooldownMs: 60_000 });
    await v.verify(`Bearer ${await token('1.0')}`);
    await v.verify(`Bearer ${await token('1.0')}`);
    expect(entra.requests.length - before).toBe(1);
    // Entra rotates: a token signed with key-2 before the endpoint publishes it is refused without a refetch
    // inside the cooldown; once published and the cooldown over, one refetch lets it through.
    const rotated = await token('1.0', {}, { key: key2, kid: 'key-2' });
    expect(await v.verify(`Bearer ${rotated}`)).toMatchObject({ ok: false, code: 'bad-credential' });
    published = [...published, secondKey];
    clock += 61_000;
    expect(await v.verify(`Bearer ${await token('1.0', {}, { key: key2, kid: 'key-2' })}`)).toMatchObject({
      ok: true,
    });
    expect(entra.requests.length - before).toBe(2);
    const unreachable = verifier({ jwksUrl: 'https://127.0.0.1:1/keys', fetch: { timeoutMs: 500 } });
    expect(await unreachable.verify(`Bearer ${await token('1.0')}`)).toMatchObject({
      ok: false,
      code: 'key-unavailable',
    });
  });

  it('refuses a configuration without a GUID tenant or an audience', () => {
    expect(() => verifier({ tenantId: 'contoso.onmicrosoft.com' })).toThrow(EntraConfigError);
    expect(() => verifier({ audiences: [] })).toThrow(EntraConfigError);
  });

  it('is configured from TIDE_ENTRA_*, both the tenant and the audience or neither', () => {
    expect(
      senderAuthOptionsFromEnv({
        TIDE_ENTRA_TENANT_ID: TENANT,
        TIDE_ENTRA_AUDIENCES: `${APP_ID_URI}, ${CLIENT_ID}`,
        TIDE_ENTRA_ROLE: ACTION_GROUPS_ROLE,
      }).entra,
    ).toEqual({ tenantId: TENANT, audiences: [APP_ID_URI, CLIENT_ID], requiredRole: ACTION_GROUPS_ROLE });
    expect(senderAuthOptionsFromEnv({}).entra).toBeUndefined();
    expect(() => senderAuthOptionsFromEnv({ TIDE_ENTRA_TENANT_ID: TENANT })).toThrow(SenderAuthConfigError);
    // Checked at start, though the verifier itself is loaded at the first Azure Monitor request.
    expect(() =>
      senderAuthOptionsFromEnv({ TIDE_ENTRA_TENANT_ID: 'contoso.onmicrosoft.com', TIDE_ENTRA_AUDIENCES: APP_ID_URI }),
    ).toThrow(/TIDE_ENTRA_TENANT_ID .*GUID, was: "contoso.onmicrosoft.com"/);
  });
});
