/**
 * The AWS provider adapters: `createAwsActuator(target, config)` gives the target's {@link ActuatorPort}
 * (a SageMaker endpoint or EC2 Auto Scaling groups, from the target's `resource` block), and
 * `createAwsProvider(config)` the shared pieces (clients, metric reader, spot prices) for a runtime or
 * `tide serve --cloud aws`. Credentials come from the SDK's default chain, or the target's role.
 */
import type { Target } from '../../core/schema/target.ts';
import { ProviderRejectedError, type ActuatorPort } from '../ports/actuator.ts';
import { createApplicationAutoScalingGuard, scalableResourceIdOf } from './app-autoscaling.ts';
import { AutoScalingGroupsActuator } from './auto-scaling-groups.ts';
import { createAwsCaller } from './calls.ts';
import { createCheckpointSender, type CheckpointSenderDeps } from './checkpoint.ts';
import { createAwsClients, type AwsClients, type AwsScope } from './clients.ts';
import type { AwsActMode, AwsClientOptions, AwsLogger } from './options.ts';
import { SageMakerEndpointActuator, type EndpointDeployment } from './sagemaker-endpoint.ts';
import { createPlacementScoreCache, type PlacementScoreCache } from './placement-scores.ts';
import { createSpotPriceCache, type SpotPriceCache } from './spot-prices.ts';
import { SharedReads } from '../shared-reads.ts';

export { AWS_CALLS, type AwsCallName } from './calls.ts';
export { AutoScalingGroupsActuator, CAPACITY_ERROR_CODES } from './auto-scaling-groups.ts';
export { SageMakerEndpointActuator } from './sagemaker-endpoint.ts';
export { createAwsClients, type AwsClients } from './clients.ts';
export { checkpointCloudEvent, signCheckpoint, CHECKPOINT_EVENT_TYPE } from './checkpoint.ts';
export type { AwsActMode, AwsClientOptions } from './options.ts';

/** What every AWS actuator of a process shares. */
export interface AwsConfig {
  mode: AwsActMode;
  logger: AwsLogger;
  /** For the checkpoint key and the default region (`AWS_REGION`). */
  env: Record<string, string | undefined>;
  now?: () => number;
  clients?: AwsClients;
  client?: Partial<AwsClientOptions>;
  deployment?: EndpointDeployment;
  /**
   * How long a steady observation of a SageMaker endpoint or of Auto Scaling groups is shared, ms (default 1000;
   * 0 reads every time; see SageMakerEndpointActuator.readCapacity and AutoScalingGroupsActuator.readCapacity).
   */
  steadyObservationMs?: number;
  /** The reads shared by the actuators of a process (../shared-reads.ts; default: one per factory or actuator). */
  reads?: SharedReads;
  /** Live spot prices shared by the actuators of a process (default: one cache per actuator). */
  spotPrices?: SpotPriceCache;
  /** Spot placement scores shared by the actuators of a process (default: one cache per actuator). */
  placementScores?: PlacementScoreCache;
  /** TLS and retry settings of the checkpoint callback (tests). */
  checkpoint?: Pick<CheckpointSenderDeps, 'tls' | 'timeoutMs' | 'maxAttempts' | 'retryBaseDelayMs'>;
}

/** An AWS actuator, plus what only AWS groups have. */
export type AwsActuator = ActuatorPort & {
  kind: 'sagemaker-endpoint' | 'auto-scaling-groups';
  scope: AwsScope;
};

/** The region and role a target acts in: its resource block, then the target, then the function's own. */
export function scopeOf(target: Target, env: Record<string, string | undefined>): AwsScope {
  const resource = target.resource?.provider === 'aws' ? target.resource : undefined;
  const region = resource?.region ?? target.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new ProviderRejectedError(
      'aws',
      `target/${target.id}`,
      'NoRegion',
      'no region: set resource.region, region, or AWS_REGION',
    );
  }
  return {
    region,
    ...(resource?.roleArn ? { roleArn: resource.roleArn } : {}),
    ...(resource?.externalId ? { externalId: resource.externalId } : {}),
  };
}

