/**
 * The AWS mode of `npm run bench:e2e`: the Lambda handler in act mode (sender authentication, ingest,
 * decide, commit, reconcile) over a loopback redis-server, the AWS adapters with the real SDK clients, and
 * the wire-level fake AWS (./aws-fake.ts, in a child process of its own: ./fake.ts) as the cloud. One event =
 * one CloudWatch alarm EventBridge event for one of the SageMaker endpoint targets, carrying the demand of
 * ./workload.ts; the clock is real. What is timed is handler entry to its return, which includes the provider
 * calls (DescribeEndpoint, DescribeEndpointConfig, UpdateEndpointWeightsAndCapacities) and their answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { createAwsClients } from '../../../adapters/aws/clients.ts';
import { createAwsActuatorFactory } from '../../../adapters/aws/index.ts';
import { STEADY_OBSERVATION_MS } from '../../../adapters/aws/sagemaker-endpoint.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { createAwsHandler } from '../../../functions/aws/handler.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import type { E2eCloud } from './types.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';
import { ActedEvents } from './acted.ts';
import { cpuUsOf, startFake } from './fake.ts';
import { benchPolicy, demandOf, TARGETS, targetOf } from './workload.ts';

export const awsE2e: E2eCloud = {
  name: 'aws',
  async start(options) {
    const [aws, redis] = await Promise.all([startFake('aws', options.fakeInProcess), startRedisServer()]);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const env = { ...process.env, TIDE_MODE: 'act', REDIS_URL: redis.url, TIDE_DEPLOYMENT: `bench-${Date.now()}` };
    const clients = createAwsClients();
    // --reads-per-event reads every endpoint on every event (the adapters' default shares a steady
    // observation for 1 s: see SageMakerEndpointActuator.readCapacity).
    const steadyObservationMs = options.readsPerEvent ? 0 : STEADY_OBSERVATION_MS;
    const acted = new ActedEvents();
    const actuatorOf = acted.watchAll(
      createAwsActuatorFactory({ env, clients, logger: { info: () => {}, warn: () => {} }, steadyObservationMs }),
    );
    const runtime = createRuntime(env, {
      eventSources: EVENT_SOURCES,
      providers: { aws: actuatorOf },
      write: () => {},
    });
    for (let i = 0; i < TARGETS; i++) {
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
      await runtime.store.putPolicy(`bench-${i}`, benchPolicy('aws-cloudwatch', `cpu-${i}`));
    }
    const auth = createSenderAuth({ aws: { accounts: ['123456789012'] }, logger: runtime.logger });
    const rt = runtime;
    const handler = createAwsHandler(() => rt, { auth, aws: { clients, env, actuatorOf } });
    const fixture = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../test/fixtures/events/aws/eventbridge-cloudwatch-alarm-single-metric.json'),
        'utf8',
      ),
    ) as {
      id: string;
      time: string;
      resources: string[];
      detail: { alarmName: string; state: { timestamp: string; reason: string; reasonData: string } };
    };
    const reasonData = JSON.parse(fixture.detail.state.reasonData);
    let sequence = 0;
    return {
      async invoke(i) {
        const target = targetOf(i);
        const demand = demandOf(i, options.holdEvents);
        const now = new Date().toISOString();
        const event = structuredClone(fixture);
        event.id = `bench-${sequence++}`;
        event.time = now;
        event.detail.alarmName = `cpu-${target}`;
        event.detail.state.timestamp = now;
        event.detail.state.reasonData = JSON.stringify({ ...reasonData, recentDatapoints: [demand] });
        event.detail.state.reason = `Threshold Crossed: 1 out of the last 1 datapoints [${demand}] was greater than the threshold`;
        event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-${target}`];
        await handler(event);
      },
      fake: aws,
      actedEvents: () => acted.count,
      otherCpuUs: async () => ({ redis: cpuUsOf(redis.pid) }),
      setup: {
        fake: options.fakeInProcess ? 'in the bench process (its CPU counts in bench)' : 'child process',
        steadyObservationMs: String(steadyObservationMs),
      },
      async stop() {
        clients.destroy();
        // The runtime's Redis connection too: left open, it keeps the process alive after the figures print.
        await rt.store.close();
        await Promise.all([aws.close(), redis.close()]);
      },
    };
  },
};
