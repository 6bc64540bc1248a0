import type { Redis } from '@upstash/redis';
import { lazyClientLibrary, StateClientMissingError } from './client-loader.ts';
import type { RedisTransport } from './redis-store.ts';
import { isNoScriptMessage, isTransientReply } from './transient.ts';

export interface UpstashTransportOptions {
  url: string;
  token: string;
  /** Per request, milliseconds; the request is aborted after it. */
  timeoutMs: number;
}

const loadUpstash = lazyClientLibrary('@upstash/redis', () => import('@upstash/redis'));

/**
 * The Upstash REST transport, on the real `@upstash/redis` client. The store does its own bounded retries,
 * so the client's (5 attempts with exponential backoff by default) are off; values come back as the raw
 * strings the scripts return (no automatic JSON parsing). Every call is one HTTP request. The client
 * library is loaded by the first `ready()` (see ./client-loader.ts), which the store calls before every request.
 */
export function upstashTransport(options: UpstashTransportOptions): RedisTransport {
  let client: Redis | undefined;
  const ready = async (): Promise<void> => {
    if (client) return;
    const { Redis } = await loadUpstash();
    client ??= new Redis({
      url: options.url,
      token: options.token,
      retry: false,
      automaticDeserialization: false,
      enableTelemetry: false,
      // A function: a fresh timeout per request. (A plain AbortSignal would be shared, and an aborted
      // request would come back as a 200 "Aborted" result instead of an error.)
      signal: () => AbortSignal.timeout(options.timeoutMs),
    });
  };
  let roundTrips = 0;
  const counted = <T>(request: (redis: Redis) => Promise<T>): Promise<T> => {
    if (!client) return Promise.reject(new Error('not connected: call ready() first'));
    roundTrips += 1;
    return request(client);
  };
  return {
    kind: 'upstash',
    get roundTrips() {
      return roundTrips;
    },
    evalsha: (sha1, keys, args) => counted((redis) => redis.evalsha(sha1, keys, args)),
    eval: (source, keys, args) => counted((redis) => redis.eval(source, keys, args)),
    command: (args) => counted((redis) => redis.exec(args)),
    ready,
    isNoScript: (error) => error instanceof Error && isNoScriptMessage(error.message),
    isTransient: (error) => {
      if (error instanceof StateClientMissingError) return false;
      if (!(error instanceof Error)) return true;
      // UpstashError carries Redis's own error reply; anything else (fetch failed, aborted, a proxy's
      // HTML error page that is not JSON) means the request or its answer was lost.
      if (error.name === 'UpstashError') return isTransientReply(error.message);
      return true;
    },
    close: async () => undefined,
  };
}
