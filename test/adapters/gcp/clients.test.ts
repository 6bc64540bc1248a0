/**
 * The Google Cloud clients' own plumbing, at the wire: capacity reads shared for a bounded time by the
 * deliveries of a burst (adapters/shared-reads.ts), and the direct transport under the official clients
 * (transport.ts): credentials from the auth client, its refresh on a 401, the auth client's own fetch when
 * a proxy is configured.
 */
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GcpActuator } from '../../../adapters/gcp/actuator.ts';
import { DEFAULT_OBSERVATION_MAX_AGE_MS, GcpClients } from '../../../adapters/gcp/clients.ts';
import { gcpEndpointFromEnv } from '../../../adapters/gcp/config.ts';
import { proxyConfigured } from '../../../adapters/gcp/transport.ts';
import { ProviderUnavailableError } from '../../../adapters/ports/actuator.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { blockedConnections } from '../../support/loopback-guard.ts';
import { TEST_CALL_POLICY } from './support.ts';

let fake: GcpFake;
let clients: GcpClients;
/** The shared reads' clock, moved by the tests. */
let clock = 1_000_000;

const tokenClient = (token = 'test-token') => {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return auth;
};

beforeAll(async () => {
  fake = await startGcpFake();
  // The default bound (1 s), on a clock the tests move.
  clients = new GcpClients({
    ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }),
    authClient: tokenClient(),
    now: () => clock,
  });
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

