/**
 * Long-running operations Tide started and has not seen finish. Azure answers a change with 202 and an
 * `Azure-AsyncOperation` (or `Location`) URL; Tide sends the request, records the poller's serialized state
 * here, and returns: a function never waits on an operation. Each later tick polls every recorded operation
 * once; a finished one is dropped, a failed one becomes a report (a capacity error when Azure ran out).
 */

/** A small key-value store for operation records (memory by default; any durable store fits). */
export interface OperationStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix: string): Promise<string[]>;
}

export function createMemoryOperationStore(): OperationStore {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key) ?? null,
    set: async (key, value) => void values.set(key, value),
    delete: async (key) => void values.delete(key),
    keys: async (prefix) => [...values.keys()].filter((key) => key.startsWith(prefix)),
  };
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
