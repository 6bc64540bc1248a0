/**
 * A model deployed on a Vertex AI online prediction endpoint as one Tide pool. Tide sets the deployed
 * model's `minReplicaCount` and `maxReplicaCount` to the same count, so Vertex's own autoscaler does not
 * move it. A bigger machine is reached in three steps across ticks, never waiting inside a function:
 * deploy the model again on the new machine with no traffic; once the endpoint lists it (deployment done),
 * send it all the traffic and undeploy the old one (`advance`).
 *
 * Zero replicas: Vertex allows them only for a model deployed with scale to zero (Preview, API v1beta1:
 * dedicated resources with `minReplicaCount` 0, `initialReplicaCount` and a `scaleToZeroSpec`), which is
 * chosen at `deployModel`; `mutateDeployedModel` can change the replica counts but not add the spec. A binding
 * with `scaleToZero` is read and changed through v1beta1 (v1 drops the spec), and Tide's 0 becomes
 * `minReplicaCount` 0 with `maxReplicaCount` the model's `initialReplicaCount`: Vertex releases the last
 * replica after `idleScaledownPeriod` without traffic and a request wakes `initialReplicaCount` replicas, which
 * Tide then observes as ready (`status.availableReplicaCount`).
 */
import type { CapacityPool, ObservedPool } from '../../core/schema/target.ts';
import { ActuatorError } from '../ports/actuator.ts';
import { callGcp, gaxOptions, type GcpCallPolicy } from './call.ts';
import type { Client, GcpClients } from './clients.ts';
import type { VertexBinding } from './config.ts';

/** Vertex AI keeps at least one replica of a deployed model that was not deployed with scale to zero. */
export class VertexMinimumReplicaError extends ActuatorError {
  override readonly name = 'VertexMinimumReplicaError';
  readonly retryable = false;
  constructor(
    readonly endpoint: string,
    why = 'the target does not say it was deployed with scale to zero (resource.pools.<pool>.scaleToZero)',
  ) {
    super(
      `Vertex AI keeps at least 1 replica of a deployed model on dedicated resources unless it was deployed with scale to zero (endpoint ${endpoint}): ${why}; Tide cannot scale it to 0`,
    );
  }
}

/** `DedicatedResources.ScaleToZeroSpec` (v1beta1): durations as `"300s"` (REST) or `{ seconds }` (protobuf). */
type Duration = string | { seconds?: number | string; nanos?: number };
interface ScaleToZeroSpec {
  minScaleupPeriod?: Duration | null;
  idleScaledownPeriod?: Duration | null;
}

interface DeployedModel {
  id?: string;
  createTime?: { seconds?: number | string; nanos?: number } | string;
  model?: string;
  displayName?: string;
  dedicatedResources?: {
    machineSpec?: { machineType?: string; acceleratorType?: string | number; acceleratorCount?: number };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    /** v1beta1: replicas a scale-to-zero model wakes with (and is created with when `minReplicaCount` is 0). */
    initialReplicaCount?: number;
    /** v1beta1: set when the model was deployed with scale to zero. */
    scaleToZeroSpec?: ScaleToZeroSpec | null;
  };
  status?: { availableReplicaCount?: number } | null;
}

/** Whether the model was deployed with scale to zero (only a v1beta1 read shows it). */
function scalesToZero(model: DeployedModel | undefined): boolean {
  return model?.dedicatedResources?.scaleToZeroSpec != null;
}

/**
 * Replicas a deployed model serves or will serve: its floor; for a scale-to-zero model, what Vertex reports
 * available (0 when idle, more after a request woke it), or at creation its `initialReplicaCount`.
 */
function replicasOf(model: DeployedModel | undefined, creating = false): number {
  const resources = model?.dedicatedResources;
  const floor = resources?.minReplicaCount ?? 0;
  if (!scalesToZero(model) || floor > 0) return floor;
  if (creating) return resources?.initialReplicaCount ?? 0;
  return model?.status?.availableReplicaCount ?? 0;
}

interface Endpoint {
  deployedModels?: DeployedModel[];
  trafficSplit?: Record<string, number>;
}

