/**
 * The Google Cloud clients' own plumbing, at the wire: the direct transport under the official clients
 * (transport.ts): credentials from the auth client, its refresh on a 401, the auth client's own fetch when
 * a proxy is configured.
 */
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GcpActuator } from '../../../adapters/gcp/actuator.ts';
import { GcpClients } from '../../../adapters/gcp/clients.ts';
import { gcpEndpointFromEnv } from '../../../adapters/gcp/config.ts';
import { proxyConfigured } from '../../../adapters/gcp/transport.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { blockedConnections } from '../../support/loopback-guard.ts';
import { TEST_CALL_POLICY } from './support.ts';

let fake: GcpFake;
let clients: GcpClients;

const tokenClient = (token = 'test-token') => {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return auth;
};

beforeAll(async () => {
  fake = await startGcpFake();
  clients = new GcpClients({ ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }), authClient: tokenClient() });
  // Loading the clients' protos takes seconds on a loaded machine: do it once here, not inside a test's budget.
  void clients.clusterManager;
  void clients.endpoints;
  await clients.instanceGroupManagers
    .get({ project: 'warm', zone: 'z', instanceGroupManager: 'up' }, { timeout: 30_000, retry: null })
    .catch(() => undefined);
}, 60_000);
afterAll(async () => {
  await clients.close();
  await fake.close();
  expect(blockedConnections).toEqual([]);
});

const requestsTo = (fragment: string) => fake.requests.filter((r) => `${r.method} ${r.path}`.includes(fragment));

const migTarget = (name: string): Target =>
  TargetSchema.parse({
    id: `t-${name}`,
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
    resource: { provider: 'gcp', pools: { serve: { kind: 'mig', project: 'p9', zone: 'us-central1-a', name } } },
  });

/** An actuator per delivery, as the runtime builds them, over the shared clients. */
const delivery = (target: Target, over = clients) =>
  new GcpActuator(target, { clients: over, policy: TEST_CALL_POLICY });

describe('the direct transport under the official clients', () => {
  const group = 'transport';
  const target = migTarget(group);
  beforeEach(() => {
    fake.clearFaults();
    fake.requests.length = 0;
    fake.addMig({
      project: 'p9',
      scope: 'zones/us-central1-a',
      name: group,
      targetSize: 1,
      instanceTemplate: 'projects/p9/global/instanceTemplates/g2',
      running: 1,
    });
  });

  it("sends the auth client's credentials and the clients' own headers", async () => {
    const fresh = new GcpClients({
      ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }),
      authClient: tokenClient('direct-token'),
    });
    try {
      await delivery(target, fresh).observe();
      const [read] = requestsTo(`GET /compute/v1/projects/p9/zones/us-central1-a/instanceGroupManagers/${group}`);
      expect(read?.headers.authorization).toBe('Bearer direct-token');
      expect(read?.headers['x-goog-api-client']).toContain('gax/');
    } finally {
      await fresh.close();
    }
  });

  it("a 401 goes to the auth client's fetch, which refreshes the token and sends the request once more", async () => {
    const auth = tokenClient('expired');
    let refreshes = 0;
    auth.refreshHandler = async () => {
      refreshes += 1;
      return { access_token: 'refreshed', expiry_date: Date.now() + 3_600_000 };
    };
    // Without an expiry the auth client refreshes on a 401 (its documented behaviour for such credentials).
    auth.setCredentials({ access_token: 'expired' });
    const fresh = new GcpClients({ ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }), authClient: auth });
    const isRead = (r: { method: string; path: string }) => r.method === 'GET' && r.path.endsWith(`/${group}`);
    fake.inject({
      kind: 'http',
      status: 401,
      body: {
        error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' },
      },
      match: (r) => isRead(r) && r.headers.authorization === 'Bearer expired',
      times: 5,
    });
    try {
      const { capacity } = await delivery(target, fresh).observe();
      expect(capacity.pools[0]).toMatchObject({ desired: 1 });
      expect(refreshes).toBe(1);
      expect(fake.requests.filter(isRead).map((r) => r.headers.authorization)).toEqual([
        'Bearer expired',
        'Bearer expired',
        'Bearer refreshed',
      ]);
    } finally {
      await fresh.close();
    }
  });

  it.each([
    [{ HTTPS_PROXY: 'http://proxy:3128' }, true],
    [{ http_proxy: 'http://proxy:3128' }, true],
    [{ HTTPS_PROXY: '' }, false],
    [{}, false],
  ])('a proxy in %j means the auth client sends the requests: %s', (env, expected) => {
    expect(proxyConfigured(env)).toBe(expected);
  });

  it("transport 'auth-client' sends every request through the auth client's fetch (as the clients do on their own)", async () => {
    const auth = tokenClient('gaxios-token');
    let fetches = 0;
    const counted = {
      getRequestHeaders: (url?: string) => auth.getRequestHeaders(url),
      fetch: (url: string, init: Record<string, unknown>) => {
        fetches += 1;
        return auth.fetch(url, init);
      },
    };
    const viaAuth = new GcpClients({
      ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }),
      authClient: counted,
      transport: 'auth-client',
    });
    try {
      await delivery(target, viaAuth).observe();
      await delivery(target, viaAuth).setCapacity({ poolId: 'serve', desired: 2 });
      // The group, its instances, its template, the resize: every one through the auth client.
      expect(fetches).toBe(4);
      expect(fake.requests).toHaveLength(4);
      expect(requestsTo(`/${group}/resize`).map((r) => r.headers.authorization)).toEqual(['Bearer gaxios-token']);
    } finally {
      await viaAuth.close();
    }
  });
});
