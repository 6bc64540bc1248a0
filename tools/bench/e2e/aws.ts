/**
 * The AWS mode of `npm run bench:e2e`: the Lambda handler in act mode (sender authentication, ingest,
 * decide, commit, reconcile) over a loopback redis-server, the AWS adapters with the real SDK clients, and
 * the wire-level fake AWS on loopback as the cloud. One event = one CloudWatch alarm EventBridge event for one
 * of the SageMaker endpoint targets; the clock is real. What is timed is handler entry to its return, which
 * includes the provider calls (DescribeEndpoint, DescribeEndpointConfig, UpdateEndpointWeightsAndCapacities)
 * and their answers.
 *
 * The fake AWS (./aws-fake.ts: an endpoint's update moves on each time it is described) runs in a child
 * process of its own (./aws-fake-process.ts) unless `--fake-in-process`: it is the cloud, not Tide, so its
 * CPU (HTTP parsing, the models, every request recorded) is counted apart, as `cpuMsPerEvent.fakeAws`,
 * beside Redis's; in-process it counts in the bench's own figure.
 */
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { createAwsClients } from '../../../adapters/aws/clients.ts';
import { createAwsActuatorFactory } from '../../../adapters/aws/index.ts';
import { STEADY_OBSERVATION_MS } from '../../../adapters/aws/sagemaker-endpoint.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { createAwsHandler } from '../../../functions/aws/handler.ts';
import { createRuntime, type Runtime } from '../../../functions/shell/runtime.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import type { E2eCloud } from './types.ts';
import { startBenchAws, type BenchEndpoint } from './aws-fake.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const TARGETS = 16;

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  } catch {
    return 100;
  }
})();

/** CPU µs a process has used so far (user + system, from /proc), or null without /proc. */
function cpuUsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
  } catch {
    return null;
  }
}

/** The fake AWS as the bench uses it, in this process or in a child. */
interface BenchAws {
  url: string;
  requests(): Promise<number>;
  actions(): Promise<number>;
  cpuUs(): Promise<number | null>;
  close(): Promise<void>;
}

const ENDPOINTS: BenchEndpoint[] = Array.from({ length: TARGETS }, (_, i) => ({
  name: `bench-${i}`,
  variant: 'AllTraffic',
  type: 'ml.g5.2xlarge',
  count: 2,
}));

async function inProcess(): Promise<BenchAws> {
  const aws = await startBenchAws(ENDPOINTS);
  return {
    url: aws.url,
    requests: async () => aws.requests(),
    actions: async () => aws.actions(),
    cpuUs: async () => null,
    close: () => aws.close(),
  };
}

async function inChild(): Promise<BenchAws> {
  // The child inherits this process's loader flags (tsx), so it runs the TypeScript source as this one does.
  const child = fork(join(import.meta.dirname, 'aws-fake-process.ts'), [JSON.stringify(ENDPOINTS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`the fake AWS process exited with ${code}`)));
  });
  let id = 0;
  const waiting = new Map<number, (m: { requests: number; actions: number; cpuUs: number }) => void>();
  child.on('message', (m: { id?: number; requests: number; actions: number; cpuUs: number }) => {
    if (m.id !== undefined) waiting.get(m.id)?.(m);
    if (m.id !== undefined) waiting.delete(m.id);
  });
  const stats = () =>
    new Promise<{ requests: number; actions: number; cpuUs: number }>((resolve) => {
      const n = id++;
      waiting.set(n, resolve);
      child.send({ op: 'stats', id: n });
    });
  return {
    url,
    requests: async () => (await stats()).requests,
    actions: async () => (await stats()).actions,
    cpuUs: async () => (await stats()).cpuUs,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ op: 'close' });
      await exited;
    },
  };
}

export const awsE2e: E2eCloud = {
  name: 'aws',
  async start(options = {}) {
    const [aws, redis] = await Promise.all([options.fakeInProcess ? inProcess() : inChild(), startRedisServer()]);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const env = { ...process.env, TIDE_MODE: 'act', REDIS_URL: redis.url, TIDE_DEPLOYMENT: `bench-${Date.now()}` };
    const clients = createAwsClients();
    let runtime: Runtime | undefined;
    // TIDE_BENCH_AWS_STEADY_MS=0 reads every endpoint on every event (the adapters' default reuses a
    // steady observation for 1 s: see SageMakerEndpointActuator.readCapacity).
    const steadyMs = process.env.TIDE_BENCH_AWS_STEADY_MS;
    const steadyObservationMs = steadyMs === undefined ? STEADY_OBSERVATION_MS : Number(steadyMs);
    if (!Number.isFinite(steadyObservationMs) || steadyObservationMs < 0)
      throw new Error(`TIDE_BENCH_AWS_STEADY_MS must be a number of ms ≥ 0, was: ${JSON.stringify(steadyMs)}`);
    const actuatorOf = createAwsActuatorFactory({
      env,
      clients,
      logger: { info: () => {}, warn: () => {} },
      steadyObservationMs,
    });
    runtime = createRuntime(env, { eventSources: EVENT_SOURCES, providers: { aws: actuatorOf }, write: () => {} });
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
      },
      providerCalls: () => aws.requests(),
      actions: () => aws.actions(),
      otherCpuUs: async () => ({
        redis: cpuUsOf(redis.pid),
        ...(options.fakeInProcess ? {} : { fakeAws: await aws.cpuUs() }),
      }),
      setup: {
        fakeAws: options.fakeInProcess ? 'in the bench process (its CPU counts in bench)' : 'child process',
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
