/**
 * A virtual machine scale set as one Tide pool. Observing reads the scale set (sku, capacity, orchestration
 * mode, priority, upgrade policy) and its instances with their provisioning and power states (Uniform:
 * `virtualMachineScaleSetVMs.list`; Flexible: `virtualMachines.list` filtered on the scale set), and
 * reports instances whose provisioning failed for allocation or quota as capacity errors. Acting updates
 * the sku capacity, deletes one drained instance (`deleteInstances`), or changes the sku under a Rolling
 * upgrade policy. Each change is started and recorded (operations.ts), never waited on.
 */
import type { CapacityPool, ObservedNode, ObservedPool } from '../../core/schema/target.ts';
import { ProviderRejectedError } from '../ports/actuator.ts';
import type { CapacityErrorReport } from '../ports/capacity-errors.ts';
import { callAzure, type AzureCallPolicy } from './call.ts';
import type { AzureClients, Client } from './clients.ts';
import { capacityCodeOf } from './errors.ts';
import { instanceListKey, sameSignature, scaleSetKey, type ScaleSetSignature } from './instance-lists.ts';
import { LAUNCH_TAG, launchKeyOf, recordedBase } from './launch-tag.ts';

/** A scale set by its coordinates. */
export interface VmssRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export function vmssResourceId(ref: VmssRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${ref.name}`;
}

const modeOf = (scaleSet: { orchestrationMode?: string } | undefined): 'Uniform' | 'Flexible' =>
  scaleSet?.orchestrationMode === 'Flexible' ? 'Flexible' : 'Uniform';

/** What of a scale set read its instance list is valid for (instance-lists.ts). */
function signatureOf(
  scaleSet: { sku?: { name?: string; capacity?: number }; provisioningState?: string; etag?: string } | undefined,
  pool: CapacityPool,
): ScaleSetSignature {
  return {
    capacity: Number(scaleSet?.sku?.capacity ?? 0),
    sku: String(scaleSet?.sku?.name ?? pool.instanceType),
    provisioningState: String(scaleSet?.provisioningState ?? ''),
    etag: String(scaleSet?.etag ?? ''),
  };
}

interface InstanceStatus {
  code?: string;
  level?: string;
  message?: string;
}

/** An instance as the modular client returns it (`properties` flattened). */
interface ScaleSetInstance {
  name?: string;
  instanceId?: string;
  provisioningState?: string;
  instanceView?: { statuses?: InstanceStatus[] };
}

/** What one scale set reports. */
export interface VmssObservation {
  pool: ObservedPool;
  capacity: number;
  sku: string;
  orchestrationMode: 'Uniform' | 'Flexible';
  upgradeMode: string;
  provisioningState: string;
  capacityErrors: CapacityErrorReport[];
  /** Tide's node id (the VM name) → the id `deleteInstances` takes (Uniform: instance id; Flexible: VM name). */
  instanceIds: Map<string, string>;
}

/** A started operation: the poller, to be serialized and recorded. */
export interface Started {
  call: string;
  resource: string;
  poller: Client;
}

export class VmssDriver {
  constructor(
    private readonly clients: AzureClients,
    private readonly policy: AzureCallPolicy,
  ) {}

  async get(ref: VmssRef): Promise<Client> {
    const compute = this.clients.compute(ref.subscriptionId);
    return callAzure<Client>(this.policy, 'virtualMachineScaleSets.get', vmssResourceId(ref), (options) =>
      compute.virtualMachineScaleSets.get(ref.resourceGroup, ref.name, options),
    );
  }

  async #instances(ref: VmssRef, flexible: boolean): Promise<ScaleSetInstance[]> {
    const compute = this.clients.compute(ref.subscriptionId);
    const resource = vmssResourceId(ref);
    return callAzure(
      this.policy,
      flexible ? 'virtualMachines.list' : 'virtualMachineScaleSetVMs.list',
      resource,
      async (options) => {
        const pages = flexible
          ? compute.virtualMachines.list(ref.resourceGroup, {
              ...options,
              filter: `'virtualMachineScaleSet/id' eq '${resource}'`,
              expand: 'instanceView',
            })
          : compute.virtualMachineScaleSetVMs.list(ref.resourceGroup, ref.name, { ...options, expand: 'instanceView' });
        const all: ScaleSetInstance[] = [];
        for await (const vm of pages) {
          all.push(vm);
          if (all.length >= 1000) break; // a pool's node list is bounded (LIMITS.nodesPerPool)
        }
        return all;
      },
    );
  }

  async observe(ref: VmssRef, pool: CapacityPool): Promise<VmssObservation> {
    const key = vmssResourceId(ref);
    // The scale set's read is shared for a second while it is at rest; its instance list while the scale set read
    // shows it unchanged (instance-lists.ts). The orchestration mode is fixed when a scale set is made: once seen,
    // a list that has to be made starts beside the scale set read (one round trip, not two).
    const scaleSetRead: Promise<Client> = this.clients.reads.read(
      scaleSetKey(key),
      this.clients.scaleSetMaxAgeMs,
      () => this.get(ref),
      { keep: (scaleSet) => scaleSet?.provisioningState === 'Succeeded' },
    );
    scaleSetRead.catch(() => {}); // awaited below (or by the list's read, which then fails with it)
    const knownMode = this.clients.scaleSetMode(key);
    const { instances: listed } = await this.clients.reads.read(
      instanceListKey(key),
      this.clients.instanceListMaxAgeMs,
      async () => {
        const mode = knownMode ?? modeOf(await scaleSetRead);
        const early = this.#instances(ref, mode === 'Flexible');
        early.catch(() => {}); // awaited below, or left when the scale set read fails or the mode changed
        const scaleSet = await scaleSetRead;
        const actual = modeOf(scaleSet);
        const instances = actual === mode ? await early : await this.#instances(ref, actual === 'Flexible');
        return { signature: signatureOf(scaleSet, pool), instances };
      },
      { valid: async (kept) => sameSignature(kept.signature, signatureOf(await scaleSetRead, pool)) },
    );
    const scaleSet = await scaleSetRead;
    const orchestrationMode = modeOf(scaleSet);
    const sku = String(scaleSet?.sku?.name ?? pool.instanceType);
    const capacity = Number(scaleSet?.sku?.capacity ?? 0);
    this.clients.rememberScaleSetMode(key, orchestrationMode);
    const instances = listed as ScaleSetInstance[];
    const nodes: ObservedNode[] = [];
    const capacityErrors: CapacityErrorReport[] = [];
    const instanceIds = new Map<string, string>();
    for (const vm of instances) {
      const id = String(vm.name ?? vm.instanceId ?? '');
      if (!id) continue;
      instanceIds.set(id, orchestrationMode === 'Flexible' ? id : String(vm.instanceId ?? id));
      const provisioning = vm.provisioningState ?? 'Unknown';
      const statuses = vm.instanceView?.statuses ?? [];
      const power = statuses.find((status) => status.code?.startsWith('PowerState/'))?.code ?? '';
      const state: ObservedNode['state'] =
        provisioning === 'Deleting' || /deallocat|stopping|stopped/.test(power)
          ? 'draining'
          : provisioning === 'Succeeded' && power === 'PowerState/running'
            ? 'ready'
            : 'pending';
      if (provisioning === 'Failed') {
        for (const status of statuses) {
          const code = status.code?.startsWith('ProvisioningState/failed/')
            ? status.code.slice('ProvisioningState/failed/'.length)
            : '';
          const capacityCode = code ? capacityCodeOf(code, status.message ?? '') : undefined;
          if (capacityCode) {
            capacityErrors.push({
              poolId: pool.id,
              instanceType: sku,
              capacityType: pool.capacityType,
              code: capacityCode,
              message: status.message ?? '',
              ...(pool.zone ? { zone: pool.zone } : {}),
            });
          }
        }
        continue; // a failed instance serves nothing and boots no further
      }
      nodes.push({ id, state });
    }
    return {
      pool: {
        poolId: pool.id,
        instanceType: sku,
        capacityType: pool.capacityType,
        desired: capacity,
        ready: nodes.filter((node) => node.state === 'ready').length,
        pending: nodes.filter((node) => node.state === 'pending').length,
        nodes: nodes.slice(0, 1000),
      },
      capacity,
      sku,
      orchestrationMode,
      upgradeMode: String(scaleSet?.upgradePolicy?.mode ?? 'Manual'),
      provisioningState: String(scaleSet?.provisioningState ?? 'Unknown'),
      capacityErrors: dedupe(capacityErrors),
      instanceIds,
    };
  }

  /** PATCH the sku capacity; resolves once Azure accepted the request (202), not when it is done. */
  async resize(ref: VmssRef, capacity: number, context: CapacityContextFor): Promise<Started> {
    return this.#update(ref, { sku: { capacity } }, context);
  }

  /**
   * Add `count` to the capacity. With an idempotency key the base is recorded in the scale set's
   * {@link LAUNCH_TAG} tag by the same PATCH that sets the capacity (one ARM update, so both or neither), and a
   * redelivery of the same decision finds it and sets the same absolute capacity again rather than adding twice.
   * ARM replaces the whole tags object on a PATCH, so the scale set's other tags are sent back unchanged.
   */
  async launch(ref: VmssRef, count: number, idempotencyKey: string | undefined, context: CapacityContextFor) {
    const scaleSet = await this.get(ref);
    const capacity = Number(scaleSet?.sku?.capacity ?? 0);
    if (idempotencyKey === undefined) return this.resize(ref, capacity + count, context);
    const tags: Record<string, string> = { ...(scaleSet?.tags ?? {}) };
    const key = launchKeyOf(idempotencyKey);
    const base = recordedBase(tags[LAUNCH_TAG], key) ?? capacity;
    tags[LAUNCH_TAG] = JSON.stringify({ k: key, b: base });
    return this.#update(ref, { sku: { capacity: base + count }, tags }, context);
  }

  async #update(ref: VmssRef, body: object, context: CapacityContextFor): Promise<Started> {
    const compute = this.clients.compute(ref.subscriptionId);
    const resource = vmssResourceId(ref);
    // The poller is a thenable (awaiting it waits for the whole operation): keep it wrapped.
    // Whatever the answer, the next observation lists the instances again.
    const { poller } = await this.clients.changingScaleSet(resource, () =>
      callAzure<{ poller: Client }>(
        this.policy,
        'virtualMachineScaleSets.update',
        resource,
        async (options) => {
          const started = compute.virtualMachineScaleSets.update(ref.resourceGroup, ref.name, body, options);
          await started.submitted();
          return { poller: started };
        },
        context,
      ),
    );
    return { call: 'virtualMachineScaleSets.update', resource, poller };
  }

  /** Delete one instance; the scale set's capacity drops by one. */
  async deleteInstance(ref: VmssRef, instanceId: string): Promise<Started> {
    const compute = this.clients.compute(ref.subscriptionId);
    const resource = vmssResourceId(ref);
    const { poller } = await this.clients.changingScaleSet(resource, () =>
      callAzure<{ poller: Client }>(
        this.policy,
        'virtualMachineScaleSets.deleteInstances',
        resource,
        async (options) => {
          const started = compute.virtualMachineScaleSets.deleteInstances(
            ref.resourceGroup,
            ref.name,
            { instanceIds: [instanceId] },
            options,
          );
          await started.submitted();
          return { poller: started };
        },
      ),
    );
    return { call: 'virtualMachineScaleSets.deleteInstances', resource, poller };
  }

  /**
   * A sku change keeps serving capacity only under a Rolling upgrade policy: Azure replaces instances in
   * batches (with `maxSurge`, new ones first) and keeps the rest serving. Under Manual or Automatic it would
   * leave instances on the old sku or restart them all at once, so Tide refuses: bind a second pool on a new
   * scale set of the new type, and Tide moves the load and drains the old one.
   */
  async changeSku(ref: VmssRef, sku: string, count: number, context: CapacityContextFor): Promise<Started> {
    const scaleSet = await this.get(ref);
    const mode = String(scaleSet?.upgradePolicy?.mode ?? 'Manual');
    if (mode !== 'Rolling') {
      throw new ProviderRejectedError(
        'virtualMachineScaleSets.update',
        vmssResourceId(ref),
        'UpgradePolicyNotRolling',
        `a sku change under upgrade policy ${mode} would not keep serving capacity; use a Rolling upgrade policy with maxSurge, or bind a second pool on a scale set of ${sku}`,
      );
    }
    return this.#update(ref, { sku: { name: sku, capacity: Math.max(1, count) } }, { ...context, instanceType: sku });
  }
}

/** The pool a capacity error is about. */
export type CapacityContextFor = {
  poolId: string;
  instanceType: string;
  capacityType: CapacityPool['capacityType'];
};

function dedupe(reports: CapacityErrorReport[]): CapacityErrorReport[] {
  const seen = new Set<string>();
  return reports.filter((report) => {
    const key = `${report.poolId}:${report.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
