/**
 * A SageMaker real-time endpoint behind the actuator port: one production variant (instances), or one
 * inference component on it (copies, which may go to zero). Counts are absolute, so a decision acted on
 * twice changes the endpoint once; an instance type change creates a new endpoint config whose name is
 * derived from what it holds (creating it twice is a no-op) and rolls it in with `UpdateEndpoint`, never
 * waiting: later decisions observe the roll through `DescribeEndpoint`.
 */
import { createHash } from 'node:crypto';
import type { ObservedCapacity, ObservedPool, Target } from '../../core/schema/target.ts';
import type { SageMakerEndpointResource } from '../../core/schema/resource.ts';
import {
  ActuatorError,
  PoolNotFoundError,
  ProviderRejectedError,
  ResourceBusyError,
  type ActuatorPort,
  type ChangeInstanceTypeRequest,
  type CheckpointRequest,
  type DrainAndReleaseRequest,
  type LaunchCapacityRequest,
  type SetCapacityRequest,
} from '../ports/actuator.ts';
import type { ApplicationAutoScalingGuard } from './app-autoscaling.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';
import { DEFAULT_SHARED_READ_MAX_AGE_MS, SharedReads } from '../shared-reads.ts';

/** How an instance type change rolls out. Both keep serving capacity at or above the current count. */
export type EndpointDeployment = 'rolling' | 'blue-green';

export interface SageMakerEndpointDeps {
  target: Target;
  endpoint: SageMakerEndpointResource;
  scope: AwsScope;
  clients: AwsClients;
  caller: AwsCaller;
  guard: ApplicationAutoScalingGuard;
  sendCheckpoint: (request: CheckpointRequest) => Promise<void>;
  now: () => number;
  deployment?: EndpointDeployment;
  /**
   * How long a steady observation answers the shell's `readCapacity` without another Describe call, ms
   * (default {@link STEADY_OBSERVATION_MS}; 0 reads every time). See {@link SageMakerEndpointActuator.readCapacity}.
   */
  steadyObservationMs?: number;
  /** The process's shared reads (../shared-reads.ts; default: this actuator's own). */
  reads?: SharedReads;
}

/** The shared-read key of a SageMaker resource: its region and account role, its endpoint and component. */
export function sageMakerReadKey(scope: AwsScope, endpoint: SageMakerEndpointResource): string {
  return `sagemaker:${scope.region}:${scope.roleArn ?? ''}:${endpoint.endpointName}:${endpoint.inferenceComponentName ?? ''}`;
}

/**
 * A steady observation (the endpoint or component InService, its desired count reached) is reused for this
 * long. AWS's Describe calls are eventually consistent themselves, and an alarm storm or an SQS batch for one
 * endpoint would otherwise make one DescribeEndpoint per event against SageMaker's per-account rate limit.
 */
export const STEADY_OBSERVATION_MS = DEFAULT_SHARED_READ_MAX_AGE_MS;

const NOT_FOUND = /Could not find (endpoint|inference component)/;
const IN_PROGRESS = /in-progress endpoint|is in Updating state|Cannot update in-progress/i;

export class SageMakerEndpointActuator implements ActuatorPort {
  /** Endpoint configs never change once created: their instance type is read once. */
  private readonly configTypes = new Map<string, string>();
  /** Reads shared with the process's other deliveries (see {@link readCapacity}). */
  private readonly reads: SharedReads;
  private readonly readKey: string;

  constructor(private readonly deps: SageMakerEndpointDeps) {
    this.reads = deps.reads ?? new SharedReads({ now: deps.now });
    this.readKey = sageMakerReadKey(deps.scope, deps.endpoint);
  }

  private get pool() {
    return this.deps.target.pools[0] as Target['pools'][number];
  }

  private get resourceName(): string {
    const { endpointName, variantName, inferenceComponentName } = this.deps.endpoint;
    return inferenceComponentName
      ? `inference-component/${inferenceComponentName}`
      : `endpoint/${endpointName}/variant/${variantName}`;
  }

  private checkPool(poolId: string): void {
    if (poolId !== this.pool.id)
      throw new PoolNotFoundError(poolId, `target ${this.deps.target.id} scales ${this.resourceName}`);
  }

