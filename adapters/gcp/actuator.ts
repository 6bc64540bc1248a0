/**
 * The Google Cloud actuator: Tide's actuator port over one target's pools, each bound to a managed instance
 * group, a GKE node pool or a Vertex AI deployed model (config.ts). Every call is bounded (call.ts) and every
 * failure is one of the port's typed errors; stockouts and quota errors that Compute Engine reports on
 * instances are returned by `observe` as capacity-error reports, for the runtime to feed into the next
 * decision.
 */
import { createHash } from 'node:crypto';
import type { CapacityPool, ObservedCapacity, Target } from '../../core/schema/target.ts';
import {
  NodeNotFoundError,
  ProviderRejectedError,
  PoolNotFoundError,
  type ActuatorPort,
  type ChangeInstanceTypeRequest,
  type CheckpointRequest,
  type DrainAndReleaseRequest,
  type LaunchCapacityRequest,
  type SetCapacityRequest,
} from '../ports/actuator.ts';
import { DEFAULT_CALL_POLICY, type GcpCallPolicy } from './call.ts';
import type { CapacityErrorReport } from '../ports/capacity-errors.ts';
import { GcpClients, type GcpClientOptions } from './clients.ts';
import type { GcpPoolBinding, GcpResource, MigBinding } from './config.ts';
import { createMemoryHandoverStore, GkeDriver, nodePoolName, type HandoverStore } from './gke.ts';
import { requestCheckpointAt } from '../checkpoint/https.ts';
import { MigDriver, type MigRef } from './mig.ts';
import { VertexDriver } from './vertex.ts';

/** Checkpoint requests go to the job's own callback; Google Cloud has no API for them. */
export type CheckpointSender = (request: CheckpointRequest) => Promise<void>;

export interface GcpActuatorOptions {
  clients?: GcpClients;
  client?: GcpClientOptions;
  policy?: Partial<GcpCallPolicy>;
  handover?: HandoverStore;
  /** Deliver checkpoint requests another way than the target's HTTPS callback. */
  sendCheckpoint?: CheckpointSender;
  /** Where the callback's key variable is read (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** TLS options for the callback (a private CA). */
  checkpointTls?: { ca?: string | Buffer };
  now?: () => number;
}

/** An observation with the capacity errors seen on the way. */
export interface GcpObservation {
  capacity: ObservedCapacity;
  capacityErrors: CapacityErrorReport[];
}

export class GcpActuator implements ActuatorPort {
  readonly clients: GcpClients;
  readonly #migs: MigDriver;
  readonly #gke: GkeDriver;
  readonly #vertex: VertexDriver;
  readonly #now: () => number;

  private readonly resources: GcpResource;

  /** `target.resource` must be a Google Cloud resource block naming a resource for every pool. */
  constructor(
    private readonly target: Target,
    private readonly options: GcpActuatorOptions = {},
  ) {
    if (target.resource?.provider !== 'gcp') {
      throw new ProviderRejectedError(
        'gcp',
        `target/${target.id}`,
        'NoResource',
        'the target has no Google Cloud resource block (resource.provider: gcp)',
      );
    }
    this.resources = target.resource;
    const policy = { ...DEFAULT_CALL_POLICY, ...options.policy };
    this.clients = options.clients ?? new GcpClients(options.client);
    this.#migs = new MigDriver(this.clients, policy);
    this.#gke = new GkeDriver(this.clients, this.#migs, policy, options.handover ?? createMemoryHandoverStore());
    this.#vertex = new VertexDriver(this.clients, policy);
    this.#now = options.now ?? Date.now;
  }

