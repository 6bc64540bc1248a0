/**
 * Azure errors as the actuator port's typed errors. The clients raise `RestError` with the HTTP status and
 * ARM's error code (`{"error":{"code","message"}}`); long-running operations that fail report the same
 * shape in their status. Allocation and quota codes are capacity errors (another pool may have room).
 */
import {
  AccessDeniedError,
  ActuatorError,
  InsufficientCapacityError,
  PoolNotFoundError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ResourceBusyError,
  ThrottledError,
} from '../ports/actuator.ts';
import type { CapacityType } from '../../core/schema/target.ts';

/** ARM codes that mean "no capacity (or quota) for this request here, try another pool". */
export const CAPACITY_ERROR_CODES: ReadonlySet<string> = new Set([
  'AllocationFailed',
  'ZonalAllocationFailed',
  'OverconstrainedAllocationRequest',
  'OverconstrainedZonalAllocationRequest',
  'SkuNotAvailable',
  'QuotaExceeded',
  'OperationNotAllowedQuota',
  'SpotCapacityNotAvailable',
  'InsufficientQuota',
]);

/** Codes of a 409 that mean "busy with another change", not "refused". */
const BUSY_CODES = new Set(['Conflict', 'OperationNotAllowed', 'AnotherOperationInProgress', 'RetryableError']);

interface RestErrorLike {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  name?: unknown;
  response?: { headers?: { get?(name: string): string | undefined } };
}

/** What kind of failure an error from a client is. */
export type AzureFailure =
  | { kind: 'throttled'; retryAfterMs?: number }
  | { kind: 'transient' }
  | { kind: 'capacity'; code: string }
  | { kind: 'denied' }
  | { kind: 'not-found'; code: string }
  | { kind: 'busy'; code: string }
  | { kind: 'rejected'; code: string };

/** The capacity code of an ARM error code and message, if it is one (quota arrives as OperationNotAllowed). */
export function capacityCodeOf(code: string, message: string): string | undefined {
  if (CAPACITY_ERROR_CODES.has(code)) return code;
  if (/quota/i.test(message) && (code === 'OperationNotAllowed' || code === 'BadRequest' || code === 'Forbidden'))
    return 'QuotaExceeded';
  return undefined;
}

/** `Retry-After` (seconds or an HTTP date), `retry-after-ms` or `x-ms-retry-after-ms`, in ms. */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const headers = (error as RestErrorLike)?.response?.headers;
  const get = (name: string) => (typeof headers?.get === 'function' ? headers.get(name) : undefined);
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(get(name));
    if (get(name) !== undefined && Number.isFinite(value) && value >= 0) return value;
  }
  const raw = get('retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Classify a client error. */
export function classifyAzureError(error: unknown): AzureFailure {
  const e = (error ?? {}) as RestErrorLike;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const capacity = capacityCodeOf(code, message);
  if (capacity) return { kind: 'capacity', code: capacity };
  if (status === 429) {
    const after = retryAfterMs(error);
    return after === undefined ? { kind: 'throttled' } : { kind: 'throttled', retryAfterMs: after };
  }
  if (status === undefined || status >= 500 || status === 408) return { kind: 'transient' }; // resets, timeouts too
  if (status === 401 || status === 403) return { kind: 'denied' };
  if (status === 404) return { kind: 'not-found', code: code || 'NotFound' };
  if (status === 409 || status === 412) {
    return BUSY_CODES.has(code) || status === 412
      ? { kind: 'busy', code: code || 'Conflict' }
      : { kind: 'rejected', code };
  }
  return { kind: 'rejected', code: code || `HTTP ${status}` };
}

/** Which pool and type a capacity error is about, to make it an InsufficientCapacityError. */
export interface CapacityContext {
  poolId: string;
  instanceType: string;
  capacityType: CapacityType;
}

/** The typed error for a call that failed for good, or after its retries. */
export function toActuatorError(
  error: unknown,
  call: string,
  resource: string,
  capacity?: CapacityContext,
): ActuatorError {
  if (error instanceof ActuatorError) return error;
  const failure = classifyAzureError(error);
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  switch (failure.kind) {
    case 'throttled':
      return new ThrottledError(
        `${call} on ${resource} was throttled${failure.retryAfterMs !== undefined ? ` (Retry-After ${Math.ceil(failure.retryAfterMs / 1000)} s)` : ''}: ${message}`,
        { cause: error },
      );
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
    case 'denied':
      return new AccessDeniedError(call, resource, { cause: error });
    case 'not-found':
      return capacity
        ? new PoolNotFoundError(capacity.poolId, `${call}: ${resource} (${failure.code})`, { cause: error })
        : new ProviderRejectedError(call, resource, failure.code, message, { cause: error });
    case 'busy':
      return new ResourceBusyError(resource, `busy (${failure.code}: ${message})`, { cause: error });
    case 'rejected':
      return new ProviderRejectedError(call, resource, failure.code, message, { cause: error });
  }
}
