/**
 * An Azure Machine Learning managed online deployment as one Tide pool: its instance count (`sku.capacity`)
 * is observed and changed with `onlineDeployments.get` and `beginUpdate`. A move to a bigger instance type
 * creates a deployment on that type beside the old one, shifts the endpoint's traffic to it once it is
 * provisioned, then deletes the old one: three steps, each started on a tick and observed on the next
 * (advance()), never waited on. The current deployment of a binding and the step a change is at are kept
 * in the operation store.
 *
 * An Azure Monitor autoscale setting that targets the deployment would fight Tide: with `autoscale: refuse`
 * (the default) Tide refuses to change the count and says so; with `take-over` it turns the setting off,
 * records it, and turns it back on when the target is released.
 */
import type { CapacityPool, ObservedNode, ObservedPool } from '../../core/schema/target.ts';
import type { MlDeploymentBinding } from '../../core/schema/resource-azure.ts';
import { ActuatorError, ProviderRejectedError } from '../ports/actuator.ts';
import { callAzure, type AzureCallPolicy } from './call.ts';
import type { AzureClients, Client } from './clients.ts';
import { LAUNCH_TAG, launchKeyOf, recordedBase } from './launch-tag.ts';
import { BINDING_TTL_MS, MOVE_TTL_MS, type OperationStore } from './operations.ts';

/** An autoscale setting targets the deployment and the binding says `autoscale: refuse`. */
export class AutoscaleConflictError extends ActuatorError {
  override readonly name = 'AutoscaleConflictError';
  readonly retryable = false;
  constructor(
    readonly deployment: string,
    readonly setting: string,
  ) {
    super(
      `autoscale setting ${setting} targets ${deployment}: Tide does not fight it (resource.pools.*.autoscale is refuse; set take-over to let Tide turn it off while it manages the deployment)`,
    );
  }
}

