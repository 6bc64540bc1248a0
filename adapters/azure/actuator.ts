/**
 * The Azure actuator: Tide's actuator port over one target's pools, each bound to a virtual machine scale
 * set or an Azure ML managed online deployment (core/schema/resource-azure.ts). Every call is bounded
 * (call.ts) and every failure is one of the port's typed errors. Changes are long-running operations in
 * Azure: each is started, its poller recorded (operations.ts), and polled once per later tick by `advance()`;
 * allocation and quota failures (on the operation, or on instances) come back from `observe()` as
 * capacity-error reports for the next decision.
 */
import type { CapacityPool, ObservedCapacity, Target } from '../../core/schema/target.ts';
import type { AzurePoolBinding, AzureResource, VmssBinding } from '../../core/schema/resource-azure.ts';
import {
  NodeNotFoundError,
  PoolNotFoundError,
  ProviderRejectedError,
  type ActuatorPort,
  type ChangeInstanceTypeRequest,
  type CheckpointRequest,
  type DrainAndReleaseRequest,
  type LaunchCapacityRequest,
  type SetCapacityRequest,
} from '../ports/actuator.ts';
import { requestCheckpointAt } from '../checkpoint/https.ts';
import { DEFAULT_AZURE_CALL_POLICY, type AzureCallPolicy } from './call.ts';
import type { CapacityErrorReport } from '../ports/capacity-errors.ts';
import { AzureClients, type AzureClientOptions, type Client } from './clients.ts';
import { capacityCodeOf } from './errors.ts';
import { MlDriver } from './ml.ts';
import {
  createMemoryOperationStore,
  OPERATION_TTL_MS,
  type OperationOutcome,
  type OperationRecord,
  type OperationStore,
} from './operations.ts';
import { VmssDriver, type Started, type VmssRef } from './vmss.ts';

export type CheckpointSender = (request: CheckpointRequest) => Promise<void>;

export interface AzureActuatorOptions {
  clients?: AzureClients;
  client?: AzureClientOptions;
  policy?: Partial<AzureCallPolicy>;
  /**
   * Where started operations and rolling moves are recorded: the state store's records (`StateStore.records`),
   * so a cold start mid-move carries on. Default: this process's memory (tests, and a runtime without a store).
   */
  operations?: OperationStore;
  sendCheckpoint?: CheckpointSender;
  env?: Record<string, string | undefined>;
  checkpointTls?: { ca?: string | Buffer };
  now?: () => number;
}

export interface AzureObservation {
  capacity: ObservedCapacity;
  capacityErrors: CapacityErrorReport[];
}

/** What one `advance()` saw: operations that finished or failed, and steps of moves taken. */
export interface AzureAdvance {
  capacityErrors: CapacityErrorReport[];
  notes: string[];
}

/** One store per process when none is given, so operations started by one invocation are seen by the next. */
const processOperations = createMemoryOperationStore();

export class AzureActuator implements ActuatorPort {
  readonly clients: AzureClients;
  readonly #vmss: VmssDriver;
  readonly #ml: MlDriver;
  readonly #operations: OperationStore;
  readonly #policy: AzureCallPolicy;
  readonly #now: () => number;
  private readonly resources: AzureResource;

  constructor(
    private readonly target: Target,
    private readonly options: AzureActuatorOptions = {},
  ) {
    if (target.resource?.provider !== 'azure') {
      throw new ProviderRejectedError(
        'azure',
        `target/${target.id}`,
        'NoResource',
        'the target has no Azure resource block (resource.provider: azure)',
      );
    }
    this.resources = target.resource;
    this.#policy = { ...DEFAULT_AZURE_CALL_POLICY, ...options.policy };
    this.clients = options.clients ?? new AzureClients(options.client);
    this.#operations = options.operations ?? processOperations;
    this.#vmss = new VmssDriver(this.clients, this.#policy);
    this.#ml = new MlDriver(this.clients, this.#policy, this.#operations);
    this.#now = options.now ?? Date.now;
  }