describe('capacity reads shared by the deliveries of a burst', () => {
  let group: string;
  let target: Target;
  let sequence = 0;
  const groupReads = () => requestsTo(`GET /compute/v1/projects/p9/zones/us-central1-a/instanceGroupManagers/${group}`);
  const instanceReads = () => requestsTo(`/instanceGroupManagers/${group}/listManagedInstances`);

  beforeEach(() => {
    group = `burst-${++sequence}`;
    target = migTarget(group);
    fake.clearFaults();
    fake.addMig({
      project: 'p9',
      scope: 'zones/us-central1-a',
      name: group,
      targetSize: 2,
      instanceTemplate: 'projects/p9/global/instanceTemplates/g2',
      machineType: 'g2-standard-8',
      running: 2,
    });
  });

  it('the default bound is 1 s', () => {
    expect(DEFAULT_OBSERVATION_MAX_AGE_MS).toBe(1_000);
    expect(clients.observationMaxAgeMs).toBe(1_000);
  });

  it('deliveries within the bound share one read of the group; past it, the next delivery reads again', async () => {
    await delivery(target).readCapacity(target.id);
    clock += 999;
    expect((await delivery(target).readCapacity(target.id)).pools[0]).toMatchObject({ desired: 2, ready: 2 });
    expect(groupReads()).toHaveLength(1);
    expect(instanceReads()).toHaveLength(1);
    // Another actor grows the group; a read past the bound sees it.
    fake.migs.get(`p9/zones/us-central1-a/${group}`)!.targetSize = 3;
    clock += 1;
    expect((await delivery(target).readCapacity(target.id)).pools[0]).toMatchObject({ desired: 3 });
    expect(groupReads()).toHaveLength(2);
  });

  it('concurrent deliveries share the read in flight', async () => {
    const reads = await Promise.all(Array.from({ length: 5 }, () => delivery(target).readCapacity(target.id)));
    expect(reads.map((read) => read.pools[0]?.desired)).toEqual([2, 2, 2, 2, 2]);
    expect(groupReads()).toHaveLength(1);
  });

  it("a read after Tide's own change asks again, within the bound", async () => {
    await delivery(target).readCapacity(target.id);
    await delivery(target).setCapacity({ poolId: 'serve', desired: 4 });
    expect((await delivery(target).readCapacity(target.id)).pools[0]).toMatchObject({ desired: 4, pending: 2 });
    expect(groupReads()).toHaveLength(2);
  });

  it('a change that failed forgets the read too (it may have landed)', async () => {
    await delivery(target).readCapacity(target.id);
    fake.inject({ kind: 'http', status: 503, match: (r) => r.path.endsWith(`/${group}/resize`), times: 10 });
    await expect(delivery(target).setCapacity({ poolId: 'serve', desired: 4 })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    await delivery(target).readCapacity(target.id);
    expect(groupReads()).toHaveLength(2);
  });

  it('a failed read is not kept: the next delivery reads again', async () => {
    fake.inject({
      kind: 'http',
      status: 503,
      match: (r) => r.method === 'GET' && r.path.endsWith(`/${group}`),
      times: TEST_CALL_POLICY.attempts,
    });
    await expect(delivery(target).readCapacity(target.id)).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect((await delivery(target).readCapacity(target.id)).pools[0]).toMatchObject({ desired: 2 });
    expect(groupReads()).toHaveLength(TEST_CALL_POLICY.attempts + 1);
  });

  it('a tick (observe) always reads, and its answer serves the deliveries after it', async () => {
    await delivery(target).readCapacity(target.id);
    await delivery(target).observe();
    await delivery(target).observe();
    expect(groupReads()).toHaveLength(3);
    await delivery(target).readCapacity(target.id);
    expect(groupReads()).toHaveLength(3);
  });

  it('0 turns the sharing off', async () => {
    const unshared = new GcpClients({
      ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }),
      authClient: tokenClient(),
      observationMaxAgeMs: 0,
    });
    try {
      await delivery(target, unshared).readCapacity(target.id);
      await delivery(target, unshared).readCapacity(target.id);
      expect(groupReads()).toHaveLength(2);
    } finally {
      await unshared.close();
    }
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a bound of %s, naming the value', (bad) => {
    expect(() => new GcpClients({ observationMaxAgeMs: bad })).toThrow(/observationMaxAgeMs .*was: /);
  });

  it('GKE: setting a pool size forgets the reads of the groups behind it', async () => {
    const nodePool = `projects/p9/locations/us-central1-a/clusters/c1/nodePools/${group}`;
    fake.nodePools.set(nodePool, {
      name: nodePool,
      autoscaling: { enabled: false },
      config: { machineType: 'g2-standard-8' },
      mig: `projects/p9/zones/us-central1-a/instanceGroupManagers/${group}`,
    });
    const gke = TargetSchema.parse({
      ...target,
      resource: {
        provider: 'gcp',
        pools: {
          serve: { kind: 'gke-node-pool', project: 'p9', location: 'us-central1-a', cluster: 'c1', nodePool: group },
        },
      },
    });
    const poolReads = () => requestsTo(`GET /v1/${nodePool}`);
    await delivery(gke).readCapacity(gke.id);
    // A second delivery within the bound shares the node pool's read, as it does the group's.
    await delivery(gke).readCapacity(gke.id);
    expect(poolReads()).toHaveLength(1);
    expect(groupReads()).toHaveLength(1);
    await delivery(gke).setCapacity({ poolId: 'serve', desired: 3 });
    expect((await delivery(gke).readCapacity(gke.id)).pools[0]).toMatchObject({ desired: 3 });
    expect(groupReads()).toHaveLength(2);
    // The change read the pool afresh (ensureManaged) and forgot it: the delivery after it read it again.
    expect(poolReads()).toHaveLength(3);
  });

  it('Vertex AI: a replica change forgets the endpoint read', async () => {
    const endpoint = `projects/p9/locations/us-central1/endpoints/${group}`;
    fake.endpoints.set(endpoint, {
      name: endpoint,
      deployedModels: [
        {
          id: 'dm1',
          createTime: '2025-06-01T00:00:00Z',
          model: 'projects/p9/locations/us-central1/models/m',
          dedicatedResources: { machineSpec: { machineType: 'g2-standard-8' }, minReplicaCount: 1, maxReplicaCount: 1 },
        },
      ],
      trafficSplit: { dm1: 100 },
    });
    const vertex = TargetSchema.parse({
      ...target,
      resource: {
        provider: 'gcp',
        pools: {
          serve: {
            kind: 'vertex-endpoint',
            project: 'p9',
            location: 'us-central1',
            endpoint: group,
            deployedModelId: 'dm1',
          },
        },
      },
    });
    const endpointReads = () => requestsTo(`GET /v1/${endpoint}`).filter((r) => !r.path.includes('/operations/'));
    await delivery(vertex).readCapacity(vertex.id);
    await delivery(vertex).readCapacity(vertex.id);
    expect(endpointReads()).toHaveLength(1);
    await delivery(vertex).setCapacity({ poolId: 'serve', desired: 3 });
    const reads = endpointReads().length;
    expect((await delivery(vertex).readCapacity(vertex.id)).pools[0]).toMatchObject({ desired: 3 });
    expect(endpointReads()).toHaveLength(reads + 1);
  });
});

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
