/** What the HTTP app is built from, and what every route sees. */
import type { AccessStore, ApiKeyInfo } from '../../adapters/ports/access-store.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import type { Ingest } from '../shell/ingest.ts';
import type { ObservedCapacity, Target } from '../../core/schema/target.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { Decide, LazyDecide, Shell } from '../shell/shell.ts';
import type { ApiMetrics } from './metrics.ts';
import type { CachedDocuments } from './document-cache.ts';
import type { SenderVerifier } from './senders.ts';

/** Tunables of the app. */
export interface ApiOptions {
  /** Largest request body, bytes; larger gets 413 before anything is parsed. Default 256 KiB. */
  maxBodyBytes: number;
  /** Requests per key per window; more get 429 with `Retry-After`. Default 6000. */
  rateLimit: number;
  /** The rate limit's fixed window, ms. Default 60 000 (so 6000/min, 100/s on average). */
  rateWindowMs: number;
  /** How long `/readyz` waits for the state store, ms. Default 1000. */
  readyTimeoutMs: number;
  /**
   * Wall-time ms an API key's record is answered from memory before it is read again (functions/http/
   * key-cache.ts): a key revoked elsewhere stops working within this bound. Default 1000; 0 reads it on
   * every request.
   */
  keyCacheMs: number;
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  maxBodyBytes: 256 * 1024,
  rateLimit: 6000,
  rateWindowMs: 60_000,
  readyTimeoutMs: 1000,
  keyCacheMs: 1000,
};

/** The largest `TIDE_RATE_LIMIT` (requests per minute per key), as `tide serve --rate-limit` takes. */
const MAX_RATE_LIMIT = 100_000_000;

/**
 * The options a deployed function takes from its environment (the cloud functions have no flags):
 * `TIDE_RATE_LIMIT`, requests per minute per API key (1-100000000; default 6000, as `tide serve --rate-limit`).
 * A value that is not such a number throws a TypeError naming the variable and the value, at start.
 */
export function apiOptionsFromEnv(env: Record<string, string | undefined>): Partial<ApiOptions> {
  const raw = env.TIDE_RATE_LIMIT?.trim();
  if (raw === undefined || raw === '') return {};
  const rate = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(rate >= 1 && rate <= MAX_RATE_LIMIT))
    throw new TypeError(
      `TIDE_RATE_LIMIT must be 1-${MAX_RATE_LIMIT} requests per minute per key, was: ${JSON.stringify(raw.slice(0, 50))}`,
    );
  return { rateLimit: rate, rateWindowMs: 60_000 };
}

/** Reads what the provider reports of a target's capacity; null (or a throw) when it cannot be read. */
export type ReadCapacity = (target: Target) => Promise<ObservedCapacity | null>;

/** The app's dependencies: the same shell and ingest the cloud functions use. */
export interface ApiDependencies {
  store: StateStore;
  access: AccessStore;
  shell: Shell;
  ingest: Ingest;
  /** What the provider reports of a target's capacity (status, dry runs). */
  observe: ReadCapacity;
  /** The core's `decide` (dry runs), or loaded at the first request that decides (functions/shell/decider.ts). */
  decide: Decide | LazyDecide;
  clock: Clock;
  logger: Logger;
  metrics: ApiMetrics;
  /** Checks that a webhook came from the sender it claims (SNS signatures, Event Grid, Pub/Sub JWTs). */
  senders: SenderVerifier;
  /**
   * Called after a target is deleted, with its last document: gives back what the provider lent Tide (AWS: the
   * Application Auto Scaling target Tide suspended). A failure is logged, and the deletion stands.
   */
  released?: (target: Target) => Promise<void>;
  /** Documents read from memory with pushed invalidation (document-cache.ts), where the store offers it. */
  documents?: CachedDocuments;
  options?: Partial<ApiOptions>;
}

/** Hono's environment for Tide's routes: the authenticated key, once the auth middleware let it through. */
export interface ApiEnv {
  Variables: { apiKey: ApiKeyInfo };
}
