/**
 * A Compute Engine managed instance group as one Tide pool. Observing reads the group, its managed
 * instances (with the errors of their last creation attempt) and its template's machine type; acting
 * resizes the group, deletes one drained instance, or rolls the group to a new machine type through a new
 * template and a proactive update with surge. Operations are started, never waited on: the next
 * observation sees the group's `currentActions`.
 */
import type { CapacityPool, ObservedNode, ObservedPool } from '../../core/schema/target.ts';
import type { CapacityErrorReport } from '../ports/capacity-errors.ts';
import { CAPACITY_ERROR_CODES } from './errors.ts';
import { callGcp, gaxOptions, type GcpCallPolicy } from './call.ts';
import type { Client, GcpClients } from './clients.ts';

/** A group by its coordinates. */
export interface MigRef {
  project: string;
  zone?: string;
  region?: string;
  name: string;
}

interface ManagedInstance {
  instance?: string;
  instanceStatus?: string;
  currentAction?: string;
  lastAttempt?: { errors?: { errors?: { code?: string; message?: string }[] } };
}

/** What one group reports: the pool, and capacity errors from instances that could not be created. */
export interface MigObservation {
  pool: ObservedPool;
  targetSize: number;
  instanceTemplate: string;
  capacityErrors: CapacityErrorReport[];
  instanceUrls: Map<string, string>;
}

export function migResourceName(ref: MigRef): string {
  return `projects/${ref.project}/${ref.zone ? `zones/${ref.zone}` : `regions/${ref.region}`}/instanceGroupManagers/${ref.name}`;
}

const lastSegment = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

export class MigDriver {
  constructor(
    private readonly clients: GcpClients,
    private readonly policy: GcpCallPolicy,
  ) {}

