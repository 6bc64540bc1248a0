import { Redis as IoRedis } from 'ioredis';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import type { StateStoreOptions } from '../../../adapters/state/options.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { upstashTransport } from '../../../adapters/state/upstash-transport.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { startUpstashBridge, type UpstashBridge } from '../../support/upstash-bridge.ts';

export type StoreKind = 'memory' | 'redis' | 'upstash';

/**
 * The three implementations side by side for one test file: a private redis-server, the Upstash bridge
 * over it, and a direct ioredis connection to look at keys (TTLs, raw values). `create` makes a new client
 * each call (a separate "function instance"); give each test its own namespace.
 */
export interface StoreSetup {
  server: RedisServer;
  bridge: UpstashBridge;
  inspect: IoRedis;
  create(
    kind: StoreKind,
    options: Partial<StateStoreOptions> & { namespace: string },
    clock?: () => number,
  ): StateStore;
  close(): Promise<void>;
}

export async function startStoreSetup(): Promise<StoreSetup> {
  const server = await startRedisServer();
  const bridge = await startUpstashBridge({ redisUrl: server.url });
  const inspect = new IoRedis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  inspect.on('error', () => undefined);
  const opened: StateStore[] = [];
  return {
    server,
    bridge,
    inspect,
    create(kind, options, clock) {
      const timeoutMs = options.timeoutMs ?? 1000;
      const store =
        kind === 'memory'
          ? new MemoryStateStore(options, clock)
          : kind === 'redis'
            ? new RedisStateStore(ioredisTransport({ url: server.url, timeoutMs }), options)
            : new RedisStateStore(upstashTransport({ url: bridge.url, token: bridge.token, timeoutMs }), options);
      opened.push(store);
      return store;
    },
    async close() {
      await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
      inspect.disconnect();
      await bridge.close();
      await server.close();
    },
  };
}

let namespaces = 0;
/** A namespace no other test in this process uses. */
export const freshNamespace = (label: string) => `${label}-${process.pid}-${++namespaces}`;
