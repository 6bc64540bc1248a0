import { afterAll, beforeAll, beforeEach } from 'vitest';
import { TargetSchema, type Target, type TargetInput } from '../../../core/schema/target.ts';
import { createAwsActuator, createAwsClients, type AwsClients } from '../../../adapters/aws/index.ts';
import type { AwsActMode } from '../../../adapters/aws/options.ts';
import { startFakeAws, type FakeAws } from '../../support/aws/index.ts';

/**
 * One fake AWS per test file, the real SDK clients pointed at it through the SDK's own endpoint variable
 * (`AWS_ENDPOINT_URL`), as a deployment would be pointed anywhere else. Fast retries (1 ms base) and a short
 * request timeout keep fault tests quick; the attempts stay the production default (3).
 */
export function useFakeAws() {
  const context = {} as {
    aws: FakeAws;
    clients: AwsClients;
    logs: { message: string; fields?: Record<string, unknown> }[];
  };
  beforeAll(async () => {
    context.aws = await startFakeAws();
    process.env.AWS_ENDPOINT_URL = context.aws.server.url;
    process.env.AWS_ACCESS_KEY_ID = 'test-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    context.clients = createAwsClients({ retryBaseDelayMs: 1, requestTimeoutMs: 1500, connectionTimeoutMs: 1000 });
  });
  beforeEach(() => {
    context.aws.server.reset();
    context.logs = [];
  });
  afterAll(async () => {
    context.clients.destroy();
    await context.aws.close();
  });

  const actuator = (
    input: TargetInput,
    mode: AwsActMode = 'act',
    extra: { env?: Record<string, string>; now?: () => number; steadyObservationMs?: number } = {},
  ) => {
    const target: Target = TargetSchema.parse(input);
    const log = (message: string, fields?: Record<string, unknown>) =>
      void context.logs.push({ message, ...(fields ? { fields } : {}) });
    return createAwsActuator(target, {
      mode,
      logger: { info: log, warn: log },
      env: { ...process.env, ...extra.env },
      clients: context.clients,
      ...(extra.now ? { now: extra.now } : {}),
      ...(extra.steadyObservationMs !== undefined ? { steadyObservationMs: extra.steadyObservationMs } : {}),
    });
  };
  return Object.assign(context, { actuator });
}

export const endpointTarget = (endpointName: string, extra: Record<string, unknown> = {}): TargetInput => ({
  id: `t-${endpointName}`,
  kind: 'inference-endpoint',
  provider: 'aws',
  pools: [{ id: 'primary', instanceType: 'ml.g5.xlarge' }],
  resource: { provider: 'aws', sagemakerEndpoint: { endpointName, variantName: 'AllTraffic', ...extra } },
});

export const groupsTarget = (groups: Record<string, string>, extra: Record<string, unknown> = {}): TargetInput => ({
  id: 'train',
  kind: 'training-pool',
  provider: 'aws',
  pools: Object.keys(groups).map((id) => ({
    id,
    instanceType: 'g5.12xlarge',
    capacityType: id.includes('spot') ? ('spot' as const) : ('on-demand' as const),
  })),
  resource: { provider: 'aws', autoScalingGroups: groups, ...extra },
});
