/**
 * The reconciler: the one place where a committed decision's actions become {@link ActuatorPort} calls, in
 * the shape of Ray autoscaler v2's reconciler. It executes the actions in order, records per action whether
 * it was done, failed retryably or failed for good, and hands the cloud's capacity errors back as
 * `capacity-error` signals for the next decision ("errors as data"), so the core can fall back to another
 * pool instead of the shell failing the event.
 *
 * Every driver of `decide()` goes through it: the production shell (functions/shell/shell.ts), `tide
 * simulate` (simulator/tide.ts) and the spot bench (tools/bench/spot-bench.ts). Nothing else calls the
 * actuator's write methods.
 *
 * Which outcome an error gives (see {@link classifyActuatorError}):
 *
 * | error | outcome | why |
 * |---|---|---|
 * | `NodeNotFoundError` on a `drain-and-release` | done | the node is gone already (a spot reclaim raced the release) |
 * | `InsufficientCapacityError` | failed, plus a `capacity-error` signal | retrying now fails the same way; the next decision reacts |
 * | `PoolNotFoundError`, `NodeNotFoundError` otherwise, an error with `retryable: false` | failed | a redelivery cannot fix the request |
 * | `ThrottledError`, anything else | retryable | the platform redelivers and the outbox re-drives the decision |
 *
 * The first action that does not succeed stops the run: the later ones are `skipped`, because the core
 * orders them to depend on each other (a replacement is launched before the node it replaces is released).
 */
import type { Action } from '../../core/decision.ts';
import type { Signal } from '../../core/schema/signal.ts';
import {
  isInsufficientCapacityError,
  isNodeNotFoundError,
  isPoolNotFoundError,
  ThrottledError,
  type ActionResult,
  type ActuatorPort,
} from '../../adapters/ports/actuator.ts';

export type { ActionResult, ActionStatus } from '../../adapters/ports/actuator.ts';

/** What reconciling one decision came to. */
export interface Reconciliation {
  /** One entry per action, in order. */
  actions: ActionResult[];
  /** True when an action failed retryably: the caller should have the decision re-driven. */
  retry: boolean;
  /** `capacity-error` signals to decide on next (errors as data), in the order they happened. */
  signals: Signal[];
  /** The error that stopped the run (retryable or failed), as thrown, for callers that rethrow it. */
  error?: unknown;
}

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  /** Epoch ms: the `observedAt` of the signals produced. */
  now: number;
  /** The `source` of the signals produced (e.g. `tide-reconciler`, `simulated-ec2`). */
  source: string;
  /**
   * Prefix of the per-action idempotency keys passed to the port (`<prefix>:<index>`), normally the event
   * id: a re-drive of the same decision sends the same keys, which an adapter can pass on to the provider
   * (EC2's `ClientToken`, GCE's `requestId`) so a call that landed before a crash is not repeated.
   */
  idempotencyPrefix?: string;
}

/** The part of a decision the reconciler needs (a `Decision` or a stored `RecordedDecision`). */
export interface Reconcilable {
  actions: readonly Action[];
}

/** The default `source` of the capacity-error signals the shell feeds back. */
export const RECONCILER_SOURCE = 'tide-reconciler';

/**
 * Execute `decision.actions` in order through `actuator`. Never throws for an actuator error: every error
 * is classified and recorded (see the file's header).
 */
export async function reconcile(
  decision: Reconcilable,
  actuator: ActuatorPort,
  options: ReconcileOptions,
): Promise<Reconciliation> {
  const results: ActionResult[] = [];
  const signals: Signal[] = [];
  let stoppedBy: { error: unknown } | undefined;
  for (const [index, action] of decision.actions.entries()) {
    if (stoppedBy) {
      results.push({ index, type: action.type, status: 'skipped' });
      continue;
    }
    const key = options.idempotencyPrefix === undefined ? undefined : `${options.idempotencyPrefix}:${index}`;
    try {
      const instanceIds = await execute(actuator, action, key);
      results.push({ index, type: action.type, status: 'done', ...(instanceIds ? { instanceIds } : {}) });
    } catch (error) {
      const classified = classifyActuatorError(action, error);
      if (classified.status === 'done') {
        results.push({ index, type: action.type, status: 'done', note: classified.note });
        continue;
      }
      results.push({ index, type: action.type, status: classified.status, error: describeError(error) });
      if (isInsufficientCapacityError(error)) {
        signals.push({
          kind: 'capacity-error',
          poolId: error.poolId,
          instanceType: error.instanceType,
          capacityType: error.capacityType,
          code: error.code,
          message: error.message,
          observedAt: options.now,
          source: options.source,
        });
      }
      stoppedBy = { error };
    }
  }
  return {
    actions: results,
    retry: results.some((result) => result.status === 'retryable'),
    signals,
    ...(stoppedBy ? { error: stoppedBy.error } : {}),
  };
}

/** How an actuator error counts for `action` (see the table in the file's header). */
export function classifyActuatorError(
  action: Action,
  error: unknown,
): { status: 'done'; note: string } | { status: 'retryable' | 'failed' } {
  if (action.type === 'drain-and-release' && isNodeNotFoundError(error))
    return { status: 'done', note: `node ${action.instanceId} was already gone` };
  if (error instanceof ThrottledError) return { status: 'retryable' };
  if (isInsufficientCapacityError(error) || isPoolNotFoundError(error) || isNodeNotFoundError(error))
    return { status: 'failed' };
  if ((error as { retryable?: unknown } | null)?.retryable === false) return { status: 'failed' };
  return { status: 'retryable' };
}

/** Carry out one action through the port; resolves to the new instances' ids for a launch. */
// biome-ignore lint/suspicious/noConfusingVoidType: the port's methods resolve to void; only a launch resolves to ids
async function execute(actuator: ActuatorPort, action: Action, key: string | undefined): Promise<string[] | void> {
  const idempotency = key === undefined ? {} : { idempotencyKey: key };
  switch (action.type) {
    case 'set-capacity':
      return actuator.setCapacity({ poolId: action.poolId, desired: action.to, ...idempotency });
    case 'launch-capacity':
      return actuator.launchCapacity({
        poolId: action.poolId,
        instanceType: action.instanceType,
        capacityType: action.capacityType,
        count: action.count,
        ...(action.replacesInstanceId ? { replacesInstanceId: action.replacesInstanceId } : {}),
        ...idempotency,
      });
    case 'change-instance-type':
      return actuator.changeInstanceType({
        poolId: action.poolId,
        toInstanceType: action.toInstanceType,
        count: action.count,
        ...idempotency,
      });
    case 'drain-and-release':
      return actuator.drainAndRelease({ poolId: action.poolId, instanceId: action.instanceId, ...idempotency });
    case 'request-checkpoint':
      return actuator.requestCheckpoint({
        jobId: action.jobId,
        instanceIds: action.instanceIds,
        deadlineAt: action.deadlineAt,
        ...idempotency,
      });
  }
}

function describeError(error: unknown): NonNullable<ActionResult['error']> {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}
