/**
 * `npm run bench:api [-- --json] [-- --seconds N]`: webhook ingest into `tide serve` (one process, its own
 * redis-server on loopback), 32 concurrent clients posting CloudWatch alarm state changes as EventBridge
 * delivers them (distinct events, 10 targets, each a full decide and compare-and-set commit), then 32
 * clients reading one policy. Prints `{ webhookRps, p50Ms, p99Ms, readRps, redisPerWebhook, redisPerRead,
 * cpu }` (redisPer*: commands sent to Redis per request, 500 requests in a row under MONITOR, independent of
 * the machine's load; cpu: see below).
 *
 * The load generator is autocannon (tools/bench/api-load.mjs) in a process of its own: keep-alive
 * connections, one request in flight on each, every answer's latency kept. It runs on the same machine as
 * the server and Redis, so on a small machine it takes CPU the server could have used: `cpu` says how much,
 * per phase, in CPU seconds of the server, Redis and the load generator (from /proc; null elsewhere), the
 * server's CPU µs per request (the load-independent figure: compare it between commits), and the machine's
 * cores and load average when the bench started. Nothing of the measured path is skipped: every request
 * carries the bearer key and is authenticated, every webhook is distinct and goes through the shell.
 *
 * `--cpu-prof DIR` writes the server's V8 CPU profile there; `--only webhooks|reads` runs one phase;
 * `--tide PATH` measures another build's `bin/tide.js` (for A/B runs of two commits with the same bench).
 * Goals: >= 2,000 webhooks/s, p99 <= 25 ms, >= 10,000 reads/s.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stateKeys } from '../../adapters/state/keys.ts';
import { generateApiKey } from '../../functions/http/api-keys.ts';
import { alarmEvent, demoPolicy, demoTarget } from '../../test/functions/http/support.ts';
import { startRedisServer } from '../../test/support/redis-server.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    // Write a V8 CPU profile of the server to this directory (`node --cpu-prof`), to see where its time goes.
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    tide: { type: 'string', default: fileURLToPath(new URL('../../bin/tide.js', import.meta.url)) },
  },
});
const seconds = Number(values.seconds);
const CLIENTS = 32;
const TARGETS = 10;
const DEPLOYMENT = 'bench';
const startLoad = loadavg()[0]!;

const redis = await startRedisServer();
const admin = generateApiKey(['admin', 'read', 'write', 'ingest'], 'bench', Date.now()).key;
const child = spawn(
  process.execPath,
  [
    ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
    values.tide!,
    'serve',
    '--port',
    '0',
    '--rate-limit',
    '100000000',
  ],
  {
    env: { ...process.env, REDIS_URL: redis.url, TIDE_ADMIN_KEY: admin, TIDE_DEPLOYMENT: DEPLOYMENT },
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
const url = await new Promise<string>((resolve, reject) => {
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(stderr);
    if (match) resolve(match[1]!);
  });
  child.once('exit', (code) => reject(new Error(`tide serve exited (${code}): ${stderr}`)));
});

// TIDE_ADMIN_KEY is an admin key only: it makes the key the clients use.
const made = await fetch(`${url}/v1/keys`, {
  method: 'POST',
  headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
  body: JSON.stringify({ scopes: ['read', 'write', 'ingest'], name: 'bench' }),
});
const { key } = (await made.json()) as { key: string };
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
for (let i = 0; i < TARGETS; i++) {
  await fetch(`${url}/v1/targets/t${i}`, { method: 'PUT', headers, body: JSON.stringify(demoTarget(`t${i}`)) });
  await fetch(`${url}/v1/targets/t${i}/policy`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(demoPolicy({ triggers: [{ source: 'aws-cloudwatch', alarmName: `tide-t${i}-*` }] })),
  });
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  } catch {
    return 100;
  }
})();

/** CPU seconds a process has used so far in user space and in the kernel (from /proc), or null without /proc. */
function cpuOf(pid: number | undefined): { user: number; system: number } | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

