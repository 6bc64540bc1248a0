/**
 * The state layer's typed errors. `retryable` tells the shell (and through it the platform) whether
 * delivering the same event again can succeed: Redis being down or slow, or losing a race, is retryable;
 * a document that fails its schema or a stale ETag is not.
 */
export class StateError extends Error {
  override readonly name: string = 'StateError';
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Redis could not be reached, or did not answer within the timeout, after the bounded retries. Nothing was acted on. */
export class StateUnavailableError extends StateError {
  override readonly name = 'StateUnavailableError';
  override readonly retryable = true;
  constructor(
    /** What was being done, e.g. `commit llm-endpoint`. */
    readonly operation: string,
    /** Attempts made (each bounded by the timeout). */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `state store unavailable during ${operation} after ${attempts} attempt(s): ${describeCause(options?.cause)}`,
      options,
    );
  }
}

/** A write carried an expected version (an HTTP `If-Match` ETag) that is no longer current. */
export class VersionConflictError extends StateError {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly key: string,
    readonly expectedVersion: number | null,
    /** The version stored now; null when the document does not exist. */
    readonly currentVersion: number | null,
  ) {
    super(
      `version conflict on ${key}: expected ${expectedVersion ?? 'no document'}, was: ${currentVersion ?? 'no document'}`,
    );
  }
}

/** A value read back from Redis failed its schema (hand-edited, or written by an incompatible version). */
export class StateCorruptError extends StateError {
  override readonly name = 'StateCorruptError';
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`corrupt value at ${key}: ${message}`, options);
  }
}

/** Redis answered with an error that retrying will not fix (a script bug, a wrong key type). */
export class StateCommandError extends StateError {
  override readonly name = 'StateCommandError';
}

/** The deployment already holds `maxTargets` targets; the cap keeps the key space bounded. */
export class TargetLimitError extends StateError {
  override readonly name = 'TargetLimitError';
  constructor(readonly maxTargets: number) {
    super(`at most ${maxTargets} targets per deployment (TIDE_MAX_TARGETS), was: already ${maxTargets}`);
  }
}

/** The deployment already keeps the most recorded exchange closures it may; past ones are dropped first. */
export class ExchangeOverrideLimitError extends StateError {
  override readonly name = 'ExchangeOverrideLimitError';
  constructor(readonly max: number) {
    super(`at most ${max} recorded exchange closures and changed hours per deployment, was: already ${max}`);
  }
}

/** True for any error that another delivery of the same event may get past. */
export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause ?? 'unknown');
}

/** The target is not stored in this deployment (events for it cannot be decided; policies need it first). */
export class TargetNotFoundError extends StateError {
  override readonly name = 'TargetNotFoundError';
  constructor(readonly targetId: string) {
    super(`no target "${targetId}" in this deployment`);
  }
}
