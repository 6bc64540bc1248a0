/**
 * End to end in act mode: an EventBridge event into the Lambda handler, the real runtime (ingest, decide,
 * shell, reconciler) over a real Redis, the AWS adapters with the real SDK clients, and the wire-level fake
 * AWS as the cloud (reached through AWS_ENDPOINT_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { createAwsClients } from '../../../adapters/aws/clients.ts';
import type { createAwsActuatorFactory } from '../../../adapters/aws/index.ts';
import { createLazyAwsActuatorFactory } from '../../../adapters/aws/lazy.ts';
import { PolicySchema, type PolicyInput } from '../../../core/schema/policy.ts';
import { TargetSchema, type TargetInput } from '../../../core/schema/target.ts';
import { createAwsHandler } from '../../../functions/aws/handler.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startFakeAws, type FakeAws } from '../../support/aws/index.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { createHmac } from 'node:crypto';
import { makeTestPki, startHttpsServer } from '../../support/tls.ts';
import { awsFixture, cpuPolicy } from './harness.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

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
async function actHandler(
  now: number,
  targets: { target: TargetInput; policy: PolicyInput }[],
  mode = 'act',
  extra: Partial<Parameters<typeof createAwsActuatorFactory>[0]> = {},
) {
  const clock = { time: now, now: () => clock.time };
  const lines: Record<string, unknown>[] = [];
  const env = { ...process.env, TIDE_MODE: mode, REDIS_URL: redis.url, TIDE_DEPLOYMENT: `act-${++deployment}` };
  let runtime: ReturnType<typeof createRuntime> | undefined;
  // As the Lambda handler builds it: the adapters load at a target's first call (adapters/aws/lazy.ts).
  const actuatorOf = createLazyAwsActuatorFactory({
    env,
    clients,
    now: () => clock.time,
    logger: { info: (m, f) => runtime?.logger.info(m, f), warn: (m, f) => runtime?.logger.warn(m, f) },
    ...extra,
  });
  runtime = createRuntime(env, {
    eventSources: EVENT_SOURCES,
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

  it('an EC2 spot interruption warning into the handler: a signed checkpoint CloudEvent to the job, then a replacement in the spot pool live prices rank first', async () => {
    // The job's checkpoint callback: HTTPS behind a CA made for this test.
    const pki = makeTestPki();
    const checkpoints: { headers: Record<string, unknown>; body: string }[] = [];
    const receiver = await startHttpsServer(pki, (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        checkpoints.push({ headers: req.headers, body });
        res.writeHead(202).end();
      });
    });
    const KEY = 'the-training-job-shared-secret';
    process.env.TIDE_TEST_CHECKPOINT_KEY = KEY;
    const NOTICE_AT = Date.parse('2026-03-09T14:02:11Z');
    const interrupted = 'i-1234567890abcdef0';
    const spotA = aws.ec2.addGroup('e2e-g5-spot', 'g5.12xlarge', 1);
    (spotA.instances[0] as { InstanceId: string }).InstanceId = interrupted;
    const g5b = aws.ec2.addGroup('e2e-g5-spot-b', 'g5.12xlarge', 0);
    const g6 = aws.ec2.addGroup('e2e-g6-spot', 'g6.12xlarge', 0);
    aws.ec2.addGroup('e2e-g5-od', 'g5.12xlarge', 0);
    // The catalog has g6.12xlarge cheaper than g5.12xlarge; today's spot market says otherwise.
    aws.ec2.spotPrices = [
      {
        instanceType: 'g5.12xlarge',
        availabilityZone: 'us-east-2a',
        spotPrice: '1.20',
        timestamp: new Date(NOTICE_AT),
      },
      {
        instanceType: 'g6.12xlarge',
        availabilityZone: 'us-east-2a',
        spotPrice: '3.90',
        timestamp: new Date(NOTICE_AT),
      },
    ];
    const { handler, runtime } = await actHandler(
      NOTICE_AT,
      [
        {
          target: {
            id: 'train-g5',
            kind: 'training-pool',
            provider: 'aws',
            region: 'us-east-2',
            pools: [
              { id: 'g5-spot', instanceType: 'g5.12xlarge', capacityType: 'spot' },
              { id: 'g6-spot', instanceType: 'g6.12xlarge', capacityType: 'spot' },
              { id: 'g5-spot-b', instanceType: 'g5.12xlarge', capacityType: 'spot' },
              { id: 'g5-od', instanceType: 'g5.12xlarge', capacityType: 'on-demand' },
            ],
            resource: {
              provider: 'aws',
              autoScalingGroups: {
                'g5-spot': 'e2e-g5-spot',
                'g6-spot': 'e2e-g6-spot',
                'g5-spot-b': 'e2e-g5-spot-b',
                'g5-od': 'e2e-g5-od',
              },
              checkpoint: {
                type: 'https',
                url: `${receiver.origin}/checkpoint`,
                secretEnv: 'TIDE_TEST_CHECKPOINT_KEY',
              },
            },
          },
          policy: {
            minCapacity: 0,
            maxCapacity: 8,
            training: { checkpointSeconds: 20 },
            triggers: [{ source: 'aws-ec2' }],
          },
        },
      ],
      'act',
      { checkpoint: { tls: { ca: pki.caCert } } },
    );
    try {
      // The job runs on the spot node (its scheduler said so).
      await runtime.shell.handle({
        targetId: 'train-g5',
        signal: {
          kind: 'job',
          event: 'started',
          jobId: 'llm-finetune-7',
          gpusPerNode: 4,
          nodeCount: 1,
          instanceIds: [interrupted],
          observedAt: NOTICE_AT - 3_600_000,
          source: 'ray',
        },
      });
      expect(aws.server.calls('ec2', 'DescribeSpotPriceHistory')).toHaveLength(1);
      aws.server.reset();
      // EC2's two-minute warning, as EventBridge delivers it to the function.
      const result = await handler(awsFixture('eventbridge-spot-interruption.json'));
      expect(result).toMatchObject({ decisions: [{ targetId: 'train-g5', status: 'decided' }] });
      // 1. The checkpoint request: one CloudEvent, HMAC-signed over "timestamp.body".
      expect(checkpoints).toHaveLength(1);
      const [request] = checkpoints;
      expect(JSON.parse(request!.body)).toMatchObject({
        type: 'dev.tide.job.checkpoint.requested',
        data: { jobId: 'llm-finetune-7', instanceIds: [interrupted] },
      });
      const timestamp = String(request!.headers['x-tide-timestamp']);
      expect(request!.headers['x-tide-signature']).toBe(
        `v1=${createHmac('sha256', KEY).update(`${timestamp}.${request!.body}`).digest('hex')}`,
      );
      // 2. The replacement: g5.12xlarge spot at $1.20/h (live) beats g6.12xlarge at $3.90/h (live), though the
      //    catalog ranks g6 first; the interrupted pool is not used again.
      expect(g5b.desired).toBe(1);
      expect(g6.desired).toBe(0);
      expect(
        aws.server
          .calls('autoscaling', 'SetDesiredCapacity')
          .map((r) => [r.params.AutoScalingGroupName, r.params.DesiredCapacity]),
      ).toEqual([['e2e-g5-spot-b', '1']]);
      // The launch carried its idempotency record; the prices came from the cache the job's decision filled.
      expect(aws.server.calls('autoscaling', 'CreateOrUpdateTags')).toHaveLength(1);
      expect(aws.server.calls('ec2', 'DescribeSpotPriceHistory')).toHaveLength(0);
      const audit = (await runtime.store.readAudit('train-g5')).entries[0]!;
      expect(audit.actions.map((a) => `${a.type}:${'poolId' in a ? a.poolId : ''}`)).toEqual(
        expect.arrayContaining(['request-checkpoint:', 'launch-capacity:g5-spot-b']),
      );
      expect(audit.reasons.join('\n')).toMatch(
        /spot pool g5-spot-b \(g5\.12xlarge\) ranks first: \$1\.20\/h .*spot price g5\.12xlarge: \$1\.2\/h in us-east-2a from DescribeSpotPriceHistory/,
      );
      // Redelivered (EventBridge retries): nothing more at the cloud or the receiver.
      expect(await handler(awsFixture('eventbridge-spot-interruption.json'))).toMatchObject({
        decisions: [{ status: 'duplicate' }],
      });
      expect(checkpoints).toHaveLength(1);
      expect(aws.server.calls('autoscaling', 'SetDesiredCapacity')).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('the scheduled tick sizes an Auto Scaling group’s warm pool from the policy (PutWarmPool once), and reads it as warm capacity', async () => {
    const group = aws.ec2.addGroup('tick-warm', 'g5.12xlarge', 1);
    const TICK_AT = Date.parse('2026-03-09T13:30:00Z');
    const { handler, runtime } = await actHandler(TICK_AT, [
      {
        target: {
          id: 'warm-fleet',
          kind: 'training-pool',
          provider: 'aws',
          region: 'us-east-1',
          pools: [{ id: 'g5-od', instanceType: 'g5.12xlarge', capacityType: 'on-demand' }],
          resource: { provider: 'aws', autoScalingGroups: { 'g5-od': 'tick-warm' } },
        },
        policy: {
          minCapacity: 1,
          maxCapacity: 8,
          warmPools: { 'g5-od': { minSize: 2 } },
          triggers: [{ source: 'schedule' }],
        },
      },
    ]);
    aws.server.reset();
    await handler(awsFixture('eventbridge-scheduled-event.json'));
    expect(aws.server.calls('autoscaling', 'PutWarmPool').map((r) => r.params)).toEqual([
      expect.objectContaining({ AutoScalingGroupName: 'tick-warm', MinSize: '2', PoolState: 'Stopped' }),
    ]);
    expect(group.warm?.instances).toHaveLength(2);
    const next = { ...awsFixture('eventbridge-scheduled-event.json'), id: 'tick-2' };
    await handler(next);
    expect(aws.server.calls('autoscaling', 'PutWarmPool')).toHaveLength(1);
    const port = runtime.actuators((await runtime.store.getTarget('warm-fleet'))!.value);
    expect((await port.readCapacity('warm-fleet')).pools[0]).toMatchObject({ warm: 2 });
  });

  it('a target removed from Tide: the next tick gives its Application Auto Scaling target back as Tide found it; a suspension Tide did not make stays', async () => {
    aws.sagemaker.addEndpoint('leaving-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
    const scalable = aws.sagemaker.addScalableTarget(
      'endpoint/leaving-endpoint/variant/AllTraffic',
      'sagemaker:variant:DesiredInstanceCount',
      1,
      8,
      2,
    );
    const others = aws.sagemaker.addScalableTarget(
      'endpoint/not-tides/variant/AllTraffic',
      'sagemaker:variant:DesiredInstanceCount',
      1,
      4,
      1,
    );
    others.SuspendedState = {
      DynamicScalingInSuspended: true,
      DynamicScalingOutSuspended: true,
      ScheduledScalingSuspended: false,
    };
    const { handler, runtime, clock } = await actHandler(ALARM_AT, [
      {
        target: {
          id: 'cpu-fleet',
          kind: 'inference-endpoint',
          provider: 'aws',
          region: 'us-east-1',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'leaving-endpoint' } },
        },
        policy: cpuPolicy,
      },
    ]);
    await handler(awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'));
    expect(scalable.SuspendedState).toMatchObject({
      DynamicScalingInSuspended: true,
      DynamicScalingOutSuspended: true,
    });
    // While the target is Tide's, a tick leaves its suspension in place.
    const tick = (id: string) => ({
      ...awsFixture('eventbridge-scheduled-event.json'),
      id,
      time: new Date(clock.time).toISOString(),
    });
    await handler(tick('sweep-1'));
    expect(scalable.SuspendedState).toMatchObject({
      DynamicScalingInSuspended: true,
      DynamicScalingOutSuspended: true,
    });
    // Removed (DELETE /v1/targets/cpu-fleet); a later tick's sweep gives back what Tide found.
    expect(await runtime.store.deleteTarget('cpu-fleet')).toBe(true);
    clock.time += 6 * 60_000;
    await handler(tick('sweep-2'));
    expect(scalable.SuspendedState).toMatchObject({
      DynamicScalingInSuspended: false,
      DynamicScalingOutSuspended: false,
    });
    expect(scalable.Tags).toEqual({});
    expect(others.SuspendedState).toMatchObject({ DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true });
  });

  it('access denied at the endpoint: recorded as a failed action, not retried', async () => {
    aws.sagemaker.addEndpoint('denied-endpoint', 'AllTraffic', 'ml.g5.2xlarge', 2);
    const { handler, lines, runtime } = await actHandler(ALARM_AT, [
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
    // In the decision's audit entry: the action failed, with the typed error naming the call and the resource.
    const [entry] = (await runtime.store.readAudit('cpu-fleet')).entries;
    expect(entry?.results).toEqual([
      expect.objectContaining({
        type: 'set-capacity',
        status: 'failed',
        error: expect.objectContaining({
          message: expect.stringMatching(
            /sagemaker:UpdateEndpointWeightsAndCapacities on endpoint\/denied-endpoint\/variant\/AllTraffic/,
          ),
        }),
      }),
    ]);
  });

  it.each([
    ['throttling', 'throttle'],
    ['a 500', 'server-error'],
    ['connection resets', 'connection-reset'],
    ['no answer within the request timeout', 'timeout'],
  ] as const)('%s past the retries: Lambda is asked to redeliver, and the redelivery acts once', async (_, fault) => {
    const endpoint = `${fault}-endpoint`;
    aws.sagemaker.addEndpoint(endpoint, 'AllTraffic', 'ml.g5.2xlarge', 2);
    const { handler } = await actHandler(ALARM_AT, [
      {
        target: {
          id: 'cpu-fleet',
          kind: 'inference-endpoint',
          provider: 'aws',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: endpoint } },
        },
        policy: cpuPolicy,
      },
    ]);
    aws.server.reset();
    aws.server.fail({ service: 'sagemaker', action: 'UpdateEndpointWeightsAndCapacities' }, fault, 3);
    const event = awsFixture('eventbridge-cloudwatch-alarm-single-metric.json');
    await expect(handler(event)).rejects.toThrow(/must be retried/);
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(3);
    expect(await handler(event)).toMatchObject({ decisions: [{ status: 'redriven' }] });
    expect(aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities')).toHaveLength(4);
    expect(aws.sagemaker.endpoints.get(endpoint)?.ProductionVariants[0]?.DesiredInstanceCount).toBe(4);
  });
});