/** When a deployed model was created, ms (0 when unknown). */
function createdAt(model: DeployedModel): number {
  const time = model.createTime;
  if (typeof time === 'string') return Date.parse(time) || 0;
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/** Zero-traffic deployments newer than the serving one (a scale-up on its way) and older ones (to undeploy). */
function split(
  endpoint: Endpoint,
  current: DeployedModel | undefined,
): { incoming: DeployedModel[]; outgoing: DeployedModel[] } {
  const traffic = endpoint.trafficSplit ?? {};
  const idle = (endpoint.deployedModels ?? []).filter((m) => m !== current && (traffic[m.id ?? ''] ?? 0) === 0);
  const since = current ? createdAt(current) : 0;
  return { incoming: idle.filter((m) => createdAt(m) > since), outgoing: idle.filter((m) => createdAt(m) <= since) };
}

export function endpointName(binding: VertexBinding): string {
  return `projects/${binding.project}/locations/${binding.location}/endpoints/${binding.endpoint}`;
}

/** The deployed model that serves: the one with the most traffic (after a scale-up, the new one). */
function serving(endpoint: Endpoint, binding: VertexBinding): DeployedModel | undefined {
  const models = endpoint.deployedModels ?? [];
  const split = endpoint.trafficSplit ?? {};
  const byTraffic = [...models].sort((a, b) => (split[b.id ?? ''] ?? 0) - (split[a.id ?? ''] ?? 0));
  return (
    byTraffic.find((model) => (split[model.id ?? ''] ?? 0) > 0) ??
    models.find((model) => model.id === binding.deployedModelId) ??
    byTraffic[0]
  );
}

/** Shared reads are kept per API surface: a v1 read has no scale-to-zero spec. */
const BETA_READ = 'v1beta1:';

export class VertexDriver {
  constructor(
    private readonly clients: GcpClients,
    private readonly policy: GcpCallPolicy,
  ) {}

  /** v1beta1 for a scale-to-zero binding (the only surface with the spec), v1 otherwise. */
  #api(binding: VertexBinding): Client {
    return binding.scaleToZero ? this.clients.endpointsBeta : this.clients.endpoints;
  }

  /** The endpoint; `maxAgeMs` > 0 may take a shared read that started less than that long ago (adapters/shared-reads.ts). */
  async #endpoint(binding: VertexBinding, maxAgeMs = 0): Promise<Endpoint> {
    const name = endpointName(binding);
    const [endpoint] = await this.clients.recentReads.read(
      `${binding.scaleToZero ? BETA_READ : ''}${name}`,
      maxAgeMs,
      () =>
        callGcp<Client>(this.policy, 'endpoints.get', name, () =>
          this.#api(binding).getEndpoint({ name }, gaxOptions(this.policy)),
        ),
    );
    return endpoint ?? {};
  }

  /** Run a change to the endpoint, then forget its shared reads (even when the call failed: it may have landed). */
  async #changing(binding: VertexBinding, change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } finally {
      this.clients.recentReads.forget(endpointName(binding));
      this.clients.recentReads.forget(`${BETA_READ}${endpointName(binding)}`);
    }
  }

  async observe(binding: VertexBinding, pool: CapacityPool, maxAgeMs = 0): Promise<ObservedPool> {
    const endpoint = await this.#endpoint(binding, maxAgeMs);
    const model = serving(endpoint, binding);
    // A new deployment with no traffic yet is capacity on its way.
    const { incoming } = split(endpoint, model);
    return {
      poolId: pool.id,
      instanceType: model?.dedicatedResources?.machineSpec?.machineType ?? pool.instanceType,
      capacityType: pool.capacityType,
      desired: model?.dedicatedResources?.minReplicaCount ?? 0,
      ready: replicasOf(model),
      pending: incoming.reduce((sum, m) => sum + replicasOf(m, true), 0),
    };
  }

  async setReplicas(binding: VertexBinding, desired: number): Promise<void> {
    const name = endpointName(binding);
    if (desired < 1 && !binding.scaleToZero) throw new VertexMinimumReplicaError(name);
    const model = serving(await this.#endpoint(binding), binding);
    const id = model?.id ?? binding.deployedModelId;
    if (desired < 1 && !scalesToZero(model))
      throw new VertexMinimumReplicaError(
        name,
        `deployed model ${id} has no scaleToZeroSpec (it was deployed without scale to zero; only a new deployModel can add it)`,
      );
    // At 0 the ceiling is the replicas a request wakes: Vertex needs initialReplicaCount <= maxReplicaCount.
    const ceiling = desired < 1 ? Math.max(1, model?.dedicatedResources?.initialReplicaCount ?? 1) : desired;
    await this.#changing(binding, () =>
      callGcp<Client>(this.policy, 'endpoints.mutateDeployedModel', name, () =>
        this.#api(binding).mutateDeployedModel(
          {
            endpoint: name,
            deployedModel: { id, dedicatedResources: { minReplicaCount: desired, maxReplicaCount: ceiling } },
            updateMask: { paths: ['dedicated_resources.min_replica_count', 'dedicated_resources.max_replica_count'] },
          },
          gaxOptions(this.policy),
        ),
      ),
    );
  }

  /**
   * Step 1 of a scale-up: deploy the same model on `machineType` with no traffic. A repeat finds it deployed.
   * A scale-to-zero model is deployed again with its spec, as Vertex creates one: `minReplicaCount` 0 and
   * `initialReplicaCount` the count (at least 1), so it keeps scaling to zero; the next decision pins its count.
   */
  async deployOn(binding: VertexBinding, machineType: string, count: number): Promise<void> {
    const name = endpointName(binding);
    if (count < 1 && !binding.scaleToZero) throw new VertexMinimumReplicaError(name);
    const endpoint = await this.#endpoint(binding);
    const current = serving(endpoint, binding);
    const toZero = binding.scaleToZero && scalesToZero(current);
    if (count < 1 && !toZero)
      throw new VertexMinimumReplicaError(
        name,
        `deployed model ${current?.id ?? binding.deployedModelId} has no scaleToZeroSpec`,
      );
    if ((endpoint.deployedModels ?? []).some((m) => m.dedicatedResources?.machineSpec?.machineType === machineType))
      return;
    const split = { ...(endpoint.trafficSplit ?? {}), '0': 0 };
    const initial = Math.max(1, count);
    const replicas = toZero
      ? {
          minReplicaCount: 0,
          initialReplicaCount: initial,
          maxReplicaCount: initial,
          scaleToZeroSpec: current?.dedicatedResources?.scaleToZeroSpec,
        }
      : { minReplicaCount: count, maxReplicaCount: count };
    await this.#changing(binding, () =>
      callGcp<Client>(this.policy, 'endpoints.deployModel', name, () =>
        this.#api(binding).deployModel(
          {
            endpoint: name,
            deployedModel: {
              model: current?.model,
              ...(current?.displayName ? { displayName: current.displayName } : {}),
              dedicatedResources: { machineSpec: { machineType }, ...replicas },
            },
            trafficSplit: split,
          },
          gaxOptions(this.policy),
        ),
      ),
    );
  }

  /**
   * Steps 2 and 3, on a later tick: when a deployment with no traffic is listed (its deployment finished),
   * send it all the traffic, then undeploy the models that no longer have any. Returns what it did.
   */
  async advance(binding: VertexBinding): Promise<'shifted' | 'undeployed' | 'idle'> {
    const name = endpointName(binding);
    const endpoint = await this.#endpoint(binding);
    const current = serving(endpoint, binding);
    const { incoming, outgoing } = split(endpoint, current);
    const next = incoming.sort((a, b) => createdAt(b) - createdAt(a))[0];
    if (next?.id) {
      await this.#changing(binding, () =>
        callGcp<Client>(this.policy, 'endpoints.update', name, () =>
          this.#api(binding).updateEndpoint(
            {
              endpoint: { name, trafficSplit: { [next.id as string]: 100 } },
              updateMask: { paths: ['traffic_split'] },
            },
            gaxOptions(this.policy),
          ),
        ),
      );
      return 'shifted';
    }
    for (const model of outgoing) {
      await this.#changing(binding, () =>
        callGcp<Client>(this.policy, 'endpoints.undeployModel', name, () =>
          this.#api(binding).undeployModel(
            { endpoint: name, deployedModelId: model.id, trafficSplit: endpoint.trafficSplit ?? {} },
            gaxOptions(this.policy),
          ),
        ),
      );
    }
    return outgoing.length > 0 ? 'undeployed' : 'idle';
  }
}
