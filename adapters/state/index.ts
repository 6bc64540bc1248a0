import type { AccessStore } from '../ports/access-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { AccessStoreOptions } from './access-options.ts';
import { RedisAccessStore } from './access-redis.ts';
import { stateConfigFromEnv, type StateConfig } from './config.ts';
import { ioredisTransport } from './ioredis-transport.ts';
import { lazyMemoryAccessStore, lazyMemoryStateStore } from './lazy-memory.ts';
import { RedisStateStore } from './redis-store.ts';
import { upstashTransport } from './upstash-transport.ts';

export * from './errors.ts';
export { stateConfigFromEnv, StateEnvSchema, type StateBackend, type StateConfig } from './config.ts';
export { stateDeadline, withStateDeadline } from './deadline.ts';
export { lazyMemoryAccessStore, lazyMemoryStateStore, type LazyMemoryStateStore } from './lazy-memory.ts';
export { DEFAULT_STATE_OPTIONS, type StateStoreOptions } from './options.ts';
export { RedisStateStore, type RedisTransport } from './redis-store.ts';
export { ioredisTransport } from './ioredis-transport.ts';
export { upstashTransport } from './upstash-transport.ts';
export { StateClientMissingError } from './client-loader.ts';

/** Where the factory reports what it chose, and connection trouble. */
export type StateLogger = Pick<Logger, 'info' | 'warn'>;

/** The store the configuration asks for. Memory is logged as a warning: its state dies with the process. */
export function createStateStore(config: StateConfig, logger: StateLogger): StateStore {
  const { backend, options } = config;
  switch (backend.kind) {
    case 'upstash':
      logger.info('state: Upstash Redis over REST', { url: backend.url, namespace: options.namespace });
      return new RedisStateStore(
        upstashTransport({ url: backend.url, token: backend.token, timeoutMs: options.timeoutMs }),
        options,
      );
    case 'redis': {
      logger.info('state: Redis over TCP', { host: new URL(backend.url).host, namespace: options.namespace });
      // ioredis reports every failed reconnect (up to one a second): say it once a minute at most.
      let lastReport = 0;
      const onConnectionError = (error: Error) => {
        if (Date.now() - lastReport < 60_000) return;
        lastReport = Date.now();
        logger.warn('state: Redis connection error (reconnecting in the background)', { error: error.message });
      };
      return new RedisStateStore(
        ioredisTransport({ url: backend.url, timeoutMs: options.timeoutMs, onConnectionError }),
        options,
      );
    }
    case 'memory':
      logger.warn(
        'state: in memory (neither UPSTASH_REDIS_REST_URL/UPSTASH_REDIS_REST_TOKEN nor REDIS_URL is set): state is lost when the process exits and is not shared between instances',
        { namespace: options.namespace },
      );
      // Loaded at its first call (./lazy-memory.ts): a deployment on Redis or Upstash never loads it.
      return lazyMemoryStateStore(options);
  }
}

/** `createStateStore(stateConfigFromEnv(env), logger)`. */
export function createStateStoreFromEnv(env: Record<string, string | undefined>, logger: StateLogger): StateStore {
  return createStateStore(stateConfigFromEnv(env), logger);
}

// MemoryStateStore, MemoryAccessStore and MemoryWriteLog are imported from their own modules: re-exported here
// they would be in every bundle that imports this module, where the factories load them at first use.
export { RedisAccessStore } from './access-redis.ts';
export { KeyLimitError } from './access-errors.ts';
export { DEFAULT_ACCESS_OPTIONS, type AccessStoreOptions } from './access-options.ts';

/**
 * The access store (API keys, rate-limit counters, write audit) on the same backend and namespace as the
 * state store, over its own connection.
 */
export function createAccessStore(
  config: StateConfig,
  options: Partial<AccessStoreOptions> = {},
  /** The state store beside it: in memory, its document writes append to the write audit this store reads. */
  beside?: StateStore,
): AccessStore {
  const { backend, options: state } = config;
  const merged = { namespace: state.namespace, timeoutMs: state.timeoutMs, ...options };
  switch (backend.kind) {
    case 'upstash':
      return new RedisAccessStore(
        upstashTransport({ url: backend.url, token: backend.token, timeoutMs: state.timeoutMs }),
        merged,
      );
    case 'redis':
      return new RedisAccessStore(ioredisTransport({ url: backend.url, timeoutMs: state.timeoutMs }), merged);
    case 'memory':
      return lazyMemoryAccessStore(merged, beside);
  }
}
