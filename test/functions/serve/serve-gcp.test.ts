/**
 * `tide serve --cloud gcp` as a real process: the Google Cloud adapters (functions/serve/clouds.ts) with
 * Application Default Credentials, configured through the environment only, as a user runs it beside a
 * project: the clients point at the local Google Cloud endpoint (TIDE_GCP_API_ENDPOINT) and ADC reads its
 * token from that endpoint's metadata server (GCE_METADATA_HOST), as on Cloud Run. A Cloud Monitoring
 * webhook resizes the managed instance group there, and the status route observes the group through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccessStore, stateConfigFromEnv } from '../../../adapters/state/index.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';

const BIN = fileURLToPath(new URL('../../../bin/tide.js', import.meta.url));
const FIXTURES = join(import.meta.dirname, '../../fixtures/events/gcp');
const NAMESPACE = `serve-gcp-${process.pid}`;

let fake: GcpFake;
let redis: RedisServer;
let child: ChildProcess | undefined;
let exited: Promise<number | null>;
let url: string;
let stderr = '';
let readKey: string;
let ingestKey: string;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startGcpFake(), startRedisServer()]);
  fake.addMig({
    project: 'p1',
    scope: 'zones/us-central1-c',
    name: 'llama',
    targetSize: 2,
    instanceTemplate: 'projects/p1/global/instanceTemplates/g2',
    machineType: 'g2-standard-8',
    running: 2,
  });
  const env = { REDIS_URL: redis.url, TIDE_DEPLOYMENT: NAMESPACE };
  const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 5_000 }), { namespace: NAMESPACE });
  await store.putTarget(
    TargetSchema.parse({
      id: 'llama-endpoint',
      kind: 'inference-endpoint',
      provider: 'gcp',
      pools: [{ id: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', zone: 'us-central1-c' }],
      resource: {
        provider: 'gcp',
        pools: { serve: { kind: 'mig', project: 'p1', zone: 'us-central1-c', name: 'llama' } },
        metrics: {},
      },
    }),
  );
  await store.putPolicy(
    'llama-endpoint',
    PolicySchema.parse({
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'Monitor-Project-Cluster', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      triggers: [{ source: 'gcp-monitoring', alarmName: 'Monitor-Project-Cluster' }],
    }),
  );
  await store.close();
  const access = createAccessStore(stateConfigFromEnv(env));
  const ingest = generateApiKey(['ingest'], 'gcp-monitoring-channel', Date.now());
  const read = generateApiKey(['read'], 'status-reader', Date.now());
  await access.createKey(ingest.record);
  await access.createKey(read.record);
  await access.close();
  ingestKey = ingest.key;
  readKey = read.key;

  // Only what a user sets: no variable names a test, and no Google credentials file (ADC finds the metadata server).
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...env,
    TIDE_GCP_API_ENDPOINT: fake.url,
    GCE_METADATA_HOST: `127.0.0.1:${fake.port}`,
    METADATA_SERVER_DETECTION: 'assume-present',
    GOOGLE_CLOUD_PROJECT: 'p1',
  };
  child = spawn(process.execPath, [BIN, 'serve', '--cloud', 'gcp', '--port', '0', '--host', '127.0.0.1'], {
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tide serve did not start within 30 s: ${stderr}`)), 30_000);
    child!.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child!.once('exit', (code) => reject(new Error(`tide serve exited (${code}): ${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  }
  await Promise.all([fake?.close(), redis?.close()]);
}, 30_000);

it('says it serves on gcp', () => {
  expect(stderr).toMatch(/cloud gcp, state redis/);
});

it('observes the managed instance group through the Google Cloud clients with ADC (status route)', async () => {
  const response = await fetch(`${url}/v1/targets/llama-endpoint/status`, {
    headers: { authorization: `Bearer ${readKey}` },
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
    fetch(`${url}/v1/events/gcp-monitoring`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`tide:${ingestKey}`).toString('base64')}`,
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
