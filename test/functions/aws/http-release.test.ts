/**
 * DELETE /v1/targets/{id} on the AWS API function in act mode gives back the Application Auto Scaling target
 * Tide suspended (real SDK clients, wire-level fake): at once, not at the next 5-minute sweep. A failed give-back
 * does not fail the deletion; the tick's sweep is the backstop and restores it later.
 */
import { describe, expect, it } from 'vitest';
import { restoreLeftTargets } from '../../../adapters/aws/app-autoscaling.ts';
import { createAwsCaller } from '../../../adapters/aws/calls.ts';
import { createAwsActuatorFactory } from '../../../adapters/aws/index.ts';
import { MemoryAccessStore } from '../../../adapters/state/access-memory.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { createHttpHandler } from '../../../functions/aws/http.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { endpointTarget, useFakeAws } from '../../adapters/aws/setup.ts';

const fake = useFakeAws();
const context = { getRemainingTimeInMillis: () => 29_000 } as never;

function apiGatewayEvent(method: string, path: string, key: string, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'api.example',
      authorization: `Bearer ${key}`,
      ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
    },
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: `req-${path}-${method}`,
      routeKey: '$default',
      stage: '$default',
      timeEpoch: Date.now(),
    },
    ...(text ? { body: text } : {}),
    isBase64Encoded: false,
  };
}

async function apiInActMode() {
  const lines: string[] = [];
  const access = new MemoryAccessStore();
  const admin = generateApiKey(['admin', 'read', 'write'], 'ci', 0);
  await access.createKey(admin.record);
  const logger = { info() {}, warn() {} };
  const handler = createHttpHandler(
    { TIDE_MODE: 'act', AWS_REGION: 'us-east-1' },
    {
      store: new MemoryStateStore(),
      access,
      write: (line) => lines.push(line),
      aws: {
        clients: fake.clients,
        env: process.env,
        actuatorOf: createAwsActuatorFactory({ env: process.env, clients: fake.clients, logger }),
      },
    },
  );
  const call = async (method: string, path: string, body?: unknown) =>
    (await handler(apiGatewayEvent(method, path, admin.key, body) as never, context)) as { statusCode: number };
  return { call, lines };
}

/** A variant under an AAS target that Tide has acted on: dynamic scaling suspended, what it found tagged. */
async function suspendedBy(endpointName: string) {
  fake.aws.sagemaker.addEndpoint(endpointName, 'AllTraffic', 'ml.g5.xlarge', 2);
  const scalable = fake.aws.sagemaker.addScalableTarget(
    `endpoint/${endpointName}/variant/AllTraffic`,
    'sagemaker:variant:DesiredInstanceCount',
    1,
    8,
  );
  await fake.actuator(endpointTarget(endpointName)).setCapacity({ poolId: 'primary', desired: 3 });
  expect(scalable.SuspendedState).toMatchObject({ DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true });
  expect(Object.keys(scalable.Tags)).toEqual(['tide:found-suspended-state']);
  return scalable;
}

describe('deleting an AWS target gives its Application Auto Scaling target back', () => {
  it('at once through the API: the suspension Tide made is undone and its record removed', async () => {
    const scalable = await suspendedBy('rel-ep');
    const { call, lines } = await apiInActMode();
    expect((await call('PUT', '/v1/targets/t-rel-ep', endpointTarget('rel-ep'))).statusCode).toBe(200);
    fake.aws.server.reset();

    expect((await call('DELETE', '/v1/targets/t-rel-ep')).statusCode).toBe(204);
    expect(scalable.SuspendedState).toEqual({
      DynamicScalingInSuspended: false,
      DynamicScalingOutSuspended: false,
      ScheduledScalingSuspended: false,
    });
    expect(scalable.Tags).toEqual({});
    expect(fake.aws.server.requests.map((r) => r.action)).toEqual([
      'DescribeScalableTargets',
      'ListTagsForResource',
      'RegisterScalableTarget',
      'UntagResource',
    ]);
    expect(lines.join('\n')).toMatch(
      /"outcome":"restored","message":"target deleted: Application Auto Scaling given back"/,
    );
  });

  it('a failed give-back leaves the deletion standing and is logged; the sweep restores it later', async () => {
    const scalable = await suspendedBy('rel-fail');
    const { call, lines } = await apiInActMode();
    expect((await call('PUT', '/v1/targets/t-rel-fail', endpointTarget('rel-fail'))).statusCode).toBe(200);
    fake.aws.server.fail({ service: 'application-autoscaling' }, 'access-denied', 1);

    expect((await call('DELETE', '/v1/targets/t-rel-fail')).statusCode).toBe(204);
    expect((await call('GET', '/v1/targets/t-rel-fail')).statusCode).toBe(404);
    expect(scalable.SuspendedState.DynamicScalingInSuspended).toBe(true);
    expect(lines.join('\n')).toMatch(
      /"error":"access denied: .*"message":"target deleted; giving back its provider resources failed"/,
    );

    const restored = await restoreLeftTargets(new Set(), {
      clients: fake.clients,
      scope: { region: 'us-east-1' },
      caller: createAwsCaller('act', { info() {}, warn() {} }),
      now: Date.now,
    });
    expect(restored).toContain('endpoint/rel-fail/variant/AllTraffic');
    expect(scalable.SuspendedState.DynamicScalingInSuspended).toBe(false);
  });

  it('a target whose scalable target Tide never suspended: nothing is changed', async () => {
    fake.aws.sagemaker.addEndpoint('rel-free', 'AllTraffic', 'ml.g5.xlarge', 1);
    const scalable = fake.aws.sagemaker.addScalableTarget(
      'endpoint/rel-free/variant/AllTraffic',
      'sagemaker:variant:DesiredInstanceCount',
      1,
      4,
    );
    scalable.SuspendedState.DynamicScalingInSuspended = true; // someone else's suspension, no Tide record
    scalable.SuspendedState.DynamicScalingOutSuspended = true;
    const { call } = await apiInActMode();
    expect((await call('PUT', '/v1/targets/t-rel-free', endpointTarget('rel-free'))).statusCode).toBe(200);
    expect((await call('DELETE', '/v1/targets/t-rel-free')).statusCode).toBe(204);
    expect(scalable.SuspendedState.DynamicScalingInSuspended).toBe(true);
    expect(fake.aws.server.calls('application-autoscaling', 'RegisterScalableTarget')).toEqual([]);
  });
});
