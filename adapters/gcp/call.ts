import { toActuatorError, classifyGcpError } from './errors.ts';
import type { CapacityType } from '../../core/schema/target.ts';

/** Bounds on every Google Cloud call Tide makes. */
export interface GcpCallPolicy {
  /** Per attempt, ms (the client's own retry is off: `retry: null`). */
  timeoutMs: number;
  /** Attempts in all, for throttles and transient failures. */
  attempts: number;
  /** First backoff, ms; full jitter, doubled each attempt. */
  baseDelayMs: number;
  /** Never wait longer than this between attempts, ms. */
  maxDelayMs: number;
}

export const DEFAULT_CALL_POLICY: GcpCallPolicy = {
  timeoutMs: 10_000,
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
};

/** The client call options that turn google-gax's own retries off, so ours are the only ones (bounded). */
export function gaxOptions(policy: GcpCallPolicy): { timeout: number; retry: null } {
  return { timeout: policy.timeoutMs, retry: null };
}

/**
 * Run one client call with bounded, jittered retries on throttling (429) and transient failures (5xx,
 * resets, timeouts). Anything else fails at once, mapped to the actuator port's typed errors.
 */
export async function callGcp<T>(
  policy: GcpCallPolicy,
  call: string,
  resource: string,
  run: () => Promise<T>,
  capacity?: { poolId: string; instanceType: string; capacityType: CapacityType },
  random: () => number = Math.random,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await run();
    } catch (error) {
      lastError = error;
      const kind = classifyGcpError(error).kind;
      if (kind !== 'throttled' && kind !== 'transient') break;
      if (attempt < policy.attempts) {
        await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * random());
      }
    }
  }
  throw toActuatorError(lastError, call, resource, capacity);
}
