import type { Action, Decision } from '../../core/decision.ts';
import type { CapacityType, ObservedCapacity, Provider, Target } from '../../core/schema/target.ts';
import type { Policy } from '../../core/schema/policy.ts';

/**
 * The actuator port: everything Tide asks of a cloud to change a target's capacity. The provider adapters
 * (SageMaker, EC2 Auto Scaling, GCE managed instance groups, Vertex AI, Azure ML, VM scale sets) implement
 * it with SDK calls; `adapters/fake-cloud/cloud.ts` implements it in memory for the simulator, the embedded
 * default and tests. Every method maps provider errors to the typed errors below so the reconciler
 * (functions/shell/reconciler.ts, the only caller of the write methods) can feed them back into the next
 * decision as data (a `capacity-error` signal), as Ray's reconciler does.
 *
 * One port serves one target: `readCapacity` takes the target's id for the adapters that serve several,
 * the write methods name pools of that target. An {@link ActuatorResolver} picks the port for a target.
 */
export interface ActuatorPort {
  /** What the provider reports now about every pool of the target (desired, ready, pending, nodes). */
  readCapacity(targetId: string): Promise<ObservedCapacity>;
  /** Set a pool's desired count; the provider launches or terminates to match. */
  setCapacity(request: SetCapacityRequest): Promise<void>;
  /** Move a pool to another instance type, rolling (new capacity first, then the old is released). */
  changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void>;
  /** Add capacity to a pool, spot or on-demand; resolves to the new instances' ids. */
  launchCapacity(request: LaunchCapacityRequest): Promise<string[]>;
  /** Stop sending work to one node, then release it (the pool's desired count drops by one). */
  drainAndRelease(request: DrainAndReleaseRequest): Promise<void>;
  /** Ask the training job on these instances to write a checkpoint before `deadlineAt`. */
  requestCheckpoint(request: CheckpointRequest): Promise<void>;
  /**
   * Only on a port whose fleet is Tide's own record (shadow mode, which has no cloud to ask): the shell then
   * reads the capacity from the state it loaded, and keeps the fleet after each decision with the commit,
   * instead of calling `readCapacity`.
   */
  readonly recorded?: RecordedCapacity;
}

/** How a port's capacity is read from, and kept in, the target's state (see {@link ActuatorPort.recorded}). */
export interface RecordedCapacity {
  /**
   * The capacity the recorded fleet describes, observed `now`; null when there is no record (a target never
   * decided on in this mode, or whose state expired): the shell then calls `readCapacity` once.
   */
  read(fleet: RecordedFleet | null, policy: Policy, now: number): ObservedCapacity | null;
  /** The fleet after `decision`, made on `observed`, took effect (what `read` gets at the next event). */
  after(observed: ObservedCapacity, decision: Omit<Decision, 'memory'>): RecordedFleet;
}

/**
 * The fleet as Tide's own decisions describe it, per pool: what shadow mode observes, since it has no cloud
 * to ask. Kept in the target's state and written by the commit, so observing costs no read of its own.
 */
export interface RecordedFleet {
  pools: { poolId: string; instanceType: string; desired: number }[];
}

/** What became of one action of a committed decision (the reconciler's record, kept in the audit entry). */
export type ActionStatus =
  /** The provider accepted the call (or the node to release was already gone). */
  | 'done'
  /** The call failed in a way a redelivery may fix (throttling, a network error): the decision is re-driven. */
  | 'retryable'
  /** The call failed in a way retrying will not fix now (no capacity, no such pool). */
  | 'failed'
  /** Not attempted: an earlier action of the same decision did not succeed. */
  | 'skipped';

/** The record of one action, plain data (the shell's result, its logs and the decision's audit entry). */
export interface ActionResult {
  /** Position of the action in `decision.actions`. */
  index: number;
  type: Action['type'];
  status: ActionStatus;
  /** For `launch-capacity` done: the ids the provider gave the new instances. */
  instanceIds?: string[];
  /** A note in words, e.g. why a failed release counts as done. */
  note?: string;
  /** For `retryable` and `failed`: the error, without its stack. */
  error?: { name: string; message: string; code?: string };
}