/** The actuator for one AWS target, from its `resource` block. Throws a typed error when it names nothing AWS can scale. */
export function createAwsActuator(
  target: Target,
  config: AwsConfig,
): (AutoScalingGroupsActuator & AwsActuator) | (SageMakerEndpointActuator & AwsActuator) {
  const resource = target.resource?.provider === 'aws' ? target.resource : undefined;
  if (!resource) {
    throw new ProviderRejectedError(
      'aws',
      `target/${target.id}`,
      'NoResource',
      'the target names no AWS resource (resource.provider: aws)',
    );
  }
  const clients = config.clients ?? createAwsClients(config.client);
  const now = config.now ?? Date.now;
  const scope = scopeOf(target, config.env);
  const caller = createAwsCaller(config.mode, config.logger);
  const sendCheckpoint = createCheckpointSender({
    targetId: target.id,
    callback: resource.checkpoint,
    env: config.env,
    scope,
    clients,
    caller,
    now,
    ...config.checkpoint,
  });
  if (resource.sagemakerEndpoint) {
    const guard = createApplicationAutoScalingGuard({ clients, scope, caller, now });
    return Object.assign(
      new SageMakerEndpointActuator({
        target,
        endpoint: resource.sagemakerEndpoint,
        scope,
        clients,
        caller,
        guard,
        sendCheckpoint,
        now,
        ...(config.deployment ? { deployment: config.deployment } : {}),
        ...(config.steadyObservationMs !== undefined ? { steadyObservationMs: config.steadyObservationMs } : {}),
        ...(config.reads ? { reads: config.reads } : {}),
      }),
      { kind: 'sagemaker-endpoint' as const, scope },
    );
  }
  return Object.assign(
    new AutoScalingGroupsActuator({
      target,
      groups: resource.autoScalingGroups ?? {},
      scope,
      clients,
      caller,
      sendCheckpoint,
      now,
      spotPrices: config.spotPrices ?? createSpotPriceCache({ clients, caller, now }),
      placementScores: config.placementScores ?? createPlacementScoreCache({ clients, caller, now }),
      ...(config.steadyObservationMs !== undefined ? { steadyObservationMs: config.steadyObservationMs } : {}),
      ...(config.reads ? { reads: config.reads } : {}),
    }),
    { kind: 'auto-scaling-groups' as const, scope },
  );
}

/**
 * The `aws` entry of a runtime's provider registry (`createRuntime(env, { providers: { aws } })`, and
 * `tide serve --cloud aws`): one actuator per target, kept while the target's document is unchanged so
 * its caches (endpoint configs, the AAS check) live as long as the warm instance. The actuator acts
 * (`mode: act`); the runtime's dry-run wraps it and lets only its reads through.
 */
export function createAwsActuatorFactory(
  config: Omit<AwsConfig, 'mode'> & { mode?: AwsActMode },
): (target: Target) => ActuatorPort {
  const clients = config.clients ?? createAwsClients(config.client);
  const shared = { clients, caller: createAwsCaller('act', config.logger), now: config.now ?? Date.now };
  const spotPrices = config.spotPrices ?? createSpotPriceCache(shared);
  const placementScores = config.placementScores ?? createPlacementScoreCache(shared);
  const reads = config.reads ?? new SharedReads({ now: shared.now });
  const cache = new Map<string, { key: string; actuator: ActuatorPort }>();
  return (target) => {
    const key = JSON.stringify([target.pools, target.region, target.resource]);
    const cached = cache.get(target.id);
    if (cached?.key === key) return cached.actuator;
    const actuator = createAwsActuator(target, {
      ...config,
      mode: config.mode ?? 'act',
      clients,
      spotPrices,
      placementScores,
      reads,
    });
    cache.set(target.id, { key, actuator });
    return actuator;
  };
}

/**
 * Give back what Tide took from a target that is leaving (DELETE /v1/targets/{id}): the Application Auto
 * Scaling target of its SageMaker variant or inference component, restored to the suspended state Tide
 * recorded when it suspended it (nothing when Tide suspended nothing). The tick's sweep stays as the backstop
 * for a removal this misses (a failed call, a target removed from the store directly). Undefined for a target
 * with no AWS scalable resource.
 */
export async function releaseAwsTarget(
  target: Target,
  config: Pick<AwsConfig, 'logger' | 'env' | 'now' | 'clients' | 'client'> & { mode?: AwsActMode },
): Promise<{ resourceId: string; outcome: 'restored' | 'nothing-to-restore' } | undefined> {
  const resource = target.resource?.provider === 'aws' ? target.resource : undefined;
  const resourceId = resource ? scalableResourceIdOf(resource) : undefined;
  if (!resource?.sagemakerEndpoint || !resourceId) return undefined;
  const clients = config.clients ?? createAwsClients(config.client);
  const guard = createApplicationAutoScalingGuard({
    clients,
    scope: scopeOf(target, config.env),
    caller: createAwsCaller(config.mode ?? 'act', config.logger),
    now: config.now ?? Date.now,
  });
  const dimension = resource.sagemakerEndpoint.inferenceComponentName
    ? ('sagemaker:inference-component:DesiredCopyCount' as const)
    : ('sagemaker:variant:DesiredInstanceCount' as const);
  return { resourceId, outcome: await guard.restore({ resourceId, dimension }) };
}