export function deploymentId(subscriptionId: string, binding: MlDeploymentBinding, deployment: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${binding.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${binding.workspace}/onlineEndpoints/${binding.endpoint}/deployments/${deployment}`;
}

/** A rolling move to another instance type, and the step it is at. */
interface Handover {
  from: string;
  to: string;
  instanceType: string;
  step: 'creating' | 'shifting';
}

/** `<deployment>-<instance type>`, lower case, in Azure ML's 32-character deployment names. */
export function deploymentNameFor(base: string, instanceType: string): string {
  const type = instanceType
    .toLowerCase()
    .replace(/^standard_/, '')
    .replace(/[^a-z0-9-]/g, '-');
  let name = `${base.slice(0, 12)}-${type}`.slice(0, 32);
  while (name.endsWith('-')) name = name.slice(0, -1);
  return name;
}

export class MlDriver {
  constructor(
    private readonly clients: AzureClients,
    private readonly policy: AzureCallPolicy,
    private readonly store: OperationStore,
  ) {}

  #key(subscriptionId: string, binding: MlDeploymentBinding, what: string): string {
    // One group per deployment (provider-records.ts: the key up to its second colon).
    return `azure-ml:${deploymentId(subscriptionId, binding, binding.deployment)}:${what}`;
  }

  /** The deployment that serves now (the binding's, or the one a finished move created). */
  async current(subscriptionId: string, binding: MlDeploymentBinding): Promise<string> {
    return (await this.store.get(this.#key(subscriptionId, binding, 'current'))) ?? binding.deployment;
  }

  async #get(subscriptionId: string, binding: MlDeploymentBinding, deployment: string): Promise<Client> {
    const ml = this.clients.ml(subscriptionId);
    return callAzure<Client>(
      this.policy,
      'onlineDeployments.get',
      deploymentId(subscriptionId, binding, deployment),
      (options) =>
        ml.onlineDeployments.get(binding.resourceGroup, binding.workspace, binding.endpoint, deployment, options),
    );
  }

  async observe(subscriptionId: string, binding: MlDeploymentBinding, pool: CapacityPool): Promise<ObservedPool> {
    const name = await this.current(subscriptionId, binding);
    const deployment = await this.#get(subscriptionId, binding, name);
    const desired = Number(deployment?.sku?.capacity ?? 0);
    const state = String(deployment?.properties?.provisioningState ?? 'Unknown');
    const ready = state === 'Succeeded' ? desired : 0;
    const nodes: ObservedNode[] = [];
    return {
      poolId: pool.id,
      instanceType: String(deployment?.properties?.instanceType ?? pool.instanceType),
      capacityType: pool.capacityType,
      desired,
      ready,
      pending: desired - ready,
      nodes,
    };
  }

  /** An enabled autoscale setting of the resource group that targets the deployment, if any. */
  async autoscaleSetting(subscriptionId: string, binding: MlDeploymentBinding, deployment: string): Promise<Client> {
    const monitor = this.clients.monitor(subscriptionId);
    const id = deploymentId(subscriptionId, binding, deployment).toLowerCase();
    return callAzure<Client>(
      this.policy,
      'autoscaleSettings.listByResourceGroup',
      binding.resourceGroup,
      async (options) => {
        for await (const setting of monitor.autoscaleSettings.listByResourceGroup(binding.resourceGroup, options)) {
          const target = String(setting?.targetResourceUri ?? '').toLowerCase();
          if (target === id && setting?.enabled !== false) return setting;
        }
        return undefined;
      },
    );
  }

  /** Refuse, or take the deployment over from its autoscale setting, as the binding says. */
  async #ensureNoAutoscale(subscriptionId: string, binding: MlDeploymentBinding, deployment: string): Promise<void> {
    const setting = await this.autoscaleSetting(subscriptionId, binding, deployment);
    if (!setting) return;
    const resource = deploymentId(subscriptionId, binding, deployment);
    if (binding.autoscale !== 'take-over') throw new AutoscaleConflictError(resource, String(setting.name));
    const monitor = this.clients.monitor(subscriptionId);
    await this.store.set(this.#key(subscriptionId, binding, 'autoscale'), String(setting.name), BINDING_TTL_MS);
    await callAzure(this.policy, 'autoscaleSettings.update', String(setting.id ?? setting.name), (options) =>
      monitor.autoscaleSettings.update(binding.resourceGroup, setting.name, { enabled: false }, options),
    );
  }

  /**
   * Add `count` instances. With an idempotency key the base is recorded in the deployment's tide-launch tag by the
   * same PATCH (launch-tag.ts), so a re-drive of the same decision sets the same count again.
   */
  async launch(
    subscriptionId: string,
    binding: MlDeploymentBinding,
    count: number,
    idempotencyKey: string | undefined,
  ): Promise<string> {
    const deployment = await this.#get(subscriptionId, binding, await this.current(subscriptionId, binding));
    const capacity = Number(deployment?.sku?.capacity ?? 0);
    if (idempotencyKey === undefined) return this.setInstanceCount(subscriptionId, binding, capacity + count);
    const tags: Record<string, string> = { ...(deployment?.tags ?? {}) };
    const key = launchKeyOf(idempotencyKey);
    const base = recordedBase(tags[LAUNCH_TAG], key) ?? capacity;
    tags[LAUNCH_TAG] = JSON.stringify({ k: key, b: base });
    return this.setInstanceCount(subscriptionId, binding, base + count, tags);
  }

  /** Set the instance count (PATCH `sku.capacity`, and `tags` when given); resolves when Azure accepted it. */
  async setInstanceCount(
    subscriptionId: string,
    binding: MlDeploymentBinding,
    capacity: number,
    tags?: Record<string, string>,
  ): Promise<string> {
    const deployment = await this.current(subscriptionId, binding);
    const resource = deploymentId(subscriptionId, binding, deployment);
    if (capacity < 1) {
      throw new ProviderRejectedError(
        'onlineDeployments.update',
        resource,
        'MinimumOneInstance',
        `a managed online deployment keeps at least 1 instance, was: ${capacity}`,
      );
    }
    await this.#ensureNoAutoscale(subscriptionId, binding, deployment);
    const ml = this.clients.ml(subscriptionId);
    const poller = await callAzure<Client>(this.policy, 'onlineDeployments.update', resource, (options) =>
      ml.onlineDeployments.beginUpdate(
        binding.resourceGroup,
        binding.workspace,
        binding.endpoint,
        deployment,
        { sku: { capacity }, ...(tags ? { tags } : {}) },
        options,
      ),
    );
    return poller.toString();
  }

  /** Start a move to `instanceType`: create the new deployment (traffic 0) with `count` instances. */
  async moveTo(
    subscriptionId: string,
    binding: MlDeploymentBinding,
    instanceType: string,
    count: number,
  ): Promise<void> {
    const handoverKey = this.#key(subscriptionId, binding, 'handover');
    const pending = await this.store.get(handoverKey);
    const from = await this.current(subscriptionId, binding);
    if (pending) {
      const handover = JSON.parse(pending) as Handover;
      throw new ProviderRejectedError(
        'onlineDeployments.createOrUpdate',
        deploymentId(subscriptionId, binding, from),
        'MoveInProgress',
        `a move to ${handover.instanceType} is at step ${handover.step}; the next ticks finish it`,
      );
    }
    await this.#ensureNoAutoscale(subscriptionId, binding, from);
    const old = await this.#get(subscriptionId, binding, from);
    const to = deploymentNameFor(binding.deployment, instanceType);
    const ml = this.clients.ml(subscriptionId);
    const { provisioningState: _state, ...properties } = old?.properties ?? {};
    await callAzure<Client>(
      this.policy,
      'onlineDeployments.createOrUpdate',
      deploymentId(subscriptionId, binding, to),
      (options) =>
        ml.onlineDeployments.beginCreateOrUpdate(
          binding.resourceGroup,
          binding.workspace,
          binding.endpoint,
          to,
          {
            location: old?.location,
            ...(old?.kind ? { kind: old.kind } : {}),
            sku: { ...(old?.sku ?? {}), name: old?.sku?.name ?? 'Default', capacity: Math.max(1, count) },
            properties: { ...properties, instanceType },
          },
          options,
        ),
      { poolId: binding.deployment, instanceType, capacityType: 'on-demand' },
    );
    const handover: Handover = { from, to, instanceType, step: 'creating' };
    await this.store.set(handoverKey, JSON.stringify(handover), MOVE_TTL_MS);
  }

  /** Take the next step of a move when the last one is done: shift the traffic, then delete the old deployment. */
  async advance(subscriptionId: string, binding: MlDeploymentBinding): Promise<string | undefined> {
    const handoverKey = this.#key(subscriptionId, binding, 'handover');
    const raw = await this.store.get(handoverKey);
    if (!raw) return undefined;
    const handover = JSON.parse(raw) as Handover;
    const ml = this.clients.ml(subscriptionId);
    if (handover.step === 'creating') {
      const created = await this.#get(subscriptionId, binding, handover.to);
      const state = String(created?.properties?.provisioningState ?? 'Unknown');
      if (state === 'Failed' || state === 'Canceled') {
        await this.store.delete(handoverKey);
        return `move to ${handover.instanceType} failed: deployment ${handover.to} is ${state}; ${handover.from} keeps serving`;
      }
      if (state !== 'Succeeded') return `waiting for deployment ${handover.to} (${state})`;
      const endpointId = deploymentId(subscriptionId, binding, handover.from).replace(/\/deployments\/[^/]+$/, '');
      const endpoint = await callAzure<Client>(this.policy, 'onlineEndpoints.get', endpointId, (options) =>
        ml.onlineEndpoints.get(binding.resourceGroup, binding.workspace, binding.endpoint, options),
      );
      const traffic: Record<string, number> = { ...(endpoint?.properties?.traffic ?? {}) };
      traffic[handover.to] = (traffic[handover.to] ?? 0) + (traffic[handover.from] ?? 100);
      traffic[handover.from] = 0;
      await callAzure<Client>(this.policy, 'onlineEndpoints.createOrUpdate', endpointId, (options) =>
        ml.onlineEndpoints.beginCreateOrUpdate(
          binding.resourceGroup,
          binding.workspace,
          binding.endpoint,
          { ...endpoint, properties: { ...(endpoint?.properties ?? {}), traffic } },
          options,
        ),
      );
      await this.store.set(handoverKey, JSON.stringify({ ...handover, step: 'shifting' }), MOVE_TTL_MS);
      return `traffic of ${binding.endpoint} shifted to ${handover.to}`;
    }
    if (handover.step === 'shifting') {
      const endpoint = await callAzure<Client>(this.policy, 'onlineEndpoints.get', binding.endpoint, (options) =>
        ml.onlineEndpoints.get(binding.resourceGroup, binding.workspace, binding.endpoint, options),
      );
      const state = String(endpoint?.properties?.provisioningState ?? 'Unknown');
      if (state !== 'Succeeded') return `waiting for endpoint ${binding.endpoint} (${state})`;
      await callAzure<Client>(
        this.policy,
        'onlineDeployments.delete',
        deploymentId(subscriptionId, binding, handover.from),
        (options) =>
          ml.onlineDeployments.beginDelete(
            binding.resourceGroup,
            binding.workspace,
            binding.endpoint,
            handover.from,
            options,
          ),
      );
      await this.store.set(this.#key(subscriptionId, binding, 'current'), handover.to, BINDING_TTL_MS);
      await this.store.delete(handoverKey);
      return `deployment ${handover.from} deleted; ${handover.to} serves`;
    }
    return undefined;
  }

  /** The target leaves Tide: turn back on the autoscale setting Tide took over. */
  async release(subscriptionId: string, binding: MlDeploymentBinding): Promise<void> {
    const key = this.#key(subscriptionId, binding, 'autoscale');
    const name = await this.store.get(key);
    if (!name) return;
    const monitor = this.clients.monitor(subscriptionId);
    await callAzure(this.policy, 'autoscaleSettings.update', name, (options) =>
      monitor.autoscaleSettings.update(binding.resourceGroup, name, { enabled: true }, options),
    );
    await this.store.delete(key);
  }
}