// The alarm document with placeholders the load generator fills in per request (id, target, value, time).
const template = JSON.stringify(
  alarmEvent({ id: '@ID@', alarmName: 'tide-t@T@-gpu', value: 12345.5, at: Date.UTC(2000, 0, 1), state: 'OK' }),
);

interface Phase {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  count: number;
  cpu: {
    server: number | null;
    redis: number | null;
    loadGenerator: number;
    /** The server's CPU µs per request, in user space and in the kernel (socket reads and writes). */
    serverUsPerRequest: { user: number; system: number } | null;
  };
}

/** `CLIENTS` connections sending `request` for `ms` from the load generator's process. */
async function load(ms: number, request: { method: string; path: string; body?: 'alarm' }, run: string) {
  const before = { server: cpuOf(child.pid), redis: cpuOf(redis.pid) };
  const generator = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('./api-load.mjs', import.meta.url)),
      JSON.stringify({
        url,
        method: request.method,
        path: request.path,
        headers,
        connections: CLIENTS,
        seconds: ms / 1000,
        ...(request.body ? { template, run, targets: TARGETS } : {}),
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  generator.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const code = await new Promise((resolve) => generator.once('exit', resolve));
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  const after = { server: cpuOf(child.pid), redis: cpuOf(redis.pid) };
  const result = JSON.parse(out) as {
    count: number;
    decided: number;
    non200: number;
    firstNon200?: number;
    errors: number;
    seconds: number;
    cpuSeconds: number;
    latencies: number[];
  };
  if (result.non200 > 0) console.error(`${result.non200} answers not 200, the first ${result.firstNon200}`);
  if (result.errors > 0) console.error(`${result.errors} connection errors`);
  if (request.body && result.decided < result.count - result.non200)
    console.error(`${result.count - result.non200 - result.decided} webhooks answered 200 were not decided anew`);
  const latencies = result.latencies.sort((x, y) => x - y);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  const spent = (key: 'server' | 'redis', part: 'user' | 'system') =>
    before[key] && after[key] ? after[key][part] - before[key][part] : null;
  const total = (key: 'server' | 'redis') => {
    const [user, system] = [spent(key, 'user'), spent(key, 'system')];
    return user === null || system === null ? null : Math.round((user + system) * 100) / 100;
  };
  const perRequest = (seconds: number | null) => Math.round(((seconds ?? 0) * 1e6) / Math.max(1, result.count));
  const phase: Phase = {
    rps: result.count / (ms / 1000),
    p50: at(0.5),
    p99: at(0.99),
    errors: result.non200 + result.errors,
    count: result.count,
    cpu: {
      server: total('server'),
      redis: total('redis'),
      loadGenerator: Math.round(result.cpuSeconds * 100) / 100,
      serverUsPerRequest:
        before.server && after.server
          ? { user: perRequest(spent('server', 'user')), system: perRequest(spent('server', 'system')) }
          : null,
    },
  };
  return phase;
}

/**
 * Round trips to Redis per request, independent of the machine's load: `n` requests one after another with
 * MONITOR on, counting the commands clients sent (not those scripts ran inside Redis). A marker sent last
 * from another connection tells when the monitor has seen everything before it.
 */
async function roundTrips(n: number, request: (i: number) => Promise<Response>): Promise<number> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const monitor = await client.monitor();
  const marker = `bench-marker-${Date.now()}`;
  let count = 0;
  const seenMarker = new Promise<void>((resolve) =>
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args[1] === marker) resolve();
      else if (!source.includes('lua')) count++;
    }),
  );
  for (let i = 0; i < n; i++) await (await request(i)).text();
  const other = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await other.echo(marker);
  await seenMarker;
  other.disconnect();
  monitor.disconnect();
  client.disconnect();
  return Math.round((count / n) * 100) / 100;
}

const run = Date.now();
const webhook = (n: number) =>
  fetch(`${url}/v1/events/aws-eventbridge`, {
    method: 'POST',
    headers,
    body: JSON.stringify(
      alarmEvent({
        id: `bench-${run}-${n}`,
        alarmName: `tide-t${n % TARGETS}-gpu`,
        value: 66 + (n % 9),
        at: Date.now(),
        state: 'OK',
      }),
    ),
  });
