/**
 * The AWS mode of `npm run bench:e2e`: the Lambda handler in act mode (sender authentication, ingest,
 * decide, commit, reconcile) over a loopback redis-server, the AWS adapters with the real SDK clients, and
 * the wire-level fake AWS on loopback as the cloud. One event = one CloudWatch alarm EventBridge event for one
 * of the SageMaker endpoint targets; the clock is real. What is timed is handler entry to its return, which
 * includes the provider calls (DescribeEndpoint, DescribeEndpointConfig, UpdateEndpointWeightsAndCapacities)
 * and their answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { createAwsClients } from '../../../adapters/aws/clients.ts';
import { createAwsActuatorFactory } from '../../../adapters/aws/index.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { createAwsHandler } from '../../../functions/aws/handler.ts';
import { createRuntime, type Runtime } from '../../../functions/shell/runtime.ts';
import { startFakeAws } from '../../../test/support/aws/index.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import type { E2eCloud } from './types.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const TARGETS = 16;

export const awsE2e: E2eCloud = {
  name: 'aws',
  async start() {
    const [aws, redis] = await Promise.all([startFakeAws(), startRedisServer()]);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: aws.server.url,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const env = { ...process.env, TIDE_MODE: 'act', REDIS_URL: redis.url, TIDE_DEPLOYMENT: `bench-${Date.now()}` };
    const clients = createAwsClients();
    let runtime: Runtime | undefined;
    const actuatorOf = createAwsActuatorFactory({
      env,
      clients,
      logger: { info: () => {}, warn: () => {} },
    });
    runtime = createRuntime(env, { eventSources: EVENT_SOURCES, providers: { aws: actuatorOf }, write: () => {} });
    for (let i = 0; i < TARGETS; i++) {
      aws.sagemaker.addEndpoint(`bench-${i}`, 'AllTraffic', 'ml.g5.2xlarge', 2);
      await runtime.store.putTarget(
        TargetSchema.parse({
          id: `bench-${i}`,
          kind: 'inference-endpoint',
          provider: 'aws',
          region: 'us-east-1',
          pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: `bench-${i}` } },
        }),
      );
      await runtime.store.putPolicy(
        `bench-${i}`,
        PolicySchema.parse({
          minCapacity: 1,
          maxCapacity: 64,
          targetTracking: [{ metric: 'cpu', targetValue: 50 }],
          cooldown: { scaleOutSeconds: 0, scaleInSeconds: 0 },
          triggers: [{ source: 'aws-cloudwatch', alarmName: `cpu-${i}`, metric: 'cpu' }],
        }),
      );
    }
    const auth = createSenderAuth({ aws: { accounts: ['123456789012'] }, logger: runtime.logger });
    const rt = runtime;
    const handler = createAwsHandler(() => rt, { auth, aws: { clients, env, actuatorOf } });
    const fixture = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../test/fixtures/events/aws/eventbridge-cloudwatch-alarm-single-metric.json'),
        'utf8',
      ),
    ) as { id: string; time: string; resources: string[]; detail: { alarmName: string; state: { timestamp: string } } };
    let sequence = 0;
    return {
      async invoke(i) {
        const target = i % TARGETS;
        const now = new Date().toISOString();
        const event = structuredClone(fixture);
        event.id = `bench-${sequence++}`;
        event.time = now;
        event.detail.alarmName = `cpu-${target}`;
        event.detail.state.timestamp = now;
        event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-${target}`];
        await handler(event);
        // The endpoint finishes its update at once, so the next decision may change it again.
        aws.advance();
      },
      providerCalls: () => aws.server.requests.length,
      actions: () => aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities').length,
      async stop() {
        clients.destroy();
        // The runtime's Redis connection too: left open, it keeps the process alive after the figures print.
        await rt.store.close();
        await Promise.all([aws.close(), redis.close()]);
      },
    };
  },
};
