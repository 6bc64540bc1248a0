/**
 * `tide serve --cloud aws` as a real process: the AWS adapters (functions/serve/clouds.ts) with the SDK's
 * default credential chain and endpoint configuration, set through the environment only, as a user runs it:
 * the credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and AWS_ENDPOINT_URL points every
 * client at the local wire-level AWS. A CloudWatch alarm EventBridge event raises the SageMaker variant
 * there, and the status route observes the endpoint through it; deleting the target gives back the
 * Application Auto Scaling target Tide suspended to act.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeAws, type FakeAws } from '../../support/aws/index.ts';
import { startCloudServe, type CloudServe } from '../../support/serve-cloud.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/events/aws');

let aws: FakeAws;
let serve: CloudServe;

beforeAll(async () => {
  aws = await startFakeAws();
  aws.sagemaker.addEndpoint('serve-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
  aws.sagemaker.addScalableTarget(
    'endpoint/serve-endpoint/variant/AllTraffic',
    'sagemaker:variant:DesiredInstanceCount',
    1,
    8,
  );
  serve = await startCloudServe({
    cloud: 'aws',
    target: {
      id: 'cpu-fleet',
      kind: 'inference-endpoint',
      provider: 'aws',
      region: 'us-east-1',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
      resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'serve-endpoint' } },
    },
    policy: {
      minCapacity: 1,
      maxCapacity: 8,
      stepScaling: [{ alarmName: 'ServerCpuTooHigh', steps: [{ lowerBound: 0, adjustment: 2 }] }],
      triggers: [{ source: 'aws-cloudwatch', alarmName: 'ServerCpuTooHigh' }],
    },
    ingestKeyName: 'eventbridge-api-destination',
    // Only what a user sets: the SDK's own variables (credentials, region, endpoint) and the account allow-list.
    env: {
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLESERVE',
      AWS_SECRET_ACCESS_KEY: 'serve-secret',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: aws.server.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TIDE_AWS_ACCOUNTS: '123456789012',
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([serve?.close(), aws?.close()]);
}, 30_000);

it('says it serves on aws', () => {
  expect(serve.stderr()).toMatch(/cloud aws, state redis/);
});

it('observes the SageMaker variant through the SDK clients with the default credential chain (status route)', async () => {
  const response = await fetch(`${serve.url}/v1/targets/cpu-fleet/status`, {
    headers: { authorization: `Bearer ${serve.keys.read}` },
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
    fetch(`${serve.url}/v1/events/aws-eventbridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serve.keys.ingest}` },
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
  // Tide suspended the variant's Application Auto Scaling before it acted, rather than fight it.
  expect(aws.sagemaker.scalableTargets[0]?.SuspendedState.DynamicScalingOutSuspended).toBe(true);
}, 60_000);

it('deleting the target gives back the Application Auto Scaling target at once', async () => {
  const response = await fetch(`${serve.url}/v1/targets/cpu-fleet`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${serve.keys.write}` },
  });
  expect(response.status).toBe(204);
  expect(aws.sagemaker.scalableTargets[0]?.SuspendedState).toEqual({
    DynamicScalingInSuspended: false,
    DynamicScalingOutSuspended: false,
    ScheduledScalingSuspended: false,
  });
  expect(aws.sagemaker.scalableTargets[0]?.Tags).toEqual({});
}, 60_000);