  private notFound = (error: Error) =>
    NOT_FOUND.test(error.message)
      ? new PoolNotFoundError(this.pool.id, `${this.resourceName}: ${error.message}`, { cause: error })
      : undefined;

  private async describeEndpoint() {
    const { sdk, client } = await this.deps.clients.sagemaker(this.deps.scope);
    const input = { EndpointName: this.deps.endpoint.endpointName };
    const out = await this.deps.caller.call(
      'sagemaker:DescribeEndpoint',
      `endpoint/${input.EndpointName}`,
      input,
      () => client.send(new sdk.DescribeEndpointCommand(input)),
      this.notFound,
    );
    if (!out) throw new ActuatorError(`DescribeEndpoint on ${input.EndpointName} gave no answer`);
    const variant = out.ProductionVariants?.find((v) => v.VariantName === this.deps.endpoint.variantName);
    if (!variant) {
      throw new PoolNotFoundError(
        this.pool.id,
        `DescribeEndpoint: endpoint ${input.EndpointName} has no production variant "${this.deps.endpoint.variantName}"`,
      );
    }
    return { endpoint: out, variant };
  }

  private async configOf(configName: string) {
    const { sdk, client } = await this.deps.clients.sagemaker(this.deps.scope);
    const input = { EndpointConfigName: configName };
    const out = await this.deps.caller.call(
      'sagemaker:DescribeEndpointConfig',
      `endpoint-config/${configName}`,
      input,
      () => client.send(new sdk.DescribeEndpointConfigCommand(input)),
    );
    const variants = out?.ProductionVariants ?? [];
    const variant = variants.find((v) => v.VariantName === this.deps.endpoint.variantName);
    if (variant?.InstanceType) this.configTypes.set(configName, variant.InstanceType);
    return { variants, variant };
  }

  /**
   * The shell's observation. Concurrent calls share one read, and a steady observation (InService, desired
   * count reached) answers for `steadyObservationMs` (default 1 s) after it was made, its `observedAt` the
   * time of that read, so a burst of events for one endpoint costs one DescribeEndpoint. Never reused: an
   * endpoint Updating or rolling (later decisions must see its progress), a read begun before Tide's own
   * change (each change drops the kept one), and the reads the write paths make (always fresh).
   */
  async readCapacity(_targetId?: string): Promise<ObservedCapacity> {
    const ttl = this.deps.steadyObservationMs ?? STEADY_OBSERVATION_MS;
    const read = await this.reads.read(this.readKey, ttl, () => this.observe(), { keep: ({ steady }) => steady });
    return read.capacity;
  }

  /** A fresh read: the capacity, and whether the resource is at rest (InService, desired reached). */
  private async observe(): Promise<{ capacity: ObservedCapacity; steady: boolean }> {
    const observedAt = this.deps.now();
    const { inferenceComponentName } = this.deps.endpoint;
    if (inferenceComponentName) {
      const { sdk, client } = await this.deps.clients.sagemaker(this.deps.scope);
      const input = { InferenceComponentName: inferenceComponentName };
      const out = await this.deps.caller.call(
        'sagemaker:DescribeInferenceComponent',
        this.resourceName,
        input,
        () => client.send(new sdk.DescribeInferenceComponentCommand(input)),
        this.notFound,
      );
      const desired = out?.RuntimeConfig?.DesiredCopyCount ?? 0;
      const ready = out?.RuntimeConfig?.CurrentCopyCount ?? 0;
      return {
        capacity: { observedAt, pools: [this.observedPool(this.pool.instanceType, desired, ready)] },
        steady: out?.InferenceComponentStatus === 'InService' && desired === ready,
      };
    }
    const { endpoint, variant } = await this.describeEndpoint();
    const configName = endpoint.EndpointConfigName ?? '';
    const instanceType =
      this.configTypes.get(configName) ??
      (await this.configOf(configName)).variant?.InstanceType ??
      this.pool.instanceType;
    const ready = variant.CurrentInstanceCount ?? 0;
    const desired = variant.DesiredInstanceCount ?? ready;
    const pending = (endpoint as { PendingDeploymentSummary?: unknown }).PendingDeploymentSummary;
    return {
      capacity: { observedAt, pools: [this.observedPool(instanceType, desired, ready)] },
      steady: endpoint.EndpointStatus === 'InService' && desired === ready && !pending,
    };
  }

