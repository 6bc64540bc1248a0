/**
 * Google Cloud errors as the actuator port's typed errors. The clients raise `GoogleError` with a gRPC code
 * (REST answers are mapped to it: 429 → 8 RESOURCE_EXHAUSTED, 503 or a reset connection → 14 UNAVAILABLE,
 * 403 → 7 PERMISSION_DENIED, 404 → 5 NOT_FOUND), and Compute Engine reports stockouts and quota inside an
 * operation's or an instance's `errors` list, with codes such as `ZONE_RESOURCE_POOL_EXHAUSTED`.
 */
import { ActuatorError, InsufficientCapacityError, ThrottledError } from '../ports/actuator.ts';
import type { CapacityType } from '../../core/schema/target.ts';

/** Compute Engine error codes that mean "no capacity (or quota) for this request here, try another pool". */
export const CAPACITY_ERROR_CODES: ReadonlySet<string> = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'QUOTA_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'STOCKOUT',
  'RESOURCE_POOL_EXHAUSTED',
]);

/** A Google Cloud call that failed in a way a retry will not fix: access denied, not found, invalid. */
export class GcpRequestError extends ActuatorError {
  override readonly name = 'GcpRequestError';
  readonly retryable = false;
  constructor(
    /** The client method, e.g. `instanceGroupManagers.resize`. */
    readonly call: string,
    /** The resource it named. */
    readonly resource: string,
    /** The gRPC status name, e.g. `PERMISSION_DENIED`. */
    readonly status: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${call} on ${resource} failed: ${status}: ${message}`, options);
  }
}

/** A Google Cloud call that failed transiently (5xx, reset, timeout) after its bounded retries. */
export class GcpUnavailableError extends ActuatorError {
  override readonly name = 'GcpUnavailableError';
  readonly retryable = true;
  constructor(
    readonly call: string,
    readonly resource: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${call} on ${resource} is unavailable: ${message}`, options);
  }
}

const GRPC_STATUS: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

interface GoogleErrorLike {
  code?: unknown;
  httpStatusCode?: unknown;
  message?: unknown;
  reason?: unknown;
}

/** What kind of failure an error from a client is. */
export type GcpFailure =
  | { kind: 'throttled' }
  | { kind: 'transient' }
  | { kind: 'capacity'; code: string }
  | { kind: 'permanent'; status: string };

/** Classify a client error: 429 and rate limits are throttles, 5xx/resets/timeouts transient, quota capacity. */
export function classifyGcpError(error: unknown): GcpFailure {
  const e = (error ?? {}) as GoogleErrorLike;
  const code = typeof e.code === 'number' ? e.code : undefined;
  const http = typeof e.httpStatusCode === 'number' ? e.httpStatusCode : undefined;
  const text = `${typeof e.message === 'string' ? e.message : ''} ${typeof e.reason === 'string' ? e.reason : ''}`;
  const capacityCode = [...CAPACITY_ERROR_CODES].find((candidate) => text.includes(candidate));
  if (capacityCode && capacityCode !== 'RESOURCE_EXHAUSTED') return { kind: 'capacity', code: capacityCode };
  if (/quota/i.test(text) && (code === 8 || code === 7 || http === 403))
    return { kind: 'capacity', code: 'QUOTA_EXCEEDED' };
  if (http === 429 || code === 8) return { kind: 'throttled' };
  if (code === 14 || code === 4 || code === 13 || code === 10 || (http !== undefined && http >= 500))
    return { kind: 'transient' };
  if (code === undefined && http === undefined) return { kind: 'transient' }; // a network error before any answer
  return { kind: 'permanent', status: code !== undefined ? (GRPC_STATUS[code] ?? `code ${code}`) : `HTTP ${http}` };
}

/** The typed error for a call that failed for good, or after its retries. */
export function toActuatorError(
  error: unknown,
  call: string,
  resource: string,
  capacity?: { poolId: string; instanceType: string; capacityType: CapacityType },
): Error {
  const failure = classifyGcpError(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (failure.kind) {
    case 'throttled':
      return new ThrottledError(`${call} on ${resource} was throttled: ${message}`, { cause: error });
    case 'transient':
      return new GcpUnavailableError(call, resource, message, { cause: error });
    case 'capacity':
      return capacity
        ? new InsufficientCapacityError(
            capacity.poolId,
            capacity.instanceType,
            capacity.capacityType,
            failure.code,
            0,
            { cause: error },
          )
        : new GcpRequestError(call, resource, failure.code, message, { cause: error });
    case 'permanent':
      return new GcpRequestError(call, resource, failure.status, message, { cause: error });
  }
}
