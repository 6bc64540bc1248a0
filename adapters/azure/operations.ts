/**
 * Long-running operations Tide started and has not seen finish. Azure answers a change with 202 and an
 * `Azure-AsyncOperation` (or `Location`) URL; Tide sends the request, records the poller's serialized state
 * here, and returns: a function never waits on an operation. Each later tick polls every recorded operation
 * once; a finished one is dropped, a failed one becomes a report (a capacity error when Azure ran out).
 */

import { MemoryProviderRecords, type ProviderRecordStore } from '../state/provider-records.ts';

/**
 * Where operations and moves are recorded: the deployment's state store (`StateStore.records`: Redis, Upstash,
 * or the memory store), so an instance started cold mid-move carries on. Keys: `azure-op:<target>:…` (one group
 * per target, listed each tick) and `azure-ml:<deployment id>:<what>`.
 */
export type OperationStore = ProviderRecordStore;

/** An operation is polled for a day at most (Azure's own operations end within hours). */
export const OPERATION_TTL_MS = 86_400_000;
/** A move's handover record: a week, rewritten at every step. */
export const MOVE_TTL_MS = 7 * 86_400_000;
/** Which deployment serves after a move, and an autoscale setting Tide took over: 400 days (rewritten on change). */
export const BINDING_TTL_MS = 400 * 86_400_000;

/** A store in this process's memory (tests, and an actuator given no store). */
export function createMemoryOperationStore(now: () => number = Date.now): OperationStore {
  return new MemoryProviderRecords(now);
}

/** One recorded operation. */
export interface OperationRecord {
  /** The SDK method that started it, e.g. `virtualMachineScaleSets.update`. */
  call: string;
  /** The resource it acts on. */
  resource: string;
  poolId: string;
  /** The poller's serialized state (core-lro). */
  state: string;
  /** Epoch ms. */
  startedAt: number;
}

/** How a recorded operation stands after one poll. */
export type OperationOutcome =
  | { status: 'running' }
  | { status: 'succeeded' }
  | { status: 'failed'; code: string; message: string };
