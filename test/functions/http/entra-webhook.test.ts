/**
 * An Azure Monitor action group's secure webhook through `POST /v1/events/azure-monitor`: the Entra ID token
 * stands in for the `ingest` key there (the action group cannot send one), and nowhere else.
 */
import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { ACTION_GROUPS_APP_ID, ACTION_GROUPS_ROLE } from '../../../adapters/auth/entra.ts';
import { makeTestPki, startHttpsServer, type TestHttpsServer } from '../../support/tls.ts';
import { startApi } from './support.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP_ID_URI = 'api://tide-webhooks';
const alert = readFileSync(
  new URL('../../fixtures/events/azure/monitor-metric-alert-fired.json', import.meta.url),
  'utf8',
);

let entra: TestHttpsServer;
let signing: CryptoKey;
let stranger: CryptoKey;
let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  const pki = makeTestPki();
  const pair = await generateKeyPair('RS256', { extractable: true });
  signing = pair.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', use: 'sig' };
  entra = await startHttpsServer(pki, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const senders = createSenderAuth({
    entra: {
      tenantId: TENANT,
      audiences: [APP_ID_URI],
      requiredRole: ACTION_GROUPS_ROLE,
      jwksUrl: `${entra.origin}/${TENANT}/discovery/v2.0/keys`,
      fetch: { ca: pki.caCert, timeoutMs: 2000 },
    },
  });
  api = await startApi({ senders });
}, 60_000);
afterAll(async () => {
  await entra?.close();
});

async function token(key = signing): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) - 60;
  return new SignJWT({
    appid: ACTION_GROUPS_APP_ID,
    appidacr: '2',
    idp: `https://sts.windows.net/${TENANT}/`,
    oid: '3c2b1a09-8f7e-4d6c-9b5a-0f1e2d3c4b5a',
    roles: [ACTION_GROUPS_ROLE],
    sub: '3c2b1a09-8f7e-4d6c-9b5a-0f1e2d3c4b5a',
    tid: TENANT,
    ver: '1.0',
  })
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: 'key-1' })
    .setIssuer(`https://sts.windows.net/${TENANT}/`)
    .setAudience(APP_ID_URI)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + 3600)
    .sign(key);
}

const post = (path: string, authorization?: string, body = alert) =>
  api.request('POST', path, {
    raw: body,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  });

describe('Azure Monitor secure webhooks (Entra ID tokens)', () => {
  it('takes the alert with a valid token and no API key', async () => {
    const response = await post('/v1/events/azure-monitor', `Bearer ${await token()}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { source: string }).source).toBe('azure-monitor');
  });

  it('answers 401 to a forged token, and to none', async () => {
    expect((await post('/v1/events/azure-monitor', `Bearer ${await token(stranger)}`)).status).toBe(401);
    expect((await post('/v1/events/azure-monitor')).status).toBe(401);
  });

  it('the token opens the Azure Monitor route only', async () => {
    const valid = `Bearer ${await token()}`;
    expect((await post('/v1/events/alertmanager', valid, '{"alerts":[]}')).status).toBe(401);
    expect((await post('/v1/events/auto', valid)).status).toBe(401);
    expect((await api.request('GET', '/v1/targets', { headers: { authorization: valid } })).status).toBe(401);
  });

  it('an ingest key still works on the route', async () => {
    expect((await post('/v1/events/azure-monitor', `Bearer ${api.keys.ingest}`)).status).toBe(200);
  });
});
