import { Redis } from 'ioredis';
import type { RedisTransport } from './redis-store.ts';
import { isNoScriptMessage, isTransientReply } from './transient.ts';

export interface IoredisTransportOptions {
  url: string;
  /** Per command and per connection attempt, milliseconds. */
  timeoutMs: number;
  /** Told about connection errors (rate-limited by ioredis's reconnect backoff). */
  onConnectionError?: (error: Error) => void;
}

/**
 * The TCP transport for self-hosted Redis (ElastiCache, Memorystore, Azure Cache for Redis: `rediss://`
 * URLs use TLS). Configured to fail fast rather than queue: no offline queue, no re-sending of commands
 * that were in flight when the connection dropped (a commit must not land minutes later, behind the
 * caller's back), and at most `timeoutMs` per command. ioredis keeps reconnecting in the background.
 */
export function ioredisTransport(options: IoredisTransportOptions): RedisTransport {
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  });
  client.on('error', (error: Error) => options.onConnectionError?.(error));

  let readyWaiter: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'end') return Promise.reject(new Error('connection closed'));
    // One shared waiter, so fifty waiting calls add one listener, not fifty.
    readyWaiter ??= new Promise<void>((resolve) => {
      client.once('ready', () => {
        readyWaiter = null;
        resolve();
      });
    });
    if (client.status === 'wait') client.connect().catch(() => undefined);
    return readyWaiter;
  };

  let roundTrips = 0;
  const send = (command: string, args: string[]) => {
    roundTrips += 1;
    return client.call(command, args);
  };
  return {
    kind: 'redis',
    get roundTrips() {
      return roundTrips;
    },
    evalsha: (sha1, keys, args) => send('EVALSHA', [sha1, String(keys.length), ...keys, ...args]),
    eval: (source, keys, args) => send('EVAL', [source, String(keys.length), ...keys, ...args]),
    command: ([command, ...args]) => send(command, args),
    ready,
    isNoScript: (error) => error instanceof Error && isNoScriptMessage(error.message),
    isTransient: (error) => {
      if (!(error instanceof Error)) return true;
      // ReplyError is Redis's own answer; everything else is the connection (closed, timed out, refused).
      if (error.name === 'ReplyError') return isTransientReply(error.message);
      return true;
    },
    close: async () => {
      if (client.status === 'wait' || client.status === 'end') {
        client.disconnect();
        return;
      }
      await client.quit().catch(() => client.disconnect());
    },
  };
}