  #pool(poolId: string): { pool: CapacityPool; binding: GcpPoolBinding } {
    const pool = this.target.pools.find((candidate) => candidate.id === poolId);
    const binding = Object.hasOwn(this.resources.pools, poolId) ? this.resources.pools[poolId] : undefined;
    if (!pool || !binding) throw new PoolNotFoundError(poolId);
    return { pool, binding };
  }

  #migRef(binding: MigBinding): MigRef {
    return {
      project: binding.project,
      name: binding.name,
      ...(binding.zone ? { zone: binding.zone } : { region: binding.region! }),
    };
  }

  /**
   * Every pool, with the capacity errors its instances report. `maxAgeMs` > 0 lets it take reads of the same
   * resources that started at most that long ago (../shared-reads.ts); the default, 0, reads everything (ticks).
   */
  async observe(maxAgeMs = 0): Promise<GcpObservation> {
    const parts = await Promise.all(
      this.target.pools.map(async (pool) => {
        const { binding } = this.#pool(pool.id);
        switch (binding.kind) {
          case 'mig': {
            const observation = await this.#migs.observe(this.#migRef(binding), pool, maxAgeMs);
            return { pool: observation.pool, errors: observation.capacityErrors };
          }
          case 'gke-node-pool': {
            const { observation } = await this.#gke.observe(binding, pool, maxAgeMs);
            return { pool: observation.pool, errors: observation.capacityErrors };
          }
          case 'vertex-endpoint':
            return { pool: await this.#vertex.observe(binding, pool, maxAgeMs), errors: [] };
        }
      }),
    );
    return {
      capacity: { observedAt: this.#now(), pools: parts.map((part) => part.pool) },
      capacityErrors: parts.flatMap((part) => part.errors),
    };
  }

  /** The capacity a delivery decides on: reads of the last `observationMaxAgeMs` (default 1 s) may be shared. */
  async readCapacity(_targetId: string): Promise<ObservedCapacity> {
    return (await this.observe(this.clients.observationMaxAgeMs)).capacity;
  }

  async setCapacity(request: SetCapacityRequest): Promise<void> {
    const { binding } = this.#pool(request.poolId);
    switch (binding.kind) {
      case 'mig':
        return this.#migs.resize(this.#migRef(binding), request.desired, requestIdOf(request.idempotencyKey));
      case 'gke-node-pool':
        return this.#gke.setSize(binding, request.desired);
      case 'vertex-endpoint':
        return this.#vertex.setReplicas(binding, request.desired);
    }
  }

  async changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void> {
    const { binding } = this.#pool(request.poolId);
    switch (binding.kind) {
      case 'mig':
        await this.#migs.changeMachineType(this.#migRef(binding), request.toInstanceType, request.count);
        return;
      case 'vertex-endpoint':
        return this.#vertex.deployOn(binding, request.toInstanceType, request.count);
      case 'gke-node-pool':
        throw new ProviderRejectedError(
          'clusters.nodePools.update',
          nodePoolName(binding),
          'Unsupported',
          'a machine type change needs a new node pool; bind a second pool of the new type instead',
        );
    }
  }

  /** Grow a pool by `count`. Compute Engine names the new instances when it creates them: they show up in the next observation. */
  async launchCapacity(request: LaunchCapacityRequest): Promise<string[]> {
    const { binding } = this.#pool(request.poolId);
    if (binding.kind === 'vertex-endpoint') {
      const observed = await this.#vertex.observe(binding, this.#pool(request.poolId).pool);
      await this.#vertex.setReplicas(binding, observed.desired + request.count);
      return [];
    }
    if (binding.kind === 'gke-node-pool') {
      const { observation } = await this.#gke.observe(binding, this.#pool(request.poolId).pool);
      await this.#gke.setSize(binding, observation.targetSize + request.count);
      return [];
    }
    // Relative to the size read now: the requestId keeps a re-driven launch from adding twice.
    const ref = this.#migRef(binding);
    await this.#migs.resize(
      ref,
      (await this.#migs.targetSize(ref)) + request.count,
      requestIdOf(request.idempotencyKey),
    );
    return [];
  }

  async drainAndRelease(request: DrainAndReleaseRequest): Promise<void> {
    const { binding, pool } = this.#pool(request.poolId);
    if (binding.kind === 'vertex-endpoint') {
      throw new ProviderRejectedError(
        'endpoints.mutateDeployedModel',
        binding.endpoint,
        'Unsupported',
        'Vertex AI replicas are not released one by one; set the count instead',
      );
    }
    const refs = binding.kind === 'mig' ? [this.#migRef(binding)] : (await this.#gke.ensureManaged(binding)).migs;
    for (const ref of refs) {
      const { instanceUrls } = await this.#migs.observe(ref, pool);
      const url = instanceUrls.get(request.instanceId);
      if (url) return this.#migs.deleteInstance(ref, url);
    }
    throw new NodeNotFoundError(request.poolId, request.instanceId);
  }

  /** The signed CloudEvent to the target's HTTPS callback (`resource.checkpoint`), or the configured sender. */
  async requestCheckpoint(request: CheckpointRequest): Promise<void> {
    if (this.options.sendCheckpoint) return this.options.sendCheckpoint(request);
    await requestCheckpointAt(this.resources.checkpoint, this.target.id, request, {
      now: this.#now,
      ...(this.options.env ? { env: this.options.env } : {}),
      ...(this.options.checkpointTls ? { tls: this.options.checkpointTls } : {}),
    });
  }

  /** Finish rolling changes whose next step is possible now (Vertex AI: shift traffic, then undeploy). */
  async advance(): Promise<void> {
    for (const pool of this.target.pools) {
      const { binding } = this.#pool(pool.id);
      if (binding.kind === 'vertex-endpoint') await this.#vertex.advance(binding);
    }
  }

  /** The target leaves Tide: give GKE pools back to the cluster autoscaler with the settings Tide found. */
  async release(): Promise<void> {
    for (const pool of this.target.pools) {
      const { binding } = this.#pool(pool.id);
      if (binding.kind === 'gke-node-pool') await this.#gke.release(binding);
    }
  }
}

/**
 * Compute Engine's `requestId` (a UUID) from the reconciler's idempotency key (`<eventId>:<action index>`):
 * the same action of the same decision always sends the same id, so a call that landed before a crash is
 * not applied again when the decision is re-driven.
 */
export function requestIdOf(idempotencyKey: string | undefined): string | undefined {
  if (!idempotencyKey) return undefined;
  const hex = createHash('sha256').update(idempotencyKey).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
