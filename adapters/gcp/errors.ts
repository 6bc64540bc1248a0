/**
 * Google Cloud errors as the actuator port's typed errors. The clients raise `GoogleError` with a gRPC code
 * (REST answers are mapped to it: 429 → 8 RESOURCE_EXHAUSTED, 503 or a reset connection → 14 UNAVAILABLE,
 * 403 → 7 PERMISSION_DENIED, 404 → 5 NOT_FOUND), and Compute Engine reports stockouts and quota inside an
 * operation's or an instance's `errors` list, with codes such as `ZONE_RESOURCE_POOL_EXHAUSTED`.
 *
 * The port's errors, as for AWS (adapters/aws/calls.ts): a throttle that outlasts the retries is a
 * `ThrottledError`, a transient failure a `ProviderUnavailableError` (both retryable); PERMISSION_DENIED and
 * UNAUTHENTICATED an `AccessDeniedError` naming the call and the resource; a resource still busy with an
 * earlier change (Compute Engine's `resourceNotReady`, GKE's "incompatible operation") a `ResourceBusyError`,
 * taken up by the next decision; anything else the provider refuses a `ProviderRejectedError` whose `code` is
 * the gRPC status name (`NOT_FOUND`, `INVALID_ARGUMENT`) or the Compute Engine code.
 */
import {
  AccessDeniedError,
  type ActuatorError,
  InsufficientCapacityError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ResourceBusyError,
  ThrottledError,
} from '../ports/actuator.ts';
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
  | { kind: 'busy' }
  | { kind: 'permanent'; status: string };

/** A resource in the middle of an earlier change: Compute Engine's `resourceNotReady`, GKE's running operation. */
const BUSY = /\bresourceNotReady\b|\bis not ready\b|incompatible operation/i;

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
  if (BUSY.test(text)) return { kind: 'busy' };
  return { kind: 'permanent', status: code !== undefined ? (GRPC_STATUS[code] ?? `code ${code}`) : `HTTP ${http}` };
}

/** The port's typed error for a call that failed for good, or after its retries. */
export function toActuatorError(
  error: unknown,
  call: string,
  resource: string,
  capacity?: { poolId: string; instanceType: string; capacityType: CapacityType },
): ActuatorError {
  const failure = classifyGcpError(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (failure.kind) {
    case 'throttled':
      return new ThrottledError(`${call} on ${resource} was throttled: ${message}`, { cause: error });
    case 'transient':
      return new ProviderUnavailableError(`${call} on ${resource} is unavailable: ${message}`, { cause: error });
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
        : new ProviderRejectedError(call, resource, failure.code, message, { cause: error });
    case 'busy':
      return new ResourceBusyError(resource, 'busy with an earlier change', { cause: error });
    case 'permanent':
      return failure.status === 'PERMISSION_DENIED' || failure.status === 'UNAUTHENTICATED'
        ? new AccessDeniedError(call, resource, { cause: error })
        : new ProviderRejectedError(call, resource, failure.status, message, { cause: error });
  }
}
