/**
 * `tide serve --cloud azure` as a real process: the Azure adapters (functions/serve/clouds.ts) configured
 * through the environment only: TIDE_AZURE_ARM_ENDPOINT points the ARM clients at the local HTTPS endpoint,
 * TIDE_AZURE_CA_FILE trusts its test CA, and TIDE_AZURE_STATIC_TOKEN stands in for DefaultAzureCredential
 * (accepted for a loopback endpoint only). An Azure Monitor common-alert-schema alert raises the scale set's
 * capacity there, and the status route observes the set through it. The operation that change started is
 * recorded in the state store and polled on serve's scheduled tick until Azure says it is done (`--speed 60`:
 * a schedule tick, a clock minute, every real second).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { RESOURCE_GROUP, startAzureFake, SUBSCRIPTION, type AzureFake } from '../../support/azure-fake.ts';
import { startCloudServe, type CloudServe } from '../../support/serve-cloud.ts';
import { waitFor } from '../../support/tide-serve.ts';
import { makeTestPki } from '../../support/tls.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/events/azure');
const dir = mkdtempSync(join(tmpdir(), 'tide-serve-azure-'));

let fake: AzureFake;
let serve: CloudServe;
let store: RedisStateStore | undefined;

beforeAll(async () => {
  const pki = makeTestPki();
  writeFileSync(join(dir, 'ca.pem'), pki.caCert);
  fake = await startAzureFake(pki);
  fake.addScaleSet({ name: 'llm-serve', sku: 'Standard_NC24ads_A100_v4', capacity: 2 });
  serve = await startCloudServe({
    cloud: 'azure',
    target: {
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
    },
    policy: {
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'WCUS-R2-Gen2', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      // The alarm stays in ALARM, and the clock runs 60 times faster: no second step within the test.
      cooldown: { scaleOutSeconds: 604_800 },
      triggers: [{ source: 'azure-monitor', alarmName: 'WCUS-R2-Gen2' }],
    },
    ingestKeyName: 'azure-action-group',
    args: ['--speed', '60'],
    env: {
      TIDE_AZURE_ARM_ENDPOINT: fake.url,
      TIDE_AZURE_CA_FILE: join(dir, 'ca.pem'),
      TIDE_AZURE_STATIC_TOKEN: 'local-arm-token',
    },
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await Promise.all([serve?.close(), fake?.close()]);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

it('says it serves on azure', () => {
  expect(serve.stderr()).toMatch(/cloud azure, state redis/);
});

it('observes the scale set through the ARM clients (status route)', async () => {
  const response = await fetch(`${serve.url}/v1/targets/llm-endpoint/status`, {
    headers: { authorization: `Bearer ${serve.keys.read}` },
  });
  expect(response.status).toBe(200);
  const status = (await response.json()) as { observed: { pools: { poolId: string }[] } | null };
  expect(status.observed?.pools).toEqual([
    expect.objectContaining({ poolId: 'serve', desired: 2, ready: 2, instanceType: 'Standard_NC24ads_A100_v4' }),
  ]);
  // Over TLS with the configured token, at the local endpoint.
  const read = fake.requests.find((r) => r.method === 'GET' && r.path.endsWith('/virtualMachineScaleSets/llm-serve'));
  expect(read?.headers.authorization).toBe('Bearer local-arm-token');
}, 60_000);

it('a common-alert-schema metric alert raises the scale set (2 -> 4), once for a repeated delivery', async () => {
  const alert = JSON.parse(readFileSync(join(FIXTURES, 'monitor-metric-alert-fired.json'), 'utf8'));
  alert.data.essentials.firedDateTime = new Date().toISOString();
  alert.data.essentials.alertId = `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.AlertsManagement/alerts/serve-1`;
  const post = () =>
    fetch(`${serve.url}/v1/events/azure-monitor?token=${serve.keys.ingest}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
    });
  const first = await post();
  expect(first.status, await first.text()).toBe(200);
  expect((await post()).status).toBe(200);
  const patches = fake.requests
    .filter((r) => r.method === 'PATCH' && r.path.endsWith('/virtualMachineScaleSets/llm-serve'))
    .map((r) => (r.body as { sku?: { capacity?: number } }).sku?.capacity);
  expect(patches).toEqual([4]);
  expect([...fake.scaleSets.values()].find((set) => set.name === 'llm-serve')?.sku.capacity).toBe(4);
}, 60_000);

it('polls the operation that change started on its scheduled tick, and drops it once Azure says it succeeded', async () => {
  store = new RedisStateStore(ioredisTransport({ url: serve.redis.url, timeoutMs: 5_000 }), {
    namespace: serve.namespace,
  });
  const operations = () => store!.records!.keys('azure-op:llm-endpoint:');
  const polls = () => fake.requests.filter((r) => r.method === 'GET' && /\/operations\/[^/]+$/.test(r.path)).length;
  // The PATCH's operation is in progress at the endpoint: recorded in the state store, polled tick after tick.
  expect(fake.pendingOperations()).toBe(1);
  expect(await operations()).toHaveLength(1);
  const before = polls();
  await waitFor('two polls of the running operation', () => (polls() >= before + 2 ? true : undefined), 30_000);
  expect(await operations()).toHaveLength(1);
  // Azure finishes it; the next tick's poll sees it succeeded and forgets it.
  fake.advance();
  expect(fake.pendingOperations()).toBe(0);
  await waitFor('the operation dropped', async () => ((await operations()).length === 0 ? true : undefined), 30_000);
  expect([...fake.scaleSets.values()].find((set) => set.name === 'llm-serve')?.sku.capacity).toBe(4);
}, 60_000);
