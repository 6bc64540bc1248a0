/**
 * The local runtime: the hono app on `@hono/node-server`, the ticker, and (with `--demo`) the replay. On
 * SIGTERM or SIGINT it stops accepting connections, lets requests in flight finish (bounded), stops the
 * ticker and the demo after their current step, and closes the stores.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Demo } from './demo.ts';
import type { ServeRuntime } from './runtime.ts';
import type { Ticker } from './ticker.ts';

export interface RunningServer {
  url: string;
  port: number;
  /** Graceful stop: no new connections, in-flight requests finish (at most `graceMs`), then everything closes. */
  stop(graceMs?: number): Promise<void>;
}

/** Listen on `host:port` (port 0: any free port). */
export async function startServer(
  runtime: ServeRuntime,
  options: { host: string; port: number; ticker?: Ticker; demo?: Demo },
): Promise<RunningServer> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const created = serve({ fetch: runtime.app.fetch, hostname: options.host, port: options.port }, () =>
      resolve(created),
    );
    created.once('error', reject);
  });
  // Slow clients cannot hold a connection open forever.
  if ('requestTimeout' in server) server.requestTimeout = 30_000;
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
        await Promise.race([closed, grace]);
        if ('closeAllConnections' in server) server.closeAllConnections();
        await options.demo?.stop();
        await options.ticker?.stop();
        await runtime.close();
      })();
      return stopping;
    },
  };
}
