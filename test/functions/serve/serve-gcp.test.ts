/**
 * `tide serve --cloud gcp` as a real process: the Google Cloud adapters (functions/serve/clouds.ts) with
 * Application Default Credentials, configured through the environment only, as a user runs it beside a
 * project: the clients point at the local Google Cloud endpoint (TIDE_GCP_API_ENDPOINT) and ADC reads its
 * token from that endpoint's metadata server (GCE_METADATA_HOST), as on Cloud Run. A Cloud Monitoring
 * webhook resizes the managed instance group there, and the status route observes the group through it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { startCloudServe, type CloudServe } from '../../support/serve-cloud.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/events/gcp');

let fake: GcpFake;
let serve: CloudServe;

beforeAll(async () => {
  fake = await startGcpFake();
  fake.addMig({
    project: 'p1',
    scope: 'zones/us-central1-c',
    name: 'llama',
    targetSize: 2,
    instanceTemplate: 'projects/p1/global/instanceTemplates/g2',
    machineType: 'g2-standard-8',
    running: 2,
  });
  serve = await startCloudServe({
    cloud: 'gcp',
    target: {
      id: 'llama-endpoint',
      kind: 'inference-endpoint',
      provider: 'gcp',
      pools: [{ id: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', zone: 'us-central1-c' }],
      resource: {
        provider: 'gcp',
        pools: { serve: { kind: 'mig', project: 'p1', zone: 'us-central1-c', name: 'llama' } },
        metrics: {},
      },
    },
    policy: {
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'Monitor-Project-Cluster', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      triggers: [{ source: 'gcp-monitoring', alarmName: 'Monitor-Project-Cluster' }],
    },
    ingestKeyName: 'gcp-monitoring-channel',
    // Only what a user sets: no variable names a test, and no Google credentials file (ADC finds the metadata server).
    env: {
      TIDE_GCP_API_ENDPOINT: fake.url,
      GCE_METADATA_HOST: `127.0.0.1:${fake.port}`,
      METADATA_SERVER_DETECTION: 'assume-present',
      GOOGLE_CLOUD_PROJECT: 'p1',
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([serve?.close(), fake?.close()]);
}, 30_000);

it('says it serves on gcp', () => {
  expect(serve.stderr()).toMatch(/cloud gcp, state redis/);
});

it('observes the managed instance group through the Google Cloud clients with ADC (status route)', async () => {
  const response = await fetch(`${serve.url}/v1/targets/llama-endpoint/status`, {
    headers: { authorization: `Bearer ${serve.keys.read}` },
  });
  expect(response.status).toBe(200);
  const status = (await response.json()) as { observed: { pools: { poolId: string }[] } | null };
  expect(status.observed?.pools).toEqual([
    expect.objectContaining({ poolId: 'serve', desired: 2, ready: 2, instanceType: 'g2-standard-8' }),
  ]);
  // ADC took its token from the metadata server, and the group was read at the local endpoint.
  expect(fake.requests.some((r) => r.path.startsWith('/computeMetadata/v1/instance/service-accounts/'))).toBe(true);
  expect(fake.requests.some((r) => r.path.endsWith('/zones/us-central1-c/instanceGroupManagers/llama'))).toBe(true);
}, 60_000);

it('a Cloud Monitoring webhook resizes the group at the endpoint (2 -> 4), once for a repeated delivery', async () => {
  const body = JSON.parse(readFileSync(join(FIXTURES, 'monitoring-incident-open.json'), 'utf8'));
  body.incident.started_at = Math.floor(Date.now() / 1000);
  body.incident.incident_id = 'serve-gcp-1';
  const post = () =>
    fetch(`${serve.url}/v1/events/gcp-monitoring`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`tide:${serve.keys.ingest}`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
  expect((await post()).status).toBe(200);
  expect((await post()).status).toBe(200);
  const resizes = fake.requests
    .filter((r) => r.path.endsWith('/instanceGroupManagers/llama/resize'))
    .map((r) => r.query.get('size'));
  expect(resizes).toEqual(['4']);
  expect([...fake.migs.values()].find((mig) => mig.name === 'llama')?.targetSize).toBe(4);
}, 60_000);