  /**
   * Run one of Tide's changes: what was kept no longer holds, nor does a read begun before the change ended
   * (forgotten before the call and after it, so a read that overlaps the call is not kept either).
   */
  private whileChanging<T>(change: () => Promise<T>): Promise<T> {
    return this.reads.changing(this.readKey, change);
  }

  private observedPool(instanceType: string, desired: number, ready: number): ObservedPool {
    return {
      poolId: this.pool.id,
      instanceType,
      capacityType: this.pool.capacityType,
      desired,
      ready: Math.min(ready, desired),
      pending: Math.max(0, desired - ready),
    };
  }

  async setCapacity({ poolId, desired }: SetCapacityRequest): Promise<void> {
    this.checkPool(poolId);
    await this.applyCount(desired);
  }

  /** Make the variant's instance count, or the component's copy count, `desired`. */
  private async applyCount(desired: number): Promise<void> {
    await this.whileChanging(() => this.sendCount(desired));
  }

  private async sendCount(desired: number): Promise<void> {
    const { sdk, client } = await this.deps.clients.sagemaker(this.deps.scope);
    const { endpointName, variantName, inferenceComponentName } = this.deps.endpoint;
    if (inferenceComponentName) {
      await this.deps.guard.ensureNotFought({
        resourceId: this.resourceName,
        dimension: 'sagemaker:inference-component:DesiredCopyCount',
      });
      const input = { InferenceComponentName: inferenceComponentName, DesiredRuntimeConfig: { CopyCount: desired } };
      await this.busyAware(desired, () =>
        this.deps.caller.call(
          'sagemaker:UpdateInferenceComponentRuntimeConfig',
          this.resourceName,
          input,
          () => client.send(new sdk.UpdateInferenceComponentRuntimeConfigCommand(input)),
          this.notFound,
        ),
      );
      return;
    }
    if (desired < 1) {
      throw new ProviderRejectedError(
        'sagemaker:UpdateEndpointWeightsAndCapacities',
        this.resourceName,
        'ZeroInstances',
        `a production variant cannot scale to zero instances (asked for ${desired}); name an inference component to scale to zero`,
      );
    }
    await this.deps.guard.ensureNotFought({
      resourceId: this.resourceName,
      dimension: 'sagemaker:variant:DesiredInstanceCount',
    });
    const input = {
      EndpointName: endpointName,
      DesiredWeightsAndCapacities: [{ VariantName: variantName, DesiredInstanceCount: desired }],
    };
    await this.busyAware(desired, () =>
      this.deps.caller.call(
        'sagemaker:UpdateEndpointWeightsAndCapacities',
        this.resourceName,
        input,
        () => client.send(new sdk.UpdateEndpointWeightsAndCapacitiesCommand(input)),
        this.notFound,
      ),
    );
  }

