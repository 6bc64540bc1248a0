import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { ScaledClock } from '../../serve/clock.ts';
import { CLOUD_NAMES, availableClouds, type CloudName } from '../../serve/clouds.ts';
import { startDemo, type Demo } from '../../serve/demo.ts';
import { CloudUnavailableError, createServeRuntime } from '../../serve/runtime.ts';
import { startServer } from '../../serve/server.ts';
import { Ticker } from '../../serve/ticker.ts';
import { createPrometheusSource } from '../../serve/prometheus-source.ts';
import { createFleetGauges } from '../../serve/fleet-gauges.ts';
import { generateApiKey } from '../../http/api-keys.ts';

const USAGE = `tide serve [--port 8787] [--host 127.0.0.1] [--cloud simulated|aws|gcp|azure] [--demo] [--speed N] [--rate-limit N] [--verbose]
  The HTTP API, webhooks and the scheduled tick on one machine. State in memory, or in Redis with REDIS_URL
  (or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN). TIDE_ADMIN_KEY: a bootstrap admin key; with none
  and no key in the store, an admin key is made and printed once.
  --demo     the example target and policy, and the bundled trace replayed into the simulated cloud
  --speed N  clock speed (default 1; 60 with --demo: a trace hour in a minute)
  --rate-limit N  requests per minute per key (default 6000); more get 429 with Retry-After`;

export const serveCommand: CliCommand = {
  name: 'serve',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        cloud: { type: 'string', default: 'simulated' },
        demo: { type: 'boolean', default: false },
        speed: { type: 'string' },
        seed: { type: 'string', default: '1' },
        verbose: { type: 'boolean', default: false },
        'rate-limit': { type: 'string', default: '6000' },
      },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0-65535, was: ${JSON.stringify(values.port)}`);
    const speed = values.speed === undefined ? (values.demo ? 60 : 1) : Number(values.speed);
    if (!Number.isFinite(speed) || speed < 1 || speed > 3600)
      throw new UsageError(`--speed must be 1-3600, was: ${JSON.stringify(values.speed)}`);
    const rateLimit = Number(values['rate-limit']);
    if (!Number.isInteger(rateLimit) || rateLimit < 1 || rateLimit > 100_000_000)
      throw new UsageError(
        `--rate-limit must be 1-100000000 requests per minute per key, was: ${JSON.stringify(values['rate-limit'])}`,
      );
    if (!(CLOUD_NAMES as readonly string[]).includes(values.cloud))
      throw new UsageError(`--cloud must be one of ${CLOUD_NAMES.join(', ')}, was: ${JSON.stringify(values.cloud)}`);
    if (values.demo && values.cloud !== 'simulated') throw new UsageError('--demo runs on --cloud simulated only');

    const clock = new ScaledClock(speed);
    // The demo's story is the status line; its info logs would drown it (--verbose shows them).
    const quiet = values.demo && !values.verbose;
    const write = (line: string) => {
      if (quiet && line.includes('"level":"info"')) return;
      process.stdout.write(`${line}\n`);
    };
    let runtime: Awaited<ReturnType<typeof createServeRuntime>>;
    try {
      runtime = await createServeRuntime({
        env: process.env,
        cloud: values.cloud as CloudName,
        clock,
        seed: Number(values.seed) || 1,
        write,
        api: { rateLimit, rateWindowMs: 60_000 },
      });
    } catch (error) {
      if (error instanceof CloudUnavailableError) {
        io.err(`tide serve: ${error.message} (the adapters for the other clouds are being built)`);
        return 2;
      }
      throw error;
    }
    if (!process.env.TIDE_ADMIN_KEY && (await runtime.access.listKeys()).length === 0) {
      const { key, record } = generateApiKey(
        ['admin', 'read', 'write', 'ingest'],
        'first key (tide serve)',
        clock.now(),
      );
      await runtime.access.createKey(record);
      io.err(`tide serve: no keys yet: made one with every scope (shown once, keep it):\n  ${key}`);
    }
    const ticker = new Ticker({
      ...runtime,
      tickMs: 60_000,
      metricSource: createPrometheusSource({ store: runtime.store, logger: runtime.logger, env: process.env }),
    });
    // Sixty clock seconds between schedule ticks; look at the cloud more often so notices are not late.
    ticker.start(Math.max(200, Math.min(5000, clock.realMs(10_000))));
    // The fleet's gauges for /metrics: every 15 clock seconds (a common scrape interval), 1 to 15 s of wall time.
    const gauges = createFleetGauges({
      store: runtime.store,
      observe: (target) => runtime.cloud.portFor(target).readCapacity(target.id),
      metrics: runtime.metrics,
      registry: await runtime.metrics.registry(),
      logger: runtime.logger,
    });
    gauges.start(Math.max(1000, Math.min(15_000, clock.realMs(15_000))));
    let demo: Demo | undefined;
    if (values.demo)
      demo = await startDemo(runtime, { status: (line) => io.err(line), realMsPerPeriod: clock.realMs(10_000) });
    const server = await startServer(runtime, {
      host: values.host,
      port,
      ticker,
      ...(demo ? { demo } : {}),
    });
    io.err(
      `tide serve: listening on ${server.url} (cloud ${values.cloud}, state ${runtime.store.kind}, clock x${speed}; clouds available: ${availableClouds().join(', ')})`,
    );
    if (values.demo)
      io.err(
        `tide serve: demo target "demo-llm": try  curl -H "Authorization: Bearer $KEY" ${server.url}/v1/targets/demo-llm/status`,
      );
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        io.err(`tide serve: ${signal}: finishing requests in flight, then closing`);
        void server
          .stop()
          .then(() => gauges.stop())
          .then(resolve);
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
    io.err('tide serve: stopped');
    return 0;
  },
};
