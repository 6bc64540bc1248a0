/**
 * A GKE node pool as one Tide pool. Its size is set with `setNodePoolSize` (per zone: for a pool spread over
 * several zones Tide asks each zone for an equal share, rounded up); what it has is read from the managed
 * instance groups behind it. A pool whose cluster autoscaler is on belongs to the cluster autoscaler: Tide
 * refuses to manage it unless the target says to take over, in which case Tide turns the autoscaler off and
 * keeps what it found so that releasing the target restores it.
 */
import type { CapacityPool } from '../../core/schema/target.ts';
import { ActuatorError } from '../ports/actuator.ts';
import { callGcp, gaxOptions, type GcpCallPolicy } from './call.ts';
import type { Client, GcpClients } from './clients.ts';
import type { GkeNodePoolBinding } from './config.ts';
import type { MigDriver, MigObservation, MigRef } from './mig.ts';

/** The cluster autoscaler is on for a pool that Tide was not told to take over. */
export class GkeAutoscalerConflictError extends ActuatorError {
  override readonly name = 'GkeAutoscalerConflictError';
  readonly retryable = false;
  constructor(readonly nodePool: string) {
    super(
      `node pool ${nodePool} has the cluster autoscaler on: Tide does not fight it (set takeOverAutoscaler: true on the pool's binding to let Tide turn it off and restore it on release)`,
    );
  }
}

/** Where the autoscaling settings Tide found are kept while it manages a pool (the state store in production). */
export interface HandoverStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** An in-memory handover store (the embedded default and tests). */
export function createMemoryHandoverStore(): HandoverStore {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key) ?? null,
    set: async (key, value) => void values.set(key, value),
    delete: async (key) => void values.delete(key),
  };
}

export function nodePoolName(binding: GkeNodePoolBinding): string {
  return `projects/${binding.project}/locations/${binding.location}/clusters/${binding.cluster}/nodePools/${binding.nodePool}`;
}

/** `https://www.googleapis.com/compute/v1/projects/p/zones/z/instanceGroupManagers/n` → its coordinates. */
export function migRefFromUrl(url: string): MigRef | null {
  const match = /projects\/([^/]+)\/zones\/([^/]+)\/instanceGroup(?:Manager)?s\/([^/?]+)/.exec(url);
  return match ? { project: match[1]!, zone: match[2]!, name: match[3]! } : null;
}

export class GkeDriver {
  constructor(
    private readonly clients: GcpClients,
    private readonly migs: MigDriver,
    private readonly policy: GcpCallPolicy,
    private readonly handover: HandoverStore,
  ) {}

  /**
   * The node pool (its groups, machine type, autoscaling). `maxAgeMs` > 0 may take a read of it that started at
   * most that long ago (../shared-reads.ts), as a group's read may: a delivery's observation read it every time.
   */
  async #nodePool(
    binding: GkeNodePoolBinding,
    maxAgeMs = 0,
  ): Promise<{ autoscaling?: { enabled?: boolean }; config?: { machineType?: string }; instanceGroupUrls?: string[] }> {
    const name = nodePoolName(binding);
    const [pool] = await this.clients.recentReads.read(name, maxAgeMs, () =>
      callGcp<Client>(this.policy, 'clusters.nodePools.get', name, () =>
        this.clients.clusterManager.getNodePool({ name }, gaxOptions(this.policy)),
      ),
    );
    return pool ?? {};
  }

  /** The pool and the groups behind it; `maxAgeMs` as for a group's read (mig.ts: the reads may be shared). */
  async observe(
    binding: GkeNodePoolBinding,
    pool: CapacityPool,
    maxAgeMs = 0,
  ): Promise<{ observation: MigObservation; migs: MigRef[]; autoscalerOn: boolean }> {
    const nodePool = await this.#nodePool(binding, maxAgeMs);
    const migs = (nodePool.instanceGroupUrls ?? []).map(migRefFromUrl).filter((ref): ref is MigRef => ref !== null);
    const parts = await Promise.all(migs.map((ref) => this.migs.observe(ref, pool, maxAgeMs)));
    const instanceType = nodePool.config?.machineType ?? parts[0]?.pool.instanceType ?? pool.instanceType;
    const observation: MigObservation = {
      pool: {
        poolId: pool.id,
        instanceType,
        capacityType: pool.capacityType,
        desired: parts.reduce((sum, part) => sum + part.pool.desired, 0),
        ready: parts.reduce((sum, part) => sum + part.pool.ready, 0),
        pending: parts.reduce((sum, part) => sum + part.pool.pending, 0),
        nodes: parts.flatMap((part) => part.pool.nodes ?? []),
      },
      targetSize: parts.reduce((sum, part) => sum + part.targetSize, 0),
      instanceTemplate: parts[0]?.instanceTemplate ?? '',
      capacityErrors: parts.flatMap((part) => part.capacityErrors),
      instanceUrls: new Map(parts.flatMap((part) => [...part.instanceUrls])),
    };
    return { observation, migs, autoscalerOn: nodePool.autoscaling?.enabled === true };
  }

  /** Before any action: refuse, or take the pool over from the cluster autoscaler. */
  async ensureManaged(binding: GkeNodePoolBinding): Promise<{ migs: MigRef[] }> {
    const nodePool = await this.#nodePool(binding);
    const migs = (nodePool.instanceGroupUrls ?? []).map(migRefFromUrl).filter((ref): ref is MigRef => ref !== null);
    if (nodePool.autoscaling?.enabled) {
      if (!binding.takeOverAutoscaler) throw new GkeAutoscalerConflictError(nodePoolName(binding));
      const name = nodePoolName(binding);
      // Keep the settings first: if turning it off fails half-way, a retry still finds them.
      if ((await this.handover.get(name)) === null) await this.handover.set(name, JSON.stringify(nodePool.autoscaling));
      await this.clients.recentReads.changing(name, () =>
        callGcp<Client>(this.policy, 'clusters.nodePools.setAutoscaling', name, () =>
          this.clients.clusterManager.setNodePoolAutoscaling(
            { name, autoscaling: { enabled: false } },
            gaxOptions(this.policy),
          ),
        ),
      );
    }
    return { migs };
  }

  async setSize(binding: GkeNodePoolBinding, desired: number): Promise<void> {
    const { migs } = await this.ensureManaged(binding);
    const zones = Math.max(1, migs.length);
    const name = nodePoolName(binding);
    try {
      await this.clients.recentReads.changing(name, () =>
        callGcp<Client>(this.policy, 'clusters.nodePools.setSize', name, () =>
          this.clients.clusterManager.setNodePoolSize(
            { name, nodeCount: Math.ceil(desired / zones) },
            gaxOptions(this.policy),
          ),
        ),
      );
    } finally {
      // GKE resizes the groups behind the pool: their shared reads are out of date (or may be, on a failure).
      for (const ref of migs) this.migs.forget(ref);
    }
  }

  /** Give the pool back to the cluster autoscaler with the settings Tide found (target removed from Tide). */
  async release(binding: GkeNodePoolBinding): Promise<boolean> {
    const name = nodePoolName(binding);
    const saved = await this.handover.get(name);
    if (saved === null) return false;
    await this.clients.recentReads.changing(name, () =>
      callGcp<Client>(this.policy, 'clusters.nodePools.setAutoscaling', name, () =>
        this.clients.clusterManager.setNodePoolAutoscaling(
          { name, autoscaling: JSON.parse(saved) },
          gaxOptions(this.policy),
        ),
      ),
    );
    await this.handover.delete(name);
    return true;
  }
}
