/**
 * The Google Cloud function as it runs: the real Functions Framework serving `tideEvents`, a real Redis, the
 * real Google Cloud clients against the local endpoint (and its metadata server, for Application Default
 * Credentials, as on Cloud Run), all configured through the environment as a deployment is.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migKey, startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { blockedConnections, installLoopbackGuard } from '../../support/loopback-guard.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import type { GcpRuntime } from '../../../functions/gcp/handlers.ts';

installLoopbackGuard();

const FIXTURES = join(import.meta.dirname, '../../fixtures/events/gcp');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

let fake: GcpFake;
let redis: RedisServer;
let server: Server;
let url: string;
let gcp: GcpRuntime;
let httpUrl: string;
let httpServer: Server;

/** The Monitoring incident of the Pub/Sub fixture, opened now (a 2020 alarm would be stale). */
function incidentPush(messageId: string, state: 'open' | 'closed' = 'open') {
  const push = fixture('pubsub-monitoring-incident.json');
  const incident = JSON.parse(Buffer.from(push.message.data, 'base64').toString('utf8'));
  incident.incident.started_at = Math.floor(Date.now() / 1000);
  incident.incident.state = state;
  incident.incident.incident_id = `incident-${messageId}`; // Tide's idempotency key is the incident and its state
  push.message.data = Buffer.from(JSON.stringify(incident)).toString('base64');
  push.message.messageId = messageId;
  push.message.message_id = messageId;
  return push;
}

/** The job's checkpoint callback: HTTPS with a certificate made for this test, trusted through TIDE_CHECKPOINT_CA_FILE. */
let receiver: HttpsServer;
let receiverUrl: string;
const checkpoints: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const tls = mkdtempSync(join(tmpdir(), 'tide-gcp-tls-'));
const CHECKPOINT_KEY = 'a-shared-secret-for-the-training-job';

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(tls, 'key.pem'),
      '-out',
      join(tls, 'cert.pem'),
      '-days',
      '1',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  receiver = createHttpsServer(
    { key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) },
    (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        checkpoints.push({ headers: req.headers, body });
        res.writeHead(202).end();
      });
    },
  );
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverAddress = receiver.address();
  receiverUrl = `https://127.0.0.1:${typeof receiverAddress === 'object' && receiverAddress ? receiverAddress.port : 0}/checkpoint`;
  [fake, redis] = await Promise.all([startGcpFake(), startRedisServer()]);
  Object.assign(process.env, {
    TIDE_MODE: 'act',
    REDIS_URL: redis.url,
    TIDE_GCP_API_ENDPOINT: fake.url,
    GCE_METADATA_HOST: `127.0.0.1:${fake.port}`,
    METADATA_SERVER_DETECTION: 'assume-present',
    GOOGLE_CLOUD_PROJECT: 'p1',
    TIDE_CHECKPOINT_CA_FILE: join(tls, 'cert.pem'),
    TIDE_TEST_CHECKPOINT_KEY: CHECKPOINT_KEY,
  });
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const { gcpRuntime } = await import('../../../functions/gcp/index.ts');
  gcp = gcpRuntime();
  server = getTestServer('tideEvents');
  httpServer = getTestServer('tideHttp');
  await Promise.all([server, httpServer].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const portOf = (s: Server) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  };
  url = `http://127.0.0.1:${portOf(server)}`;
  httpUrl = `http://127.0.0.1:${portOf(httpServer)}`;
  // Load the compute client's protos outside any test's budget.
  await gcp.clients.instanceGroupManagers
    .get({ project: 'warm', zone: 'z', instanceGroupManager: 'up' }, { timeout: 30_000, retry: null })
    .catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await new Promise<void>((resolve) => httpServer?.close(() => resolve()));
  await gcp?.runtime.store.close?.();
  await gcp?.clients.close();
  await Promise.all([fake?.close(), redis?.close(), new Promise<void>((resolve) => receiver?.close(() => resolve()))]);
  rmSync(tls, { recursive: true, force: true });
  expect(blockedConnections).toEqual([]);
});