  #pool(poolId: string): { pool: CapacityPool; binding: AzurePoolBinding } {
    const pool = this.target.pools.find((candidate) => candidate.id === poolId);
    const binding = Object.hasOwn(this.resources.pools, poolId) ? this.resources.pools[poolId] : undefined;
    if (!pool || !binding) throw new PoolNotFoundError(poolId);
    return { pool, binding };
  }

  #ref(binding: VmssBinding): VmssRef {
    return { subscriptionId: this.resources.subscriptionId, resourceGroup: binding.resourceGroup, name: binding.name };
  }

  #context(pool: CapacityPool) {
    return { poolId: pool.id, instanceType: pool.instanceType, capacityType: pool.capacityType };
  }

  async #record(poolId: string, started: Started): Promise<void> {
    const record: OperationRecord = {
      call: started.call,
      resource: started.resource,
      poolId,
      state: await started.poller.serialize(),
      startedAt: this.#now(),
    };
    // Idempotent: the same operation recorded twice (a retried write) is one key.
    await this.#operations.set(
      `azure-op:${this.target.id}:${poolId}:${record.startedAt}:${started.call}`,
      JSON.stringify(record),
      OPERATION_TTL_MS,
    );
  }

  async observe(): Promise<AzureObservation> {
    const parts = await Promise.all(
      this.target.pools.map(async (pool) => {
        const { binding } = this.#pool(pool.id);
        if (binding.kind === 'vmss') {
          const observation = await this.#vmss.observe(this.#ref(binding), pool);
          return { pool: observation.pool, errors: observation.capacityErrors };
        }
        return { pool: await this.#ml.observe(this.resources.subscriptionId, binding, pool), errors: [] };
      }),
    );
    return {
      capacity: { observedAt: this.#now(), pools: parts.map((part) => part.pool) },
      capacityErrors: parts.flatMap((part) => part.errors),
    };
  }

  async readCapacity(_targetId: string): Promise<ObservedCapacity> {
    return (await this.observe()).capacity;
  }

  async setCapacity(request: SetCapacityRequest): Promise<void> {
    const { binding, pool } = this.#pool(request.poolId);
    if (binding.kind === 'vmss') {
      await this.#record(pool.id, await this.#vmss.resize(this.#ref(binding), request.desired, this.#context(pool)));
      return;
    }
    await this.#ml.setInstanceCount(this.resources.subscriptionId, binding, request.desired);
  }

  async changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void> {
    const { binding, pool } = this.#pool(request.poolId);
    if (binding.kind === 'vmss') {
      const started = await this.#vmss.changeSku(
        this.#ref(binding),
        request.toInstanceType,
        request.count,
        this.#context(pool),
      );
      await this.#record(pool.id, started);
      return;
    }
    await this.#ml.moveTo(this.resources.subscriptionId, binding, request.toInstanceType, request.count);
  }

  /**
   * Grow a pool by `count`; Azure names the new instances as it creates them (the next observation has them).
   * Both are idempotent by the request's key: the base rides in a tide-launch tag (launch-tag.ts).
   */
  async launchCapacity(request: LaunchCapacityRequest): Promise<string[]> {
    const { binding, pool } = this.#pool(request.poolId);
    if (binding.kind === 'vmss') {
      const started = await this.#vmss.launch(
        this.#ref(binding),
        request.count,
        request.idempotencyKey,
        this.#context(pool),
      );
      await this.#record(pool.id, started);
      return [];
    }
    await this.#ml.launch(this.resources.subscriptionId, binding, request.count, request.idempotencyKey);
    return [];
  }

  async drainAndRelease(request: DrainAndReleaseRequest): Promise<void> {
    const { binding, pool } = this.#pool(request.poolId);
    if (binding.kind !== 'vmss') {
      throw new ProviderRejectedError(
        'onlineDeployments.update',
        binding.deployment,
        'Unsupported',
        'Azure ML instances are not released one by one; set the count instead',
      );
    }
    const ref = this.#ref(binding);
    const { instanceIds } = await this.#vmss.observe(ref, pool);
    const id = instanceIds.get(request.instanceId);
    if (id === undefined) throw new NodeNotFoundError(request.poolId, request.instanceId);
    await this.#record(pool.id, await this.#vmss.deleteInstance(ref, id));
  }

  async requestCheckpoint(request: CheckpointRequest): Promise<void> {
    if (this.options.sendCheckpoint) return this.options.sendCheckpoint(request);
    await requestCheckpointAt(this.resources.checkpoint, this.target.id, request, {
      now: this.#now,
      ...(this.options.env ? { env: this.options.env } : {}),
      ...(this.options.checkpointTls ? { tls: this.options.checkpointTls } : {}),
    });
  }

  /** Poll every recorded operation of this target once, and take the next step of Azure ML moves. */
  async advance(): Promise<AzureAdvance> {
    const result: AzureAdvance = { capacityErrors: [], notes: [] };
    for (const key of await this.#operations.keys(`azure-op:${this.target.id}:`)) {
      const raw = await this.#operations.get(key);
      if (!raw) continue;
      const record = JSON.parse(raw) as OperationRecord;
      const outcome = await this.#poll(record);
      if (outcome.status === 'running') continue;
      // The operation changed the instances (booted, deleted): the next observation lists them again.
      this.clients.forgetScaleSet(record.resource);
      await this.#operations.delete(key);
      if (outcome.status === 'succeeded') {
        result.notes.push(`${record.call} on ${record.resource} succeeded`);
        continue;
      }
      result.notes.push(`${record.call} on ${record.resource} failed: ${outcome.code}: ${outcome.message}`);
      const capacityCode = capacityCodeOf(outcome.code, outcome.message);
      const pool = this.target.pools.find((candidate) => candidate.id === record.poolId);
      if (capacityCode && pool) {
        result.capacityErrors.push({
          poolId: pool.id,
          instanceType: pool.instanceType,
          capacityType: pool.capacityType,
          code: capacityCode,
          message: outcome.message,
          ...(pool.zone ? { zone: pool.zone } : {}),
        });
      }
    }
    for (const pool of this.target.pools) {
      const { binding } = this.#pool(pool.id);
      if (binding.kind === 'ml-online-deployment') {
        const note = await this.#ml.advance(this.resources.subscriptionId, binding);
        if (note) result.notes.push(note);
      }
    }
    return result;
  }

  /** One poll of a recorded operation, through the SDK's own poller restored from its state. */
  async #poll(record: OperationRecord): Promise<OperationOutcome> {
    const compute = this.clients.compute(this.resources.subscriptionId);
    const source: Client =
      record.call === 'virtualMachineScaleSets.deleteInstances'
        ? compute.virtualMachineScaleSets.deleteInstances
        : compute.virtualMachineScaleSets.update;
    const poller = this.clients.restoreComputePoller(compute, record.state, source);
    try {
      await poller.poll({ abortSignal: AbortSignal.timeout(this.#policy.timeoutMs) });
    } catch (error) {
      // A failed poll request (throttled, unavailable, timed out) says nothing of the operation: next tick.
      if (poller.operationState?.status !== 'failed') return { status: 'running' };
      return { status: 'failed', ...operationError(error) };
    }
    const state = poller.operationState;
    if (state?.status === 'succeeded') return { status: 'succeeded' };
    if (state?.status === 'failed' || state?.status === 'canceled') {
      return { status: 'failed', ...operationError(state.error ?? new Error(state.status)) };
    }
    return { status: 'running' };
  }

  /** The target leaves Tide: give Azure ML deployments back to the autoscale settings Tide took over. */
  async release(): Promise<void> {
    for (const pool of this.target.pools) {
      const { binding } = this.#pool(pool.id);
      if (binding.kind === 'ml-online-deployment') await this.#ml.release(this.resources.subscriptionId, binding);
    }
  }
}

const FAILED = 'The long-running operation has failed. ';

/**
 * ARM's error code and message of a failed operation. core-lro reports it as one string,
 * `The long-running operation has failed. <code>. <message>`; a RestError carries `code` itself.
 */
export function operationError(error: unknown): { code: string; message: string } {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = String(e.message ?? '').slice(0, 1000);
  if (typeof e.code === 'string' && e.code) return { code: e.code, message: text.slice(0, 500) };
  if (text.startsWith(FAILED)) {
    const rest = text.slice(FAILED.length);
    const dot = rest.indexOf('. ');
    if (dot > 0) return { code: rest.slice(0, dot), message: rest.slice(dot + 2, dot + 502) };
  }
  return { code: 'Failed', message: text.slice(0, 500) };
}