  /**
   * An endpoint that is `Updating` refuses changes. If it is updating *to* the count asked for (this same
   * decision, redelivered after its confirmation was lost), the change is already made; otherwise the action
   * waits for the next decision, which sees the update's progress.
   */
  private async busyAware(desired: number, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (!(error instanceof ProviderRejectedError) || !IN_PROGRESS.test(error.message)) throw error;
      const observed = (await this.observe()).capacity;
      if (observed.pools[0]?.desired === desired) return;
      throw new ResourceBusyError(this.resourceName, 'Updating', { cause: error });
    }
  }

  async launchCapacity(request: LaunchCapacityRequest): Promise<string[]> {
    this.checkPool(request.poolId);
    const current = (await this.observe()).capacity.pools[0]?.desired ?? 0;
    await this.applyCount(current + request.count);
    // SageMaker does not name the instances of a variant.
    return [];
  }

  async drainAndRelease(request: DrainAndReleaseRequest): Promise<void> {
    // SageMaker picks which instance leaves a variant; it drains in-flight requests itself.
    this.checkPool(request.poolId);
    const current = (await this.observe()).capacity.pools[0]?.desired ?? 0;
    if (current > 1) await this.applyCount(current - 1);
  }

  async changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void> {
    this.checkPool(request.poolId);
    await this.whileChanging(() => this.rollInstanceType(request));
  }

  private async rollInstanceType({ toInstanceType, count }: ChangeInstanceTypeRequest): Promise<void> {
    if (this.deps.endpoint.inferenceComponentName) {
      throw new ProviderRejectedError(
        'sagemaker:UpdateEndpoint',
        this.resourceName,
        'Unsupported',
        'an inference component runs on the endpoint’s instances; change the endpoint’s variant instead',
      );
    }
    const { endpoint } = await this.describeEndpoint();
    const fromConfig = endpoint.EndpointConfigName ?? '';
    const { endpointName, variantName } = this.deps.endpoint;
    // The same change gives the same name: creating it again is refused as "already existing" (the client token).
    const digest = createHash('sha256').update(`${fromConfig}|${variantName}|${toInstanceType}|${count}`).digest('hex');
    const newConfig = `${endpointName.slice(0, 40)}-tide-${digest.slice(0, 16)}`;
    if (fromConfig === newConfig) return;
    const pending = (endpoint as { PendingDeploymentSummary?: { EndpointConfigName?: string } })
      .PendingDeploymentSummary;
    if (pending?.EndpointConfigName === newConfig) return; // already rolling (a redelivery)
    if (endpoint.EndpointStatus !== 'InService')
      throw new ResourceBusyError(`endpoint/${endpointName}`, endpoint.EndpointStatus ?? 'unknown');
    const { variants } = await this.configOf(fromConfig);
    const { sdk, client } = await this.deps.clients.sagemaker(this.deps.scope);
    const create = {
      EndpointConfigName: newConfig,
      ProductionVariants: variants.map((v) =>
        v.VariantName === variantName
          ? { ...v, InstanceType: toInstanceType as never, InitialInstanceCount: count }
          : v,
      ),
      Tags: [{ Key: 'tide:managed', Value: 'true' }],
    };
    await this.deps.caller
      .call(
        'sagemaker:CreateEndpointConfig',
        `endpoint-config/${newConfig}`,
        create,
        () => client.send(new sdk.CreateEndpointConfigCommand(create)),
        (error) => (/already existing/i.test(error.message) ? new AlreadyExists(newConfig) : undefined),
      )
      .catch((error: unknown) => {
        if (!(error instanceof AlreadyExists)) throw error;
      });
    const update = {
      EndpointName: endpointName,
      EndpointConfigName: newConfig,
      DeploymentConfig: this.deploymentConfig(count),
    };
    await this.deps.caller.call(
      'sagemaker:UpdateEndpoint',
      `endpoint/${endpointName}`,
      update,
      () => client.send(new sdk.UpdateEndpointCommand(update)),
      (error) =>
        IN_PROGRESS.test(error.message)
          ? new ResourceBusyError(`endpoint/${endpointName}`, 'Updating', { cause: error })
          : undefined,
    );
  }

  /** New instances come up before old ones go, in both shapes; a failed roll rolls back by itself. */
  private deploymentConfig(count: number) {
    if (this.deps.deployment === 'blue-green') {
      return {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' as const, WaitIntervalInSeconds: 300 },
          TerminationWaitInSeconds: 300,
        },
      };
    }
    return {
      RollingUpdatePolicy: {
        // One instance at a time (or a quarter of a large fleet): the old batch leaves only once the new one serves.
        MaximumBatchSize: { Type: 'INSTANCE_COUNT' as const, Value: Math.max(1, Math.floor(count / 4)) },
        WaitIntervalInSeconds: 60,
        RollbackMaximumBatchSize: { Type: 'INSTANCE_COUNT' as const, Value: Math.max(1, Math.floor(count / 4)) },
      },
    };
  }

  requestCheckpoint(request: CheckpointRequest): Promise<void> {
    return this.deps.sendCheckpoint(request);
  }
}

/** CreateEndpointConfig found the config already there: the same change was made before. */
class AlreadyExists extends ActuatorError {}