beforeEach(async () => {
  fake.requests.length = 0;
  fake.addMig({
    project: 'p1',
    scope: 'zones/us-central1-c',
    name: 'llama',
    targetSize: 2,
    instanceTemplate: 'projects/p1/global/instanceTemplates/g2',
    machineType: 'g2-standard-8',
    running: 2,
  });
  const store = gcp.runtime.store;
  await store.deleteTarget('llama-endpoint'); // memory, cooldowns and audit of the previous test go with it
  await store.putTarget({
    id: 'llama-endpoint',
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [{ id: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', zone: 'us-central1-c' }],
    resource: {
      provider: 'gcp',
      pools: { serve: { kind: 'mig', project: 'p1', zone: 'us-central1-c', name: 'llama' } },
      metrics: {},
    },
  });
  const { PolicySchema } = await import('../../../core/schema/policy.ts');
  await store.putPolicy(
    'llama-endpoint',
    PolicySchema.parse({
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'Monitor-Project-Cluster', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      triggers: [{ source: 'gcp-monitoring', alarmName: 'Monitor-Project-Cluster' }],
    }),
  );
  gcp.runtime.ingest.invalidateTargets();
});

const resizes = () =>
  fake.requests.filter((r) => r.path.endsWith('/instanceGroupManagers/llama/resize')).map((r) => r.query.get('size'));

async function post(body: unknown, headers: Record<string, string>, path = '/') {
  return fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('tideEvents on the real Functions Framework', () => {
  it('a Pub/Sub push envelope with a Cloud Monitoring incident resizes the group; a redelivery acts once', async () => {
    const push = incidentPush('push-1');
    const response = await post(push, { 'content-type': 'application/json' }, '/projects/p1/topics/tide-events');
    expect(response.status).toBe(204);
    expect(resizes()).toEqual(['4']);
    expect(fake.migs.get(migKey('p1', 'zones/us-central1-c', 'llama'))?.targetSize).toBe(4);
    const again = await post(push, { 'content-type': 'application/json' }, '/projects/p1/topics/tide-events');
    expect(again.status).toBe(204);
    expect(resizes()).toEqual(['4']);
  });

  it('a binary-mode CloudEvent (ce-* headers, Eventarc Pub/Sub)', async () => {
    const response = await post(incidentPush('binary-1'), {
      'content-type': 'application/json',
      'ce-id': 'binary-1',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/p1/topics/tide-events',
    });
    expect(response.status).toBe(204);
    expect(resizes()).toEqual(['4']);
  });

  it('a structured-mode CloudEvent', async () => {
    const response = await post(
      {
        specversion: '1.0',
        id: 'structured-1',
        type: 'google.cloud.pubsub.topic.v1.messagePublished',
        source: '//pubsub.googleapis.com/projects/p1/topics/tide-events',
        datacontenttype: 'application/json',
        data: incidentPush('structured-1'),
      },
      { 'content-type': 'application/cloudevents+json' },
    );
    expect(response.status).toBe(204);
    expect(resizes()).toEqual(['4']);
  });

  it('acknowledges a message that can never succeed (bad input): 204, nothing acted, logged', async () => {
    const push = incidentPush('bad-1');
    push.message.data = Buffer.from('{"incident": 7}').toString('base64');
    const response = await post(push, { 'content-type': 'application/json' }, '/projects/p1/topics/tide-events');
    expect(response.status).toBe(204);
    expect(resizes()).toEqual([]);
  });

  it('asks for a redelivery (500) when acting failed retryably, and the redelivery acts once', async () => {
    fake.inject({ kind: 'http', status: 503, match: (r) => r.path.endsWith('/llama/resize'), times: 3 });
    const push = incidentPush('retry-1');
    const first = await post(push, { 'content-type': 'application/json' }, '/projects/p1/topics/tide-events');
    expect(first.status).toBe(500);
    const second = await post(push, { 'content-type': 'application/json' }, '/projects/p1/topics/tide-events');
    expect(second.status).toBe(204);
    expect(resizes().filter((size) => size === '4').length).toBe(4); // 3 failed attempts, then the re-drive
    expect(fake.migs.get(migKey('p1', 'zones/us-central1-c', 'llama'))?.targetSize).toBe(4);
  });

  it('a Cloud Scheduler tick reads the tracked metrics and reports stockouts as capacity errors', async () => {
    await gcp.runtime.store.putTarget({
      id: 'llama-endpoint',
      kind: 'inference-endpoint',
      provider: 'gcp',
      pools: [{ id: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', zone: 'us-central1-c' }],
      resource: {
        provider: 'gcp',
        pools: { serve: { kind: 'mig', project: 'p1', zone: 'us-central1-c', name: 'llama' } },
        metrics: {
          queue: {
            project: 'p1',
            type: 'custom.googleapis.com/vllm/num_requests_waiting',
            aligner: 'ALIGN_MEAN',
            reducer: 'REDUCE_SUM',
            alignmentSeconds: 60,
          },
        },
      },
    });
    fake.metrics.set('custom.googleapis.com/vllm/num_requests_waiting', 42);
    // One instance the group could not create: the zone is out of G2 capacity.
    fake.migs.get(migKey('p1', 'zones/us-central1-c', 'llama'))?.instances.push({
      name: 'llama-stuck',
      machineType: 'g2-standard-8',
      status: 'PROVISIONING',
      currentAction: 'CREATING',
      errors: [
        {
          code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
          message: 'The zone does not have enough resources available to fulfill the request.',
        },
      ],
    });
    // What the Scheduler job of infra/gcp/main.tf publishes.
    const tick = {
      message: {
        data: Buffer.from(JSON.stringify({ tide: 'schedule-tick', schedule: 'tide-tick' })).toString('base64'),
        messageId: `tick-${Date.now()}`,
        publishTime: new Date().toISOString(),
      },
      subscription: 'projects/p1/subscriptions/tide-events-push',
    };
    const response = await post(tick, { 'content-type': 'application/json' }, '/projects/p1/topics/tide-events');
    expect(response.status).toBe(204);
    expect(
      fake.requests.some(
        (r) => r.path === '/v3/projects/p1/timeSeries' && r.query.get('filter')?.includes('num_requests_waiting'),
      ),
    ).toBe(true);
    const audit = await gcp.runtime.store.readAudit('llama-endpoint', { limit: 10 });
    expect(
      audit.entries.some((entry) => entry.signal.kind === 'metric' && JSON.stringify(entry.signal).includes('queue')),
    ).toBe(true);
    expect(
      audit.entries.some(
        (entry) =>
          entry.signal.kind === 'capacity-error' &&
          JSON.stringify(entry.signal).includes('ZONE_RESOURCE_POOL_EXHAUSTED'),
      ),
    ).toBe(true);
  });
});

describe('tideHttp on the real Functions Framework', () => {
  it('the Cloud Monitoring webhook channel (basic auth with an ingest key) resizes the group; no key is 401', async () => {
    const { createAccessStore, stateConfigFromEnv } = await import('../../../adapters/state/index.ts');
    const { generateApiKey } = await import('../../../functions/http/api-keys.ts');
    const { key, record } = generateApiKey(['ingest'], 'gcp-monitoring-channel', Date.now());
    const access = createAccessStore(stateConfigFromEnv(process.env));
    await access.createKey(record);
    const body = fixture('monitoring-incident-open.json');
    body.incident.started_at = Math.floor(Date.now() / 1000);
    body.incident.incident_id = 'webhook-1';
    const unauthenticated = await fetch(`${httpUrl}/v1/events/gcp-monitoring`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unauthenticated.status).toBe(401);
    const response = await fetch(`${httpUrl}/v1/events/gcp-monitoring`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`tide:${key}`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect(resizes()).toEqual(['4']);
    await access.close?.();
  });

  it('serves the API reference and health on the same app', async () => {
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${httpUrl}/openapi.json`)).status).toBe(200);
  });
});

describe('a preempted training node', () => {
  it('brings a signed checkpoint request to the job and a replacement in another pool', async () => {
    const store = gcp.runtime.store;
    fake.addMig({
      project: 'ml-prod',
      scope: 'zones/us-central1-a',
      name: 'a100-spot',
      targetSize: 1,
      instanceTemplate: 'projects/ml-prod/global/instanceTemplates/a100-spot',
      machineType: 'a2-highgpu-1g',
    });
    fake.migs.get(migKey('ml-prod', 'zones/us-central1-a', 'a100-spot'))?.instances.push({
      name: 'tide-a100-spot-7k2p',
      machineType: 'a2-highgpu-1g',
      status: 'RUNNING',
      currentAction: 'NONE',
    });
    fake.addMig({
      project: 'ml-prod',
      scope: 'zones/us-central1-b',
      name: 'a100-od',
      targetSize: 0,
      instanceTemplate: 'projects/ml-prod/global/instanceTemplates/a100-od',
      machineType: 'a2-highgpu-1g',
    });
    await store.putTarget({
      id: 'train-a100',
      kind: 'training-pool',
      provider: 'gcp',
      pools: [
        { id: 'a100-spot', instanceType: 'a2-highgpu-1g', capacityType: 'spot', zone: 'us-central1-a' },
        { id: 'a100-od', instanceType: 'a2-highgpu-1g', capacityType: 'on-demand', zone: 'us-central1-b' },
      ],
      resource: {
        provider: 'gcp',
        pools: {
          'a100-spot': { kind: 'mig', project: 'ml-prod', zone: 'us-central1-a', name: 'a100-spot' },
          'a100-od': { kind: 'mig', project: 'ml-prod', zone: 'us-central1-b', name: 'a100-od' },
        },
        metrics: {},
        checkpoint: { type: 'https', url: receiverUrl, secretEnv: 'TIDE_TEST_CHECKPOINT_KEY' },
      },
    });
    const { PolicySchema } = await import('../../../core/schema/policy.ts');
    await store.putPolicy(
      'train-a100',
      PolicySchema.parse({
        minCapacity: 0,
        maxCapacity: 8,
        // A checkpoint that fits in Compute Engine's 30 s notice.
        training: { checkpointSeconds: 20 },
        triggers: [{ source: 'gcp-compute' }, { source: 'cloudevents' }],
      }),
    );
    gcp.runtime.ingest.invalidateTargets();
    // The job started on the spot node (its scheduler says so with a Tide CloudEvent).
    const started = await post(
      {
        specversion: '1.0',
        id: `job-started-${Date.now()}`,
        type: 'dev.tide.job.started',
        source: 'ray://cluster',
        subject: 'llm-finetune-7',
        time: new Date(Date.now() - 3_600_000).toISOString(),
        datacontenttype: 'application/json',
        data: { framework: 'ray', gpusPerNode: 1, nodeCount: 1, instanceIds: ['tide-a100-spot-7k2p'] },
      },
      { 'content-type': 'application/cloudevents+json' },
    );
    expect(started.status).toBe(204);
    // Compute Engine's preemption audit log entry, through the log sink and the push subscription, now.
    const push = fixture('pubsub-compute-preempted.json');
    const entry = JSON.parse(Buffer.from(push.message.data, 'base64').toString('utf8'));
    entry.timestamp = new Date().toISOString();
    entry.receiveTimestamp = entry.timestamp;
    entry.insertId = `preempted-${Date.now()}`;
    push.message.data = Buffer.from(JSON.stringify(entry)).toString('base64');
    const response = await post(push, { 'content-type': 'application/json' }, '/projects/ml-prod/topics/tide-events');
    expect(response.status).toBe(204);

    expect(checkpoints).toHaveLength(1);
    const [request] = checkpoints;
    const event = JSON.parse(request!.body);
    expect(event).toMatchObject({
      type: 'dev.tide.job.checkpoint.requested',
      subject: 'llm-finetune-7',
      data: { instanceIds: ['tide-a100-spot-7k2p'] },
    });
    const timestamp = String(request!.headers['x-tide-timestamp']);
    expect(request!.headers['x-tide-signature']).toBe(
      `v1=${createHmac('sha256', CHECKPOINT_KEY).update(`${timestamp}.${request!.body}`).digest('hex')}`,
    );
    const audit = await store.readAudit('train-a100', { limit: 5 });
    const actions = audit.entries.flatMap((e) =>
      e.actions.map((action) => `${action.type}:${'poolId' in action ? action.poolId : ''}`),
    );
    expect(actions).toContain('request-checkpoint:');
    // The replacement: the spot pool was just preempted, so the new node comes from the on-demand pool.
    expect(actions).toContain('launch-capacity:a100-od');
    expect(
      fake.requests.filter((r) => r.path.endsWith('/resize')).map((r) => r.path.split('/instanceGroupManagers/')[1]),
    ).toContain('a100-od/resize');
  });
});