/**
 * Fields every write request carries. `idempotencyKey` is the same on every re-drive of one decision's
 * action (`<eventId>:<action index>`): an adapter may pass it to the provider (EC2 `ClientToken`, GCE
 * `requestId`, Azure's `x-ms-client-request-id`) so a call that landed before a crash is not repeated.
 */
export interface ActuatorRequest {
  idempotencyKey?: string;
}

/** Arguments of {@link ActuatorPort.setCapacity}. */
export interface SetCapacityRequest extends ActuatorRequest {
  poolId: string;
  /** Replicas or nodes, ≥ 0. */
  desired: number;
}

/** Arguments of {@link ActuatorPort.changeInstanceType}. */
export interface ChangeInstanceTypeRequest extends ActuatorRequest {
  poolId: string;
  toInstanceType: string;
  /** Replicas or nodes of the new type to bring up. */
  count: number;
}

/** Arguments of {@link ActuatorPort.launchCapacity}. */
export interface LaunchCapacityRequest extends ActuatorRequest {
  poolId: string;
  instanceType: string;
  capacityType: CapacityType;
  count: number;
  /** The interrupted instance this replaces, if any (it is not released by this call). */
  replacesInstanceId?: string;
}

/** Arguments of {@link ActuatorPort.drainAndRelease}. */
export interface DrainAndReleaseRequest extends ActuatorRequest {
  poolId: string;
  instanceId: string;
}

/** Arguments of {@link ActuatorPort.requestCheckpoint}. */
export interface CheckpointRequest extends ActuatorRequest {
  jobId: string;
  instanceIds: string[];
  /** Epoch ms by which the checkpoint must be written. */
  deadlineAt: number;
}

/**
 * Picks the actuator port for a target (target -> port). One process may serve targets on several clouds
 * (`tide serve`), so the shell asks for the port per delivery; build one with {@link actuatorsByProvider}.
 */
export type ActuatorResolver = (target: Target) => ActuatorPort;

/**
 * An {@link ActuatorResolver} routing by `target.provider` to one factory per cloud. A target whose provider
 * has no factory gets an {@link UnsupportedProviderError} (not retryable: redelivering will not add one).
 */
export function actuatorsByProvider(factories: Partial<Record<Provider, (target: Target) => ActuatorPort>>) {
  return (target: Target): ActuatorPort => {
    const factory = factories[target.provider];
    if (!factory) throw new UnsupportedProviderError(target.id, target.provider, Object.keys(factories));
    return factory(target);
  };
}

/** Base of the actuator's typed errors; `cause` keeps the provider's own error. */
export class ActuatorError extends Error {
  override readonly name: string = 'ActuatorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The provider had no capacity for the request (AWS InsufficientInstanceCapacity, GCP
 * ZONE_RESOURCE_POOL_EXHAUSTED, Azure SkuNotAvailable / AllocationFailed). `launched` says how many of the
 * requested instances did start before the provider ran out.
 */
export class InsufficientCapacityError extends ActuatorError {
  override readonly name = 'InsufficientCapacityError';
  constructor(
    readonly poolId: string,
    readonly instanceType: string,
    readonly capacityType: CapacityType,
    /** Provider error code, e.g. `InsufficientInstanceCapacity`. */
    readonly code: string,
    readonly launched: number = 0,
    options?: { cause?: unknown },
  ) {
    super(`no ${capacityType} capacity for ${instanceType} in pool ${poolId} (${code}); launched ${launched}`, options);
  }
}

/** The pool named in a request does not exist. */
export class PoolNotFoundError extends ActuatorError {
  override readonly name = 'PoolNotFoundError';
  /** `detail` names the provider resource and call, e.g. `SetDesiredCapacity: no Auto Scaling group "gpu-spot"`. */
  constructor(
    readonly poolId: string,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ? `no pool "${poolId}": ${detail}` : `no pool "${poolId}"`, options);
  }
}

