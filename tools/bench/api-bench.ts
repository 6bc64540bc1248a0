/**
 * `npm run bench:api [-- --json] [-- --seconds N]`: webhook ingest into `tide serve` (one process, its own
 * redis-server on loopback), 32 concurrent clients posting CloudWatch alarm state changes as EventBridge
 * delivers them (distinct events, 10 targets, each a full decide and compare-and-set commit), then 32
 * clients reading one policy. Prints `{ webhookRps, p50Ms, p99Ms, readRps, redisPerWebhook, redisPerRead }`
 * (the last two: commands sent to Redis per request, 500 requests in a row under MONITOR, independent of
 * the machine's load).
 * `--cpu-prof DIR` writes the server's V8 CPU profile there. The clients run in this
 * process on the same machine, so the figures include their cost. Goals: >= 2,000 webhooks/s, p99 <= 25 ms,
 * >= 10,000 reads/s.
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateApiKey } from '../../functions/http/api-keys.ts';
import { alarmEvent, demoPolicy, demoTarget } from '../../test/functions/http/support.ts';
import { startRedisServer } from '../../test/support/redis-server.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    // Write a V8 CPU profile of the server to this directory (`node --cpu-prof`), to see where its time goes.
    'cpu-prof': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const CLIENTS = 32;
const TARGETS = 10;

const redis = await startRedisServer();
const admin = generateApiKey(['admin', 'read', 'write', 'ingest'], 'bench', Date.now()).key;
const child = spawn(
  process.execPath,
  [
    ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
    fileURLToPath(new URL('../../bin/tide.js', import.meta.url)),
    'serve',
    '--port',
    '0',
    '--rate-limit',
    '100000000',
  ],
  {
    env: { ...process.env, REDIS_URL: redis.url, TIDE_ADMIN_KEY: admin, TIDE_DEPLOYMENT: 'bench' },
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

/** Run `request` from CLIENTS loops for `ms`; latencies in ms. */
async function load(ms: number, request: (n: number) => Promise<Response>) {
  const latencies: number[] = [];
  let n = 0;
  let errors = 0;
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        const response = await request(n++);
        const text = await response.text();
        if (response.status !== 200 && errors++ === 0)
          console.error(`first non-200: ${response.status} ${text.slice(0, 300)}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / (ms / 1000), p50: at(0.5), p99: at(0.99), errors, count: latencies.length };
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
await load(1000, webhook); // warm-up
const webhooks = await load(seconds * 1000, webhook);
const reads = await load(seconds * 1000, policyRead);
const redisPerWebhook = await roundTrips(500, (i) => webhook(10_000_000 + i));
const redisPerRead = await roundTrips(500, policyRead);

child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
await redis.close();

const result = {
  webhookRps: Math.round(webhooks.rps),
  p50Ms: Math.round(webhooks.p50 * 100) / 100,
  p99Ms: Math.round(webhooks.p99 * 100) / 100,
  readRps: Math.round(reads.rps),
  // Commands sent to Redis per request (500 in a row, MONITOR on), independent of the machine's load.
  redisPerWebhook,
  redisPerRead,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `webhooks: ${result.webhookRps}/s (goal 2000), p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms (goal 25), ${webhooks.errors} non-200 of ${webhooks.count}`,
  );
  console.log(`policy reads: ${result.readRps}/s (goal 10000), ${reads.errors} non-200 of ${reads.count}`);
  console.log(`redis commands per webhook: ${result.redisPerWebhook}, per read: ${result.redisPerRead}`);
}
