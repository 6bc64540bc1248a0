/**
 * End to end in act mode: an EventBridge event into the Lambda handler, the real runtime (ingest, decide,
 * shell, reconciler) over a real Redis, the AWS adapters with the real SDK clients, and the wire-level fake
 * AWS as the cloud (reached through AWS_ENDPOINT_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { createAwsClients } from '../../../adapters/aws/clients.ts';
import { createAwsActuatorFactory } from '../../../adapters/aws/index.ts';
import { PolicySchema, type PolicyInput } from '../../../core/schema/policy.ts';
import { TargetSchema, type TargetInput } from '../../../core/schema/target.ts';
import { createAwsHandler } from '../../../functions/aws/handler.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startFakeAws, type FakeAws } from '../../support/aws/index.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { awsFixture, cpuPolicy } from './harness.ts';

let aws: FakeAws;
let redis: RedisServer;
const clients = createAwsClients({ retryBaseDelayMs: 1, requestTimeoutMs: 2000 });

beforeAll(async () => {
  [aws, redis] = await Promise.all([startFakeAws(), startRedisServer()]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: aws.server.url,
    AWS_ACCESS_KEY_ID: 'test-key',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}, 30_000);
afterAll(async () => {
  clients.destroy();
  await Promise.all([aws?.close(), redis?.close()]);
});

let deployment = 0;
/** A fresh deployment namespace in the shared Redis, a clock set to `now`, and the handler in `mode`. */
async function actHandler(now: number, targets: { target: TargetInput; policy: PolicyInput }[], mode = 'act') {
  const clock = { time: now, now: () => clock.time };
  const lines: Record<string, unknown>[] = [];
  const env = { ...process.env, TIDE_MODE: mode, REDIS_URL: redis.url, TIDE_DEPLOYMENT: `act-${++deployment}` };
  let runtime: ReturnType<typeof createRuntime> | undefined;
  const actuatorOf = createAwsActuatorFactory({
    env,
    clients,
    now: () => clock.time,
    logger: { info: (m, f) => runtime?.logger.info(m, f), warn: (m, f) => runtime?.logger.warn(m, f) },
  });
  runtime = createRuntime(env, {
    clock,
    providers: { aws: actuatorOf },
    write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  for (const { target, policy } of targets) {
    await runtime.store.putTarget(TargetSchema.parse(target));
    await runtime.store.putPolicy(String(target.id), PolicySchema.parse(policy));
  }
  // Senders: EventBridge events of the fixtures' account only (the handler authenticates every sender).
  const auth = createSenderAuth({ aws: { accounts: ['123456789012'] }, logger: runtime.logger });
  const handler = createAwsHandler(() => runtime as NonNullable<typeof runtime>, {
    auth,
    aws: { clients, env, actuatorOf },
  });
  return { handler, runtime, clock, lines };
}

const ALARM_AT = Date.parse('2019-10-02T17:04:45Z');

describe('act mode through the Lambda handler', () => {
  it('a CloudWatch alarm EventBridge event scales the SageMaker variant: UpdateEndpointWeightsAndCapacities at the endpoint, once', async () => {
    aws.sagemaker.addEndpoint('cpu-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
    const { handler, runtime } = await actHandler(ALARM_AT, [
      {
        target: {
          id: 'cpu-fleet',
          kind: 'inference-endpoint',
          provider: 'aws',
          region: 'us-east-1',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'cpu-endpoint' } },
        },
        policy: cpuPolicy,
      },
    ]);
    aws.server.reset();
    const event = awsFixture('eventbridge-cloudwatch-alarm-single-metric.json');
    const result = await handler(event);
    expect(result).toMatchObject({
      decisions: [
        { targetId: 'cpu-fleet', status: 'decided', outcome: 'scale-out', currentCapacity: 2, desiredCapacity: 4 },
      ],
    });
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities').map((r) => r.params)).toEqual([
      {
        EndpointName: 'cpu-endpoint',
        DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 4 }],
      },
    ]);
    // Redelivered (EventBridge retries, at least once): the stored decision answers, the endpoint is not called again.
    expect(await handler(event)).toMatchObject({ decisions: [{ status: 'duplicate' }] });
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(1);
    expect((await runtime.store.readAudit('cpu-fleet')).entries).toHaveLength(1);
  });

  it('a step alarm that stays in ALARM: one EventBridge state change, then the ticks step again after the interval; DescribeAlarms where the stored state is stale', async () => {
    aws.sagemaker.addEndpoint('step-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
    const { handler, clock, runtime } = await actHandler(ALARM_AT, [
      {
        target: {
          id: 'step-fleet',
          kind: 'inference-endpoint',
          provider: 'aws',
          region: 'us-east-1',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'step-endpoint' } },
        },
        policy: {
          minCapacity: 1,
          maxCapacity: 10,
          stepScaling: [{ alarmName: 'ServerCpuTooHigh', steps: [{ lowerBound: 0, adjustment: 1 }] }],
          triggers: [{ source: 'aws-cloudwatch', alarmName: 'ServerCpuTooHigh' }, { source: 'schedule' }],
        },
      },
    ]);
    aws.server.reset();
    const counts = () =>
      aws.server
        .calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')
        .map(
          (r) =>
            (r.params as { DesiredWeightsAndCapacities: { DesiredInstanceCount: number }[] })
              .DesiredWeightsAndCapacities[0]?.DesiredInstanceCount,
        );
    const tickAt = async (offsetSeconds: number) => {
      clock.time = ALARM_AT + offsetSeconds * 1000;
      aws.advance(); // the earlier update has finished: the endpoint is InService again
      const tick = { ...awsFixture('eventbridge-scheduled-event.json') };
      tick.id = `tick-${offsetSeconds}`;
      tick.time = new Date(clock.time).toISOString();
      return handler(tick);
    };
    // CloudWatch sends one state change (breach 99.5 − 50): +1.
    await handler(awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'));
    expect(counts()).toEqual([3]);
    await tickAt(30); // a minute has not passed since the step
    expect(counts()).toEqual([3]);
    await tickAt(60); // still in ALARM (the stored state, 65 s old): steps again
    expect(counts()).toEqual([3, 4]);
    await tickAt(120);
    expect(counts()).toEqual([3, 4, 5]);
    expect(aws.server.calls('monitoring', 'DescribeAlarms')).toHaveLength(0);
    const audit = (await runtime.store.readAudit('step-fleet')).entries;
    expect(JSON.stringify(audit[0])).toMatch(
      /still in ALARM, steps again: alarm ServerCpuTooHigh: value 99\.5, threshold 50/,
    );

    // Past 5 minutes the stored state is stale: the tick reads it with DescribeAlarms first. Still ALARM: a step.
    aws.ec2.alarms.set('ServerCpuTooHigh', {
      StateValue: 'ALARM',
      StateUpdatedTimestamp: ALARM_AT / 1000,
      Threshold: 50,
      StateReasonData: JSON.stringify({ version: '1.0', recentDatapoints: [97.2], threshold: 50 }),
    });
    await tickAt(420);
    expect(aws.server.calls('monitoring', 'DescribeAlarms')).toHaveLength(1);
    expect(counts()).toEqual([3, 4, 5, 6]);
    // The OK state change was lost; the next stale read finds OK, before the tick decides: no step.
    aws.ec2.alarms.set('ServerCpuTooHigh', {
      StateValue: 'OK',
      StateUpdatedTimestamp: ALARM_AT / 1000 + 500,
      Threshold: 50,
    });
    await tickAt(780);
    expect(aws.server.calls('monitoring', 'DescribeAlarms')).toHaveLength(2);
    await tickAt(840);
    expect(counts()).toEqual([3, 4, 5, 6]);
  });

  it('access denied at the endpoint: recorded as a failed action, not retried', async () => {
    aws.sagemaker.addEndpoint('denied-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
    const { handler, lines } = await actHandler(ALARM_AT, [
      {
        target: {
          id: 'cpu-fleet',
          kind: 'inference-endpoint',
          provider: 'aws',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'denied-endpoint' } },
        },
        policy: cpuPolicy,
      },
    ]);
    aws.server.reset();
    aws.server.fail({ service: 'sagemaker', action: 'UpdateEndpointWeightsAndCapacities' }, 'access-denied', 10);
    const result = await handler(awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'));
    expect(result).toMatchObject({ decisions: [{ targetId: 'cpu-fleet', status: 'decided' }] });
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(1);
    expect(JSON.stringify(lines)).toMatch(
      /access denied: sagemaker:UpdateEndpointWeightsAndCapacities on endpoint\/denied-endpoint\/variant\/AllTraffic/,
    );
  });

  it('throttling past the retries: Lambda is asked to redeliver, and the redelivery acts once', async () => {
    aws.sagemaker.addEndpoint('throttled-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
    const { handler } = await actHandler(ALARM_AT, [
      {
        target: {
          id: 'cpu-fleet',
          kind: 'inference-endpoint',
          provider: 'aws',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'throttled-endpoint' } },
        },
        policy: cpuPolicy,
      },
    ]);
    aws.server.reset();
    aws.server.fail({ service: 'sagemaker', action: 'UpdateEndpointWeightsAndCapacities' }, 'throttle', 3);
    const event = awsFixture('eventbridge-cloudwatch-alarm-single-metric.json');
    await expect(handler(event)).rejects.toThrow(/must be retried/);
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(3);
    expect(await handler(event)).toMatchObject({ decisions: [{ status: 'redriven' }] });
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(4);
    expect(aws.sagemaker.endpoints.get('throttled-endpoint')?.ProductionVariants[0]?.DesiredInstanceCount).toBe(4);
  });
});
