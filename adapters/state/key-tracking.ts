/**
 * Redis server-assisted client-side caching (CLIENT TRACKING, broadcasting mode): one extra connection asks
 * Redis to announce every change to keys under some prefixes, whoever makes it (this process, the CLI,
 * another instance), and hears the announcements on `__redis__:invalidate`. A cache in front of those keys
 * may then answer reads from memory: an entry is dropped as soon as Redis says its key changed.
 *
 * While the connection is not subscribed (starting, lost, reconnecting) `ready` is false and listeners are
 * told to forget everything (`null`): a cache must then read through, since changes made meanwhile would be
 * missed. Needs Redis 6 or later over TCP; Upstash's REST API has no push messages (no tracking there).
 */
import type { Redis } from 'ioredis';
import { lazyClientLibrary } from './client-loader.ts';

export interface KeyInvalidations {
  /** True while Redis announces changes to this process: only then may a cache answer from memory. */
  readonly ready: boolean;
  /** Called with the keys that changed, or `null` for "forget everything" (a flush, or the watch was lost). */
  onInvalidate(listener: (keys: string[] | null) => void): void;
  close(): Promise<void>;
}

const loadIoredis = lazyClientLibrary('ioredis', () => import('ioredis'));

export function trackKeyPrefixes(options: {
  url: string;
  prefixes: readonly string[];
  timeoutMs: number;
  onError?: (error: Error) => void;
}): KeyInvalidations {
  const listeners: ((keys: string[] | null) => void)[] = [];
  let ready = false;
  let closed = false;
  let client: Redis | undefined;
  const notify = (keys: string[] | null) => {
    for (const listener of listeners) listener(keys);
  };
  const lost = () => {
    if (ready) ready = false;
    notify(null);
  };

  const setUp = async (redis: Redis) => {
    try {
      const id = String(await redis.client('ID'));
      const prefixArgs = options.prefixes.flatMap((prefix) => ['PREFIX', prefix]);
      await redis.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', ...prefixArgs);
      await redis.subscribe('__redis__:invalidate');
      if (closed || redis.status !== 'ready') return;
      // Anything read before this moment may have changed unannounced: start from nothing.
      notify(null);
      ready = true;
    } catch (error) {
      options.onError?.(error as Error);
      lost();
    }
  };

  void loadIoredis()
    .then(({ Redis: RedisClient }) => {
      if (closed) return;
      client = new RedisClient(options.url, {
        connectTimeout: options.timeoutMs,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        // Subscriptions are set up again by `setUp` on every (re)connection, not replayed by ioredis.
        autoResubscribe: false,
        retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
      });
      const redis = client;
      redis.on('ready', () => void setUp(redis));
      redis.on('close', lost);
      redis.on('error', (error: Error) => options.onError?.(error));
      redis.on('messageBuffer', (channel: Buffer, message: unknown) => {
        if (channel.toString() !== '__redis__:invalidate') return;
        notify(Array.isArray(message) ? message.map((key) => String(key)) : null);
      });
    })
    .catch((error: Error) => options.onError?.(error));

  return {
    get ready() {
      return ready;
    },
    onInvalidate(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      ready = false;
      client?.disconnect();
    },
  };
}
