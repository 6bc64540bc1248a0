/**
 * The Azure functions as the Functions host runs them: registered with the real @azure/functions v4
 * programming model, invoked through the library's own invocation model with the RPC payloads the host sends
 * (test/support/azure-functions-host.ts), over a real Redis and the real Azure clients against the local
 * HTTPS ARM endpoint, all configured through the environment as the Function App's settings do.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AzureRuntime } from '../../../functions/azure/handlers.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { RESOURCE_GROUP, startAzureFake, SUBSCRIPTION, type AzureFake } from '../../support/azure-fake.ts';
import {
  httpResponseOf,
  installFunctionsHost,
  rpcHttp,
  type FunctionsHost,
} from '../../support/azure-functions-host.ts';
import { blockedConnections, installLoopbackGuard } from '../../support/loopback-guard.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { makeTestPki } from '../../support/tls.ts';

installLoopbackGuard();

const FIXTURES = join(import.meta.dirname, '../../fixtures/events/azure');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
const EVENTGRID_SECRET = 'an-event-grid-delivery-secret-0123';
const CHECKPOINT_KEY = 'a-shared-secret-for-the-training-job';

let fake: AzureFake;
let redis: RedisServer;
let host: FunctionsHost;
let azure: AzureRuntime;
let ingestKey: string;
let receiver: HttpsServer;
let receiverUrl: string;
const checkpoints: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'tide-azure-fn-'));

beforeAll(async () => {
  const pki = makeTestPki();
  writeFileSync(join(dir, 'ca.pem'), pki.caCert);
  receiver = createHttpsServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      checkpoints.push({ headers: req.headers, body });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  receiverUrl = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/checkpoint`;
  [fake, redis] = await Promise.all([startAzureFake(pki), startRedisServer()]);
  Object.assign(process.env, {
    TIDE_MODE: 'act',
    REDIS_URL: redis.url,
    TIDE_AZURE_ARM_ENDPOINT: fake.url,
    TIDE_AZURE_CA_FILE: join(dir, 'ca.pem'),
    // Loopback only: the clients refuse a static token for any other endpoint.
    TIDE_AZURE_STATIC_TOKEN: 'local-arm-token',
    TIDE_EVENTGRID_SECRET: EVENTGRID_SECRET,
    TIDE_EVENTGRID_SUBSCRIPTIONS: 'tide-ml-events',
    TIDE_CHECKPOINT_CA_FILE: join(dir, 'ca.pem'),
    TIDE_TEST_CHECKPOINT_KEY: CHECKPOINT_KEY,
    // The tick's interval as the template's tickIntervalSeconds sets it: every 5 minutes here.
    TIDE_TICK_INTERVAL_SECONDS: '300',
  });
  // The worker's side first, then the app registers its functions with it, as at the host's start.
  host = installFunctionsHost();
  const { azureRuntime } = await import('../../../functions/azure/index.ts');
  azure = azureRuntime();
  const { createAccessStore, stateConfigFromEnv } = await import('../../../adapters/state/index.ts');
  const { generateApiKey } = await import('../../../functions/http/api-keys.ts');
  const generated = generateApiKey(['ingest'], 'azure-action-group', Date.now());
  ingestKey = generated.key;
  const access = createAccessStore(stateConfigFromEnv(process.env));
  await access.createKey(generated.record);
  await access.close?.();
}, 60_000);

afterAll(async () => {
  await azure?.runtime.store.close?.();
  await Promise.all([fake?.close(), redis?.close(), new Promise<void>((resolve) => receiver?.close(() => resolve()))]);
  rmSync(dir, { recursive: true, force: true });
  expect(blockedConnections).toEqual([]);
});

beforeEach(async () => {
  fake.requests.length = 0;
  fake.clearFaults();
  fake.allocationFailures.clear();
  fake.addScaleSet({ name: 'llm-serve', sku: 'Standard_NC24ads_A100_v4', capacity: 2 });
  const store = azure.runtime.store;
  await store.deleteTarget('llm-endpoint');
  await store.putTarget({
    id: 'llm-endpoint',
    kind: 'inference-endpoint',
    provider: 'azure',
    pools: [{ id: 'serve', instanceType: 'Standard_NC24ads_A100_v4', capacityType: 'on-demand' }],
    resource: {
      provider: 'azure',
      subscriptionId: SUBSCRIPTION,
      pools: { serve: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'llm-serve' } },
      metrics: {},
    },
  });
  await store.putPolicy(
    'llm-endpoint',
    PolicySchema.parse({
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'WCUS-R2-Gen2', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      triggers: [{ source: 'azure-monitor', alarmName: 'WCUS-R2-Gen2' }],
    }),
  );
  azure.runtime.ingest.invalidateTargets();
});

const capacityPatches = (name: string) =>
  fake.requests
    .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/virtualMachineScaleSets/${name}`))
    .map((r) => (r.body as { sku?: { capacity?: number } }).sku?.capacity);

/** The common alert schema metric alert of Microsoft's docs, fired now (a 2019 alert would be stale). */
function firedAlert(id: string) {
  const alert = fixture('monitor-metric-alert-fired.json');
  alert.data.essentials.firedDateTime = new Date().toISOString();
  alert.data.essentials.alertId = `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.AlertsManagement/alerts/${id}`;
  return alert;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  host
    .invoke(
      'tideHttp',
      rpcHttp({
        method: 'POST',
        url: `https://tide-func.azurewebsites.net${path}`,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    )
    .then(httpResponseOf);

describe('registration', () => {
  it('registers tideHttp, tideEvents and tideTick with the v4 programming model', () => {
    expect(host.programmingModel()?.name).toBe('@azure/functions');
    const bindings = Object.fromEntries(
      [...host.functions].map(([name, fn]) => [
        name,
        Object.values(fn.metadata.bindings)
          .map((b) => `${b.direction}:${b.type}`)
          .sort(),
      ]),
    );
    expect(bindings).toEqual({
      tideHttp: ['in:httpTrigger', 'out:http'],
      tideEvents: ['in:eventGridTrigger'],
      tideTick: ['in:timerTrigger'],
    });
    expect(host.functions.get('tideTick')!.metadata.bindings).toMatchObject({
      [Object.keys(host.functions.get('tideTick')!.metadata.bindings)[0]!]: { schedule: '0 */5 * * * *' },
    });
    expect(host.functions.get('tideTick')!.metadata.retryOptions).toMatchObject({ maxRetryCount: 2 });
  });
});

describe('tideHttp', () => {
  it('a common alert schema metric alert from an action group raises the scale set; a redelivery acts once', async () => {
    const alert = firedAlert('alert-1');
    const unauthenticated = await post('/v1/events/azure-monitor', alert);
    expect(unauthenticated.status).toBe(401);
    const response = await post(`/v1/events/azure-monitor?token=${ingestKey}`, alert);
    expect(response.status).toBe(200);
    expect(capacityPatches('llm-serve')).toEqual([4]);
    expect(fake.scaleSets.get('llm-serve')!.sku.capacity).toBe(4);
    const again = await post(`/v1/events/azure-monitor?token=${ingestKey}`, alert);
    expect(again.status).toBe(200);
    expect(capacityPatches('llm-serve')).toEqual([4]);
  });

  it('a retryable failure answers 503 so the action group retries, and the retry acts once', async () => {
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 503,
      code: 'ServiceUnavailable',
      times: 3,
    });
    const alert = firedAlert('alert-retry');
    const first = await post(`/v1/events/azure-monitor?token=${ingestKey}`, alert);
    expect(first.status).toBe(503);
    const second = await post(`/v1/events/azure-monitor?token=${ingestKey}`, alert);
    expect(second.status).toBe(200);
    expect(fake.scaleSets.get('llm-serve')!.sku.capacity).toBe(4);
  });

  it('answers the Event Grid validation handshake for a configured subscription with its secret only', async () => {
    const validation = fixture('eventgrid-subscription-validation.json');
    const headers = { 'aeg-event-type': 'SubscriptionValidation', 'aeg-subscription-name': 'TIDE-ML-EVENTS' };
    const refused = await post(`/v1/events/azure-eventgrid?token=${ingestKey}`, validation, headers);
    expect(refused.status).toBe(403);
    const response = await post(
      `/v1/events/azure-eventgrid?token=${ingestKey}&code=${EVENTGRID_SECRET}`,
      validation,
      headers,
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it('takes an Event Grid batch (webhook delivery) in one request', async () => {
    const batch = fixture('eventgrid-ml-run-status-changed.json');
    const response = await post(`/v1/events/azure-eventgrid?token=${ingestKey}&code=${EVENTGRID_SECRET}`, batch, {
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': 'TIDE-ML-EVENTS',
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).source).toBe('azure-eventgrid');
  });

  it('checks the body limit on a request without Content-Length: over 256 KiB is refused 413, the alert under it taken', async () => {
    const big = { ...firedAlert('alert-big'), padding: 'x'.repeat(300 * 1024) };
    expect((await post(`/v1/events/azure-monitor?token=${ingestKey}`, big)).status).toBe(413);
    const alert = firedAlert('alert-no-length');
    alert.data.essentials.alertRule = 'no-such-rule';
    expect((await post(`/v1/events/azure-monitor?token=${ingestKey}`, alert)).status).toBe(200);
  });

  it('serves health and the API reference', async () => {
    for (const path of ['/healthz', '/openapi.json']) {
      const result = httpResponseOf(
        await host.invoke('tideHttp', rpcHttp({ method: 'GET', url: `https://tide-func.azurewebsites.net${path}` })),
      );
      expect(result.status).toBe(200);
    }
  });
});

describe('tideEvents (Event Grid trigger)', () => {
  it('takes one Azure ML run status event per invocation', async () => {
    const [event] = fixture('eventgrid-ml-run-status-changed.json');
    const result = await host.invoke('tideEvents', { json: JSON.stringify(event) });
    expect(result.status).toBe('Success');
  });

  it('drops an event that can never succeed (bad input) without a failure, so Event Grid does not retry it', async () => {
    const result = await host.invoke('tideEvents', {
      json: JSON.stringify({
        id: 'x',
        eventType: 'Microsoft.MachineLearningServices.RunStatusChanged',
        subject: 's',
        eventTime: 'not a time',
        data: {},
      }),
    });
    expect(result.status).toBe('Success');
  });
});

describe('tideTick (timer trigger)', () => {
  it('reads tracked metrics and reports allocation failures as capacity errors, observing an operation over ticks', async () => {
    const store = azure.runtime.store;
    await store.putTarget({
      id: 'llm-endpoint',
      kind: 'inference-endpoint',
      provider: 'azure',
      pools: [{ id: 'serve', instanceType: 'Standard_NC24ads_A100_v4', capacityType: 'on-demand' }],
      resource: {
        provider: 'azure',
        subscriptionId: SUBSCRIPTION,
        pools: { serve: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'llm-serve' } },
        metrics: {
          gpu: {
            resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/llm-serve`,
            metricName: 'Percentage CPU',
            aggregation: 'Average',
            intervalSeconds: 60,
          },
        },
      },
    });
    fake.metrics.set('Percentage CPU', 87.5);
    fake.allocationFailures.set('llm-serve', { code: 'ZonalAllocationFailed', message: 'Allocation failed in zone 1' });
    // An alert raises the set; Azure accepts, and the allocation fails later, inside the operation.
    expect((await post(`/v1/events/azure-monitor?token=${ingestKey}`, firedAlert('alert-tick'))).status).toBe(200);
    const timer = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
    const first = await host.invoke('tideTick', { json: JSON.stringify(timer) });
    expect(first.status).toBe('Success');
    const metricsRead = fake.requests.filter((r) => r.path.endsWith('/providers/Microsoft.Insights/metrics'));
    expect(metricsRead[0]!.query.get('metricnames')).toBe('Percentage CPU');
    fake.advance();
    const second = await host.invoke('tideTick', { json: JSON.stringify(timer) });
    expect(second.status).toBe('Success');
    const audit = await store.readAudit('llm-endpoint', { limit: 20 });
    const signals = audit.entries.map((entry) => entry.signal);
    expect(signals).toContainEqual(
      expect.objectContaining({ kind: 'metric', source: 'azure-monitor', detail: 'gpu = 87.5' }),
    );
    expect(signals).toContainEqual(
      expect.objectContaining({ kind: 'capacity-error', detail: 'ZonalAllocationFailed in pool serve (on-demand)' }),
    );
  });

  it('fails the invocation when the tick failed retryably, so the timer retry policy runs it again', async () => {
    fake.inject({
      match: (r) => r.method === 'GET' && r.path.includes('llm-serve'),
      kind: 'http',
      status: 500,
      times: 20,
    });
    const result = await host.invoke('tideTick', { json: JSON.stringify({ IsPastDue: true }) });
    expect(result.status).toBe('Failure');
    expect(result.error?.name).toBe('RedeliverError');
  });
});

describe('a preempted training node', () => {
  it('a relayed Preempt scheduled event brings a signed checkpoint request and a replacement', async () => {
    const store = azure.runtime.store;
    fake.addScaleSet({ name: 'train-spot', sku: 'Standard_ND96asr_v4', capacity: 1, priority: 'Spot' });
    fake.addScaleSet({ name: 'train-od', sku: 'Standard_ND96asr_v4', capacity: 0 });
    await store.putTarget({
      id: 'train-nd',
      kind: 'training-pool',
      provider: 'azure',
      pools: [
        { id: 'nd-spot', instanceType: 'Standard_ND96asr_v4', capacityType: 'spot' },
        { id: 'nd-od', instanceType: 'Standard_ND96asr_v4', capacityType: 'on-demand' },
      ],
      resource: {
        provider: 'azure',
        subscriptionId: SUBSCRIPTION,
        pools: {
          'nd-spot': { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'train-spot' },
          'nd-od': { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'train-od' },
        },
        metrics: {},
        checkpoint: { type: 'https', url: receiverUrl, secretEnv: 'TIDE_TEST_CHECKPOINT_KEY' },
      },
    });
    await store.putPolicy(
      'train-nd',
      PolicySchema.parse({
        minCapacity: 0,
        maxCapacity: 8,
        training: { checkpointSeconds: 20 },
        triggers: [{ source: 'azure-scheduled-events' }, { source: 'cloudevents' }],
      }),
    );
    azure.runtime.ingest.invalidateTargets();
    // The job started on the spot node: its scheduler's CloudEvent, through an Event Grid topic to tideEvents.
    const [started] = fixture('eventgrid-cloudevents-tide-job-started.json');
    started.id = `job-started-${Date.now()}`;
    started.time = new Date(Date.now() - 3_600_000).toISOString();
    started.data = { framework: 'ray', gpusPerNode: 8, nodeCount: 1, instanceIds: ['train-spot_0'] };
    expect((await host.invoke('tideEvents', { json: JSON.stringify(started) })).status).toBe('Success');
    // The relay on the node read a Preempt from the metadata endpoint and posts it with an ingest key.
    const document = fixture('scheduled-events-preempt.json');
    document.DocumentIncarnation = Date.now();
    document.Events[0].EventId = `preempt-${Date.now()}`;
    document.Events[0].Resources = ['train-spot_0'];
    document.Events[0].NotBefore = new Date(Date.now() + 30_000).toUTCString();
    document.resourceId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/train-spot/virtualMachines/0`;
    const response = await post(`/v1/events/azure-scheduled-events?token=${ingestKey}`, document);
    expect(response.status).toBe(200);

    expect(checkpoints).toHaveLength(1);
    const [request] = checkpoints;
    expect(JSON.parse(request!.body)).toMatchObject({
      type: 'dev.tide.job.checkpoint.requested',
      subject: 'raysubmit_XYZ123abc',
      data: { instanceIds: ['train-spot_0'] },
    });
    const timestamp = String(request!.headers['x-tide-timestamp']);
    expect(request!.headers['x-tide-signature']).toBe(
      `v1=${createHmac('sha256', CHECKPOINT_KEY).update(`${timestamp}.${request!.body}`).digest('hex')}`,
    );
    const audit = await store.readAudit('train-nd', { limit: 5 });
    const actions = audit.entries.flatMap((e) =>
      e.actions.map((action) => `${action.type}:${'poolId' in action ? action.poolId : ''}`),
    );
    expect(actions).toContain('request-checkpoint:');
    expect(actions).toContain('launch-capacity:nd-od');
    expect(capacityPatches('train-od')).toEqual([1]);
  });
});
