/**
 * A model deployed on a Vertex AI online prediction endpoint as one Tide pool. Tide sets the deployed
 * model's `minReplicaCount` and `maxReplicaCount` to the same count, so Vertex's own autoscaler does not
 * move it. A bigger machine is reached in three steps across ticks, never waiting inside a function:
 * deploy the model again on the new machine with no traffic; once the endpoint lists it (deployment done),
 * send it all the traffic and undeploy the old one (`advance`).
 */
import type { CapacityPool, ObservedPool } from '../../core/schema/target.ts';
import { ActuatorError } from '../ports/actuator.ts';
import { callGcp, gaxOptions, type GcpCallPolicy } from './call.ts';
import type { Client, GcpClients } from './clients.ts';
import type { VertexBinding } from './config.ts';

/** Vertex AI dedicated resources keep at least one replica; scale to zero is not offered for them. */
export class VertexMinimumReplicaError extends ActuatorError {
  override readonly name = 'VertexMinimumReplicaError';
  readonly retryable = false;
  constructor(readonly endpoint: string) {
    super(
      `Vertex AI keeps at least 1 replica of a deployed model on dedicated resources (endpoint ${endpoint}); Tide cannot scale it to 0`,
    );
  }
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
  };
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

export class VertexDriver {
  constructor(
    private readonly clients: GcpClients,
    private readonly policy: GcpCallPolicy,
  ) {}

  /** The endpoint; `maxAgeMs` > 0 may take a shared read that started at most that long ago (recent-reads.ts). */
  async #endpoint(binding: VertexBinding, maxAgeMs = 0): Promise<Endpoint> {
    const name = endpointName(binding);
    const [endpoint] = await this.clients.recentReads.read(name, maxAgeMs, () =>
      callGcp<Client>(this.policy, 'endpoints.get', name, () =>
        this.clients.endpoints.getEndpoint({ name }, gaxOptions(this.policy)),
      ),
    );
    return endpoint ?? {};
  }

  /** Run a change to the endpoint, then forget its shared read (even when the call failed: it may have landed). */
  async #changing(binding: VertexBinding, change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } finally {
      this.clients.recentReads.forget(endpointName(binding));
    }
  }

  async observe(binding: VertexBinding, pool: CapacityPool, maxAgeMs = 0): Promise<ObservedPool> {
    const endpoint = await this.#endpoint(binding, maxAgeMs);
    const model = serving(endpoint, binding);
    const replicas = model?.dedicatedResources?.minReplicaCount ?? 0;
    // A new deployment with no traffic yet is capacity on its way.
    const { incoming } = split(endpoint, model);
    return {
      poolId: pool.id,
      instanceType: model?.dedicatedResources?.machineSpec?.machineType ?? pool.instanceType,
      capacityType: pool.capacityType,
      desired: replicas,
      ready: replicas,
      pending: incoming.reduce((sum, m) => sum + (m.dedicatedResources?.minReplicaCount ?? 0), 0),
    };
  }

  async setReplicas(binding: VertexBinding, desired: number): Promise<void> {
    const name = endpointName(binding);
    if (desired < 1) throw new VertexMinimumReplicaError(name);
    const model = serving(await this.#endpoint(binding), binding);
    const id = model?.id ?? binding.deployedModelId;
    await this.#changing(binding, () =>
      callGcp<Client>(this.policy, 'endpoints.mutateDeployedModel', name, () =>
        this.clients.endpoints.mutateDeployedModel(
          {
            endpoint: name,
            deployedModel: { id, dedicatedResources: { minReplicaCount: desired, maxReplicaCount: desired } },
            updateMask: { paths: ['dedicated_resources.min_replica_count', 'dedicated_resources.max_replica_count'] },
          },
          gaxOptions(this.policy),
        ),
      ),
    );
  }

  /** Step 1 of a scale-up: deploy the same model on `machineType` with no traffic. A repeat finds it deployed. */
  async deployOn(binding: VertexBinding, machineType: string, count: number): Promise<void> {
    const name = endpointName(binding);
    if (count < 1) throw new VertexMinimumReplicaError(name);
    const endpoint = await this.#endpoint(binding);
    const current = serving(endpoint, binding);
    if ((endpoint.deployedModels ?? []).some((m) => m.dedicatedResources?.machineSpec?.machineType === machineType))
      return;
    const split = { ...(endpoint.trafficSplit ?? {}), '0': 0 };
    await this.#changing(binding, () =>
      callGcp<Client>(this.policy, 'endpoints.deployModel', name, () =>
        this.clients.endpoints.deployModel(
          {
            endpoint: name,
            deployedModel: {
              model: current?.model,
              ...(current?.displayName ? { displayName: current.displayName } : {}),
              dedicatedResources: { machineSpec: { machineType }, minReplicaCount: count, maxReplicaCount: count },
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
          this.clients.endpoints.updateEndpoint(
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
          this.clients.endpoints.undeployModel(
            { endpoint: name, deployedModelId: model.id, trafficSplit: endpoint.trafficSplit ?? {} },
            gaxOptions(this.policy),
          ),
        ),
      );
    }
    return outgoing.length > 0 ? 'undeployed' : 'idle';
  }
}