/** The node named in a request is not (or no longer) in the pool: already released or interrupted. */
export class NodeNotFoundError extends ActuatorError {
  override readonly name = 'NodeNotFoundError';
  constructor(
    readonly poolId: string,
    readonly instanceId: string,
  ) {
    super(`no node "${instanceId}" in pool ${poolId}`);
  }
}

/** The provider refused the call for its rate limit (ThrottlingException, 429); retry later. */
export class ThrottledError extends ActuatorError {
  override readonly name = 'ThrottledError';
  /** Delivering the event again may succeed once the rate limit passes. */
  readonly retryable = true;
}

/** The provider failed or did not answer (5xx, connection reset, timeout) after the client's bounded retries. */
export class ProviderUnavailableError extends ActuatorError {
  override readonly name = 'ProviderUnavailableError';
  readonly retryable = true;
}

/** Tide's role may not make this call on this resource; redelivery fails the same way until IAM changes. */
export class AccessDeniedError extends ActuatorError {
  override readonly name = 'AccessDeniedError';
  /** IAM does not change by redelivering the event. */
  readonly retryable = false;
  constructor(
    /** The provider call, e.g. `sagemaker:UpdateEndpointWeightsAndCapacities`. */
    readonly call: string,
    /** The resource it was made on, e.g. `endpoint/llm-prod`. */
    readonly resource: string,
    options?: { cause?: unknown },
  ) {
    super(`access denied: ${call} on ${resource}`, options);
  }
}

/**
 * The resource is busy with an earlier change (a SageMaker endpoint in `Updating`): not retried blindly.
 * The action waits for the next decision, which observes the change's progress.
 */
export class ResourceBusyError extends ActuatorError {
  override readonly name = 'ResourceBusyError';
  /** The next decision, not a redelivery, takes the change up again. */
  readonly retryable = false;
  constructor(
    readonly resource: string,
    readonly status: string,
    options?: { cause?: unknown },
  ) {
    super(`${resource} is ${status}: the change waits for the next decision`, options);
  }
}

/** The provider refused the request as invalid (a count above the group's maximum, a bad name). */
export class ProviderRejectedError extends ActuatorError {
  override readonly name = 'ProviderRejectedError';
  /** The same request is refused the same way. */
  readonly retryable = false;
  constructor(
    readonly call: string,
    readonly resource: string,
    /** Provider error code, e.g. `ValidationError`. */
    readonly code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${call} on ${resource} rejected (${code}): ${detail}`, options);
  }
}

/** No actuator is configured for the target's provider in this deployment. */
export class UnsupportedProviderError extends ActuatorError {
  override readonly name = 'UnsupportedProviderError';
  /** A deployment does not gain an actuator by redelivering the event. */
  readonly retryable = false;
  constructor(
    readonly targetId: string,
    readonly provider: string,
    configured: readonly string[],
  ) {
    super(
      `no actuator for provider "${provider}" (target ${targetId}); this deployment has: ${configured.join(', ') || 'none'}`,
    );
  }
}

/** Whether `error` is an {@link InsufficientCapacityError}. */
export function isInsufficientCapacityError(error: unknown): error is InsufficientCapacityError {
  return error instanceof InsufficientCapacityError;
}

/** Whether `error` is a {@link NodeNotFoundError}. */
export function isNodeNotFoundError(error: unknown): error is NodeNotFoundError {
  return error instanceof NodeNotFoundError;
}

/** Whether `error` is a {@link PoolNotFoundError}. */
export function isPoolNotFoundError(error: unknown): error is PoolNotFoundError {
  return error instanceof PoolNotFoundError;
}

/** Whether delivering the event again may help (an {@link ActuatorError} with `retryable: true`). */
export function isRetryableActuatorError(error: unknown): boolean {
  return error instanceof ActuatorError && (error as { retryable?: unknown }).retryable === true;
}