  #client(ref: MigRef) {
    return ref.zone ? this.clients.instanceGroupManagers : this.clients.regionInstanceGroupManagers;
  }

  #request(ref: MigRef): Record<string, string> {
    return ref.zone
      ? { project: ref.project, zone: ref.zone, instanceGroupManager: ref.name }
      : { project: ref.project, region: ref.region!, instanceGroupManager: ref.name };
  }

  async #machineType(project: string, templateUrl: string): Promise<string> {
    const cached = this.clients.templateMachineTypes.get(templateUrl);
    if (cached) return cached;
    const [template] = await callGcp<Client>(this.policy, 'instanceTemplates.get', templateUrl, () =>
      this.clients.instanceTemplates.get(
        { project, instanceTemplate: lastSegment(templateUrl) },
        gaxOptions(this.policy),
      ),
    );
    const machineType = lastSegment(String(template?.properties?.machineType ?? 'unknown'));
    this.clients.templateMachineTypes.set(templateUrl, machineType);
    return machineType;
  }

  /**
   * The group's state. `maxAgeMs` > 0 lets a capacity read take the answer of a read of the same group that
   * started at most that long ago (../shared-reads.ts); 0 (ticks, releases) always reads.
   */
  async observe(ref: MigRef, pool: CapacityPool, maxAgeMs = 0): Promise<MigObservation> {
    const resource = migResourceName(ref);
    const client = this.#client(ref);
    // The group and its instances are read at the same time: neither request needs the other's answer.
    const [[manager], [instances]] = await this.clients.recentReads.read(resource, maxAgeMs, () =>
      Promise.all([
        callGcp<Client>(this.policy, 'instanceGroupManagers.get', resource, () =>
          client.get(this.#request(ref), gaxOptions(this.policy)),
        ),
        callGcp<Client>(this.policy, 'instanceGroupManagers.listManagedInstances', resource, () =>
          client.listManagedInstances(this.#request(ref), {
            ...gaxOptions(this.policy),
            autoPaginate: false,
            maxResults: 500,
          }),
        ) as Promise<[ManagedInstance[]]>,
      ]),
    );
    const instanceTemplate = String(manager?.instanceTemplate ?? manager?.versions?.[0]?.instanceTemplate ?? '');
    const instanceType = instanceTemplate ? await this.#machineType(ref.project, instanceTemplate) : pool.instanceType;
    const nodes: ObservedNode[] = [];
    const capacityErrors: CapacityErrorReport[] = [];
    const instanceUrls = new Map<string, string>();
    for (const managed of instances ?? []) {
      const url = String(managed.instance ?? '');
      const id = lastSegment(url);
      instanceUrls.set(id, url);
      const action = managed.currentAction ?? 'NONE';
      const running = managed.instanceStatus === 'RUNNING';
      const state: ObservedNode['state'] =
        action === 'DELETING' || action === 'ABANDONING'
          ? 'draining'
          : action === 'NONE' && running
            ? 'ready'
            : 'pending';
      nodes.push({ id, state });
      for (const error of managed.lastAttempt?.errors?.errors ?? []) {
        if (error.code && CAPACITY_ERROR_CODES.has(error.code)) {
          capacityErrors.push({
            poolId: pool.id,
            instanceType,
            capacityType: pool.capacityType,
            code: error.code,
            message: error.message ?? '',
            ...(ref.zone ? { zone: ref.zone } : {}),
          });
        }
      }
    }
    const ready = nodes.filter((node) => node.state === 'ready').length;
    const pending = nodes.filter((node) => node.state === 'pending').length;
    const targetSize = Number(manager?.targetSize ?? 0);
    return {
      pool: {
        poolId: pool.id,
        instanceType,
        capacityType: pool.capacityType,
        desired: targetSize,
        ready,
        pending,
        nodes,
      },
      targetSize,
      instanceTemplate,
      capacityErrors: dedupe(capacityErrors),
      instanceUrls,
    };
  }

  /** `requestId` makes a repeat of the same call (a re-driven decision) a no-op at Compute Engine. */
  async resize(ref: MigRef, size: number, requestId?: string): Promise<void> {
    const client = this.#client(ref);
    await this.#changing(ref, () =>
      callGcp<Client>(this.policy, 'instanceGroupManagers.resize', migResourceName(ref), () =>
        client.resize({ ...this.#request(ref), size, ...(requestId ? { requestId } : {}) }, gaxOptions(this.policy)),
      ),
    );
  }

  /**
   * Run a change to the group: its shared read is forgotten before the call and after it (even when the call
   * failed: it may have landed), so a read that overlapped the change is not kept either.
   */
  #changing<T>(ref: MigRef, change: () => Promise<T>): Promise<T> {
    return this.clients.recentReads.changing(migResourceName(ref), change);
  }

  /** Forget the group's shared read: the next capacity read asks Compute Engine (after a change to the group). */
  forget(ref: MigRef): void {
    this.clients.recentReads.forget(migResourceName(ref));
  }

  async targetSize(ref: MigRef): Promise<number> {
    const client = this.#client(ref);
    const [manager] = await callGcp<Client>(this.policy, 'instanceGroupManagers.get', migResourceName(ref), () =>
      client.get(this.#request(ref), gaxOptions(this.policy)),
    );
    return Number(manager?.targetSize ?? 0);
  }

  /**
   * Delete one instance and lower the target size by one. `skipInstancesOnValidationError` makes a repeat
   * (or an instance already gone) a no-op rather than an error: a release of a node that is gone is done.
   */
  async deleteInstance(ref: MigRef, instanceUrl: string): Promise<void> {
    const client = this.#client(ref);
    const resource = ref.zone
      ? 'instanceGroupManagersDeleteInstancesRequestResource'
      : 'regionInstanceGroupManagersDeleteInstancesRequestResource';
    await this.#changing(ref, () =>
      callGcp<Client>(this.policy, 'instanceGroupManagers.deleteInstances', migResourceName(ref), () =>
        client.deleteInstances(
          { ...this.#request(ref), [resource]: { instances: [instanceUrl], skipInstancesOnValidationError: true } },
          gaxOptions(this.policy),
        ),
      ),
    );
  }

  /**
   * Roll the group to `machineType`: a new template (the current one with the new machine type; its name is
   * derived from both, so a repeat finds it and goes on), then a proactive update that surges new instances
   * before removing old ones (`maxUnavailable` 0), then the target size.
   */
  async changeMachineType(ref: MigRef, machineType: string, count: number): Promise<string> {
    const [current] = await callGcp<Client>(this.policy, 'instanceGroupManagers.get', migResourceName(ref), () =>
      this.#client(ref).get(this.#request(ref), gaxOptions(this.policy)),
    );
    const currentTemplate = String(current?.instanceTemplate ?? '');
    const [template] = await callGcp<Client>(this.policy, 'instanceTemplates.get', currentTemplate, () =>
      this.clients.instanceTemplates.get(
        { project: ref.project, instanceTemplate: lastSegment(currentTemplate) },
        gaxOptions(this.policy),
      ),
    );
    const name = templateName(ref.name, machineType);
    const properties = { ...(template?.properties ?? {}), machineType };
    try {
      await callGcp<Client>(
        this.policy,
        'instanceTemplates.insert',
        `projects/${ref.project}/global/instanceTemplates/${name}`,
        () =>
          this.clients.instanceTemplates.insert(
            { project: ref.project, instanceTemplateResource: { name, properties } },
            gaxOptions(this.policy),
          ),
      );
    } catch (error) {
      if (!/ALREADY_EXISTS|already exists/.test(String((error as Error).message))) throw error;
    }
    const newTemplate = `projects/${ref.project}/global/instanceTemplates/${name}`;
    const surge = Math.max(1, count);
    const patch = () =>
      this.#client(ref).patch(
        {
          ...this.#request(ref),
          instanceGroupManagerResource: {
            versions: [{ instanceTemplate: newTemplate }],
            updatePolicy: {
              type: 'PROACTIVE',
              minimalAction: 'REPLACE',
              replacementMethod: 'SUBSTITUTE',
              maxSurge: { fixed: surge },
              maxUnavailable: { fixed: 0 },
            },
          },
        },
        gaxOptions(this.policy),
      );
    await this.#changing(ref, () =>
      callGcp<Client>(this.policy, 'instanceGroupManagers.patch', migResourceName(ref), patch),
    );
    await this.resize(ref, count);
    return newTemplate;
  }
}

/**
 * `tide-<group>-<machine type>`, lower case, cut to Compute Engine's 63 characters: derived from the group and
 * the type only, so a redelivered change finds the template it made and a later change back reuses it.
 */
export function templateName(group: string, machineType: string): string {
  let name = `tide-${group}-${machineType}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);
  while (name.endsWith('-')) name = name.slice(0, -1);
  return name;
}

function dedupe(reports: CapacityErrorReport[]): CapacityErrorReport[] {
  const seen = new Set<string>();
  return reports.filter((report) => {
    const key = `${report.poolId}:${report.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
