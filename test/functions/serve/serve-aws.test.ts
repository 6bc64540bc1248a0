/**
 * `tide serve --cloud aws` as a real process: the AWS adapters (functions/serve/clouds.ts) with the SDK's
 * default credential chain and endpoint configuration, set through the environment only, as a user runs it:
 * the credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and AWS_ENDPOINT_URL points every
 * client at the local wire-level AWS. A CloudWatch alarm EventBridge event raises the SageMaker variant
 * there, and the status route observes the endpoint through it.
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
import { startFakeAws, type FakeAws } from '../../support/aws/index.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';

const BIN = fileURLToPath(new URL('../../../bin/tide.js', import.meta.url));
const FIXTURES = join(import.meta.dirname, '../../fixtures/events/aws');
const NAMESPACE = `serve-aws-${process.pid}`;

let aws: FakeAws;
let redis: RedisServer;
let child: ChildProcess | undefined;
let exited: Promise<number | null>;
let url: string;
let stderr = '';
let readKey: string;
let ingestKey: string;

beforeAll(async () => {
  [aws, redis] = await Promise.all([startFakeAws(), startRedisServer()]);
  aws.sagemaker.addEndpoint('serve-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
  const env = { REDIS_URL: redis.url, TIDE_DEPLOYMENT: NAMESPACE };
  const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 5_000 }), { namespace: NAMESPACE });
  await store.putTarget(
    TargetSchema.parse({
      id: 'cpu-fleet',
      kind: 'inference-endpoint',
      provider: 'aws',
      region: 'us-east-1',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
      resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'serve-endpoint' } },
    }),
  );
  await store.putPolicy(
    'cpu-fleet',
    PolicySchema.parse({
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'ServerCpuTooHigh', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      triggers: [{ source: 'aws-cloudwatch', alarmName: 'ServerCpuTooHigh' }],
    }),
  );
  await store.close();
  const access = createAccessStore(stateConfigFromEnv(env));
  const ingest = generateApiKey(['ingest'], 'eventbridge-api-destination', Date.now());
  const read = generateApiKey(['read'], 'status-reader', Date.now());
  await access.createKey(ingest.record);
  await access.createKey(read.record);
  await access.close();
  ingestKey = ingest.key;
  readKey = read.key;

  // Only what a user sets: the SDK's own variables (credentials, region, endpoint) and the account allow-list.
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLESERVE',
    AWS_SECRET_ACCESS_KEY: 'serve-secret',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: aws.server.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TIDE_AWS_ACCOUNTS: '123456789012',
  };
  child = spawn(process.execPath, [BIN, 'serve', '--cloud', 'aws', '--port', '0', '--host', '127.0.0.1'], {
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
  await Promise.all([aws?.close(), redis?.close()]);
}, 30_000);

it('says it serves on aws', () => {
  expect(stderr).toMatch(/cloud aws, state redis/);
});

it('observes the SageMaker variant through the SDK clients with the default credential chain (status route)', async () => {
  const response = await fetch(`${url}/v1/targets/cpu-fleet/status`, {
    headers: { authorization: `Bearer ${readKey}` },
  });
  expect(response.status).toBe(200);
  const status = (await response.json()) as { observed: { pools: { poolId: string }[] } | null };
  expect(status.observed?.pools).toEqual([
    expect.objectContaining({ poolId: 'primary', desired: 2, ready: 2, instanceType: 'ml.g5.2xlarge' }),
  ]);
  // Signed with the environment's credentials (SigV4), at the local endpoint.
  expect(aws.server.calls('sagemaker', 'DescribeEndpoint')[0]?.accessKeyId).toBe('AKIAEXAMPLESERVE');
}, 60_000);

it('a CloudWatch alarm EventBridge event raises the variant at the endpoint (2 -> 4), once for a repeated delivery', async () => {
  const event = JSON.parse(readFileSync(join(FIXTURES, 'eventbridge-cloudwatch-alarm-single-metric.json'), 'utf8'));
  event.time = new Date().toISOString();
  const post = () =>
    fetch(`${url}/v1/events/aws-eventbridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` },
      body: JSON.stringify(event),
    });
  const first = await post();
  expect(first.status, await first.text()).toBe(200);
  expect((await post()).status).toBe(200);
  expect(
    aws.server
      .calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')
      .map((r) => (r.params as { DesiredWeightsAndCapacities: unknown[] }).DesiredWeightsAndCapacities),
  ).toEqual([[{ VariantName: 'AllTraffic', DesiredInstanceCount: 4 }]]);
  expect(aws.sagemaker.endpoints.get('serve-endpoint')?.ProductionVariants[0]?.DesiredInstanceCount).toBe(4);
}, 60_000);