const policyRead = () => fetch(`${url}/v1/targets/t0/policy`, { headers });
const webhookRequest = { method: 'POST', path: '/v1/events/aws-eventbridge', body: 'alarm' as const };
const readRequest = { method: 'GET', path: '/v1/targets/t0/policy' };
let webhooks: Phase | undefined;
let reads: Phase | undefined;
/**
 * Mean bytes of a target's memory (its JSON, as stored) after the webhook phase: every webhook for a target
 * loads, validates and commits it whole, and it grows with the samples its events bring (one entry per
 * second of the policy's longest window per metric: core/strategies/metric-samples.ts), so the cost per
 * webhook depends on it.
 */
async function memoryBytesPerTarget(): Promise<number> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const keys = stateKeys(DEPLOYMENT);
  let total = 0;
  for (let i = 0; i < TARGETS; i++) total += await client.hstrlen(keys.state(`t${i}`), 'memory');
  client.disconnect();
  return Math.round(total / TARGETS);
}
let memoryBytes: number | null = null;
if (values.only !== 'reads') {
  await load(1000, webhookRequest, `${run}-warm`);
  webhooks = await load(seconds * 1000, webhookRequest, `${run}-measured`);
  memoryBytes = await memoryBytesPerTarget();
}
if (values.only !== 'webhooks') {
  await load(1000, readRequest, `${run}-warm-reads`);
  reads = await load(seconds * 1000, readRequest, `${run}-reads`);
}
const redisPerWebhook = values.only === 'reads' ? null : await roundTrips(500, (i) => webhook(10_000_000 + i));
const redisPerRead = values.only === 'webhooks' ? null : await roundTrips(500, policyRead);

child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
await redis.close();

const round = (x: number | undefined) => (x === undefined ? null : Math.round(x * 100) / 100);
const result = {
  webhookRps: webhooks ? Math.round(webhooks.rps) : null,
  p50Ms: round(webhooks?.p50),
  p99Ms: round(webhooks?.p99),
  readRps: reads ? Math.round(reads.rps) : null,
  // Commands sent to Redis per request (500 in a row, MONITOR on), independent of the machine's load.
  redisPerWebhook,
  redisPerRead,
  // Mean size of a target's memory after the webhook phase, bytes of JSON (loaded and committed per webhook).
  memoryBytesPerTarget: memoryBytes,
  // CPU seconds in each phase of the server, Redis and the load generator; the server's CPU µs per request.
  cpu: {
    cores: cpus().length,
    loadAverage: startLoad,
    ...(webhooks ? { webhooks: webhooks.cpu } : {}),
    ...(reads ? { reads: reads.cpu } : {}),
  },
};
if (values.json) console.log(JSON.stringify(result));
else {
  const share = (phase: Phase) =>
    `CPU s: server ${phase.cpu.server}, redis ${phase.cpu.redis}, load generator ${phase.cpu.loadGenerator} (of ${cpus().length * seconds} core-s); server ${phase.cpu.serverUsPerRequest?.user} + ${phase.cpu.serverUsPerRequest?.system} µs per request (user + kernel)`;
  if (webhooks) {
    console.log(
      `webhooks: ${result.webhookRps}/s (goal 2000), p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms (goal 25), ${webhooks.errors} not 200 of ${webhooks.count}`,
    );
    console.log(`  ${share(webhooks)}`);
  }
  if (reads) {
    console.log(`policy reads: ${result.readRps}/s (goal 10000), ${reads.errors} not 200 of ${reads.count}`);
    console.log(`  ${share(reads)}`);
  }
  console.log(`redis commands per webhook: ${result.redisPerWebhook}, per read: ${result.redisPerRead}`);
  if (memoryBytes !== null)
    console.log(`a target's memory after the webhooks: ${memoryBytes} bytes (mean of ${TARGETS})`);
  console.log(`${cpus().length} cores, load average ${startLoad.toFixed(2)} at the start`);
}
