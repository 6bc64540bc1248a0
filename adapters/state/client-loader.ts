import { atFirstUse } from '../at-first-use.ts';
import { StateError } from './errors.ts';

/**
 * The Redis client libraries are loaded on first use, not at import: a cold start that never talks to
 * Redis (a bad event, a misconfiguration) pays nothing for them, and a function bundle splits each into a
 * chunk of its own that only the configured store loads (ioredis and its dependencies: about 140 KB
 * minified and 30 ms of module evaluation; @upstash/redis: about 80 KB).
 */

/**
 * The configured store's client library is not in this package: a function built for Upstash (the
 * default, serverless.yml excludes `ioredis`) was configured with `REDIS_URL`, or the other way round.
 * Not retryable: a redelivery meets the same package.
 */
export class StateClientMissingError extends StateError {
  override readonly name = 'StateClientMissingError';
  constructor(
    /** The npm package that could not be loaded, e.g. `ioredis`. */
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the Redis client package "${packageName}" is not in this deployment package; for ${packageName === 'ioredis' ? 'REDIS_URL' : 'UPSTASH_REDIS_REST_URL'}, remove it from custom.esbuild.exclude in serverless.yml and package again, was: not found`,
      options,
    );
  }
}

/**
 * `load` at the first call and keep the promise once it has loaded; a package missing from the bundle becomes
 * {@link StateClientMissingError}. A failed load is not kept (`atFirstUse`): the next call tries again, so a
 * transient failure (a file system hiccup at a cold start) does not break the instance for its lifetime.
 * `load` must be a literal `() => import('package')` so bundlers see the split point.
 */
export function lazyClientLibrary<T>(packageName: string, load: () => Promise<T>): () => Promise<T> {
  return atFirstUse(() =>
    load().catch((error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        throw new StateClientMissingError(packageName, { cause: error });
      throw error;
    }),
  );
}
