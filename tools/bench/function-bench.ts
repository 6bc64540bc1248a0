/**
 * `npm run bench:function [-- --json] [--runs N] [--events N] [--function NAME]`: every cloud function as it ships, measured.
 *
 * For each function entry (tools/bench/function-build.ts finds them: serverless.yml's handlers, later
 * functions/gcp and functions/azure), bundled with serverless.yml's esbuild settings:
 * - `bundleBytes`: what a cold start loads (the entry and the chunks it imports statically), minified;
 *   `packageBytes` adds the chunks loaded on demand (the Redis client);
 * - `firstEventMs`: a fresh process's first event, from its import's resolution to the handler's answer (what
 *   it loads on demand, its first Redis connection): median of 5; with `coldInitMs`, a cold start's first answer;
 * - `coldInitMs`: a fresh Node process importing the bundle until the import resolves, minus the same for an
 *   empty module; median of `--runs` (10) of each, interleaved, with min and max;
 * - `roundTripsPerEvent`: Redis round trips per event, counted by Redis itself (MONITOR: commands sent by
 *   the function, not those its scripts run), `{ hold, act }`;
 * - `eventsPerSecond`: SQS batches of 10 records for 10 targets through the bundle's handler, one invocation
 *   at a time as one Lambda instance runs them, against a loopback redis-server this script starts;
 * - `stateBytesAfterDay`: the target's memory in Redis (bytes of JSON) after a day of events every 10 s for
 *   the example endpoint (infra/examples/llama-endpoint.*.json), on a simulated clock.
 * Functions without a driver yet (a runtime that has no Redis-backed harness here) get null figures with a note.
 */
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { PolicySchema, type PolicyInput } from '../../core/schema/policy.ts';
import { TargetSchema } from '../../core/schema/target.ts';
import { ioredisTransport } from '../../adapters/state/ioredis-transport.ts';
import { stateKeys } from '../../adapters/state/keys.ts';
import { RedisStateStore } from '../../adapters/state/redis-store.ts';
import { createAccessStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import { generateApiKey } from '../../functions/http/api-keys.ts';
import { startRedisServer } from '../../test/support/redis-server.ts';
import { bundleFunction, functionEntries, type FunctionEntry } from './function-build.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '10' },
    events: { type: 'string', default: '5000' },
    /** Measure only this function (`aws:events`, `gcp`, …); every one by default. */
    function: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const EVENTS = Number(values.events);
const root = resolve(import.meta.dirname, '../..');
const examples = join(root, 'infra/examples');
const examplePolicy = JSON.parse(readFileSync(join(examples, 'llama-endpoint.policy.json'), 'utf8')) as PolicyInput;
const exampleTarget = JSON.parse(readFileSync(join(examples, 'llama-endpoint.target.json'), 'utf8'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));
/** Progress on stderr, so `--json` output stays clean. */
const progress = (message: string) => process.stderr.write(`bench:function: ${message}\n`);

/** Milliseconds from `import()` to its resolution, in a fresh process (no NODE_OPTIONS, no extra CA bundle). */
function importMs(file: string): number {
  const code = `const t=process.hrtime.bigint();await import(${JSON.stringify(`file://${file}`)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
  return Number(run.stdout);
}

function coldInit(entryFile: string, emptyFile: string) {
  const bundle: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    empty.push(importMs(emptyFile));
    bundle.push(importMs(entryFile));
  }
  const base = median(empty);
  return {
    medianMs: round(median(bundle) - base),
    minMs: round(Math.min(...bundle) - base),
    maxMs: round(Math.max(...bundle) - base),
    emptyModuleMs: round(base, 2),
  };
}

/** Counts the commands clients send Redis (not those scripts run), between markers sent on a control connection. */
class CommandCounter {
  private count = 0;
  private waiting = new Map<string, () => void>();
  private constructor(
    private readonly monitor: Redis,
    private readonly control: Redis,
  ) {}

  static async start(url: string): Promise<CommandCounter> {
    const control = new Redis(url);
    // monitor() opens a connection of its own in MONITOR mode; the control connection sends the markers.
    const monitor = await control.monitor();
    const counter = new CommandCounter(monitor, control);
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args[0]?.toLowerCase() === 'echo' && counter.waiting.has(args[1] ?? '')) {
        counter.waiting.get(args[1] ?? '')?.();
        return;
      }
      if (source !== 'lua') counter.count += 1;
    });
    return counter;
  }

  /** Commands seen since the last call (every command sent before this call is counted). */
  async take(): Promise<number> {
    const marker = `bench-marker-${Math.random()}`;
    const seen = new Promise<void>((done) => this.waiting.set(marker, done));
    await this.control.echo(marker);
    await seen;
    this.waiting.delete(marker);
    const taken = this.count;
    this.count = 0;
    return taken;
  }

  async close(): Promise<void> {
    this.monitor.disconnect();
    await this.control.quit();
  }
}

interface Driver {
  run(message: Record<string, unknown>): Promise<any>;
  stop(): void;
}

/**
 * `events`: the AWS events function, with EventBridge events (SQS batches for throughput); `api`: the AWS
 * HTTP API function, driven with webhooks; `gcp`: `tideEvents` with Cloud Monitoring incidents through
 * Pub/Sub; `azure`: `tideHttp` with Azure Monitor metric alerts (action group webhooks, an ingest key).
 */
type Via = 'events' | 'api' | 'gcp' | 'azure';

/** The trigger source of each driver's events. */
const TRIGGER_SOURCE: Record<Via, string> = {
  events: 'aws-cloudwatch',
  api: 'aws-cloudwatch',
  gcp: 'gcp-monitoring',
  azure: 'azure-monitor',
};

async function startDriver(entryFile: string, env: Record<string, string>, via: Via): Promise<Driver> {
  const child = fork(join(import.meta.dirname, 'function-driver.mjs'), [entryFile, via], {
    env: { PATH: process.env.PATH ?? '', ...env },
    // TIDE_BENCH_CPU_PROF=DIR: a V8 CPU profile of every driver process (for tuning; figures then run slower).
    execArgv: process.env.TIDE_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.TIDE_BENCH_CPU_PROF] : [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const replies: ((message: any) => void)[] = [];
  child.on('message', (message: any) => replies.shift()?.(message));
  const next = () => new Promise<any>((resolveReply) => replies.push(resolveReply));
  const ready = await next();
  if (!ready.ready) throw new Error('driver did not start');
  return {
    async run(message) {
      const reply = next();
      child.send(message);
      const answer = await reply;
      if (!answer.ok) throw new Error(answer.error);
      return answer.result;
    },
    stop: () => child.disconnect(),
  };
}

async function seed(url: string, namespace: string, targets: { id: string; policy: PolicyInput }[]): Promise<void> {
  const store = new RedisStateStore(ioredisTransport({ url, timeoutMs: 5000 }), { namespace });
  for (const { id, policy } of targets) {
    await store.putTarget(TargetSchema.parse({ ...exampleTarget, id }));
    await store.putPolicy(id, PolicySchema.parse(policy));
  }
  await store.close();
}

const withAlarms = (alarmName: string, via: Via = 'events'): PolicyInput => ({
  ...examplePolicy,
  triggers: [{ ...examplePolicy.triggers![0]!, alarmName, source: TRIGGER_SOURCE[via] as 'aws-cloudwatch' }],
});

const START = Date.parse('2026-03-10T00:00:00Z');
/** Fresh processes whose first event is timed (`firstEventMs`, the median). */
const FIRST_EVENT_RUNS = 5;

/** An API key with the `ingest` scope, recorded in the deployment's access store, for the HTTP API function. */
async function ingestKey(redisUrl: string, namespace: string): Promise<string> {
  const env = { REDIS_URL: redisUrl, TIDE_DEPLOYMENT: namespace };
  const access = createAccessStore(stateConfigFromEnv(env));
  const { key, record } = generateApiKey(['ingest'], 'bench', Date.now());
  await access.createKey(record);
  await access.close();
  return key;
}

async function functionFigures(entryFile: string, redisUrl: string, via: Via, space: string) {
  // The driver's events come from account 123456789012: the sender check must accept it (adapters/auth).
  const keys = new Map<string, string>();
  const prepare = async (namespace: string) => {
    if (via === 'api' || via === 'azure') keys.set(namespace, await ingestKey(redisUrl, namespace));
  };
  const env = (namespace: string) => ({
    TIDE_MODE: 'shadow',
    REDIS_URL: redisUrl,
    TIDE_DEPLOYMENT: namespace,
    TIDE_AWS_ACCOUNTS: '123456789012',
    ...(keys.has(namespace) ? { TIDE_BENCH_API_KEY: keys.get(namespace)! } : {}),
  });

  // Round trips, counted by Redis.
  await seed(redisUrl, `${space}-rt`, [{ id: 'rt-endpoint', policy: withAlarms('tide-rt-*', via) }]);
  await prepare(`${space}-rt`);
  // A cold start's first event: a fresh process (import resolved) answering one event, which pays what the
  // function loads on demand (the decision core in aws:api, parsers, SDK chunks) and its first connections.
  const firstEvents: number[] = [];
  for (let run = 0; run < FIRST_EVENT_RUNS; run++) {
    const fresh = await startDriver(entryFile, env(`${space}-rt`), via);
    const started = performance.now();
    await fresh.run({
      scenario: 'sequence',
      alarmPrefix: 'tide-rt',
      kind: 'hold',
      events: 1,
      startAt: START - (FIRST_EVENT_RUNS - run) * 10_000,
      prefix: `first-${run}`,
    });
    firstEvents.push(performance.now() - started);
    fresh.stop();
  }
  const firstEvent = {
    medianMs: round(median(firstEvents)),
    minMs: round(Math.min(...firstEvents)),
    maxMs: round(Math.max(...firstEvents)),
    runs: FIRST_EVENT_RUNS,
  };
  progress(`first event in a fresh process: ${firstEvent.medianMs} ms median`);
  const counter = await CommandCounter.start(redisUrl);
  const driver = await startDriver(entryFile, env(`${space}-rt`), via);
  const base = { alarmPrefix: 'tide-rt' };
  await driver.run({ scenario: 'sequence', ...base, kind: 'hold', events: 3, startAt: START, prefix: 'warm' });
  await counter.take();
  const HOLD = 50;
  const hold = await driver.run({
    scenario: 'sequence',
    ...base,
    kind: 'hold',
    events: HOLD,
    startAt: START + 60_000,
    prefix: 'hold',
  });
  const holdCommands = await counter.take();
  const ACT = 20;
  const act = await driver.run({
    scenario: 'sequence',
    ...base,
    kind: 'act',
    events: ACT,
    startAt: hold.endAt + 400_000,
  });
  const actCommands = await counter.take();
  driver.stop();
  await counter.close();

  progress(`round trips: hold ${holdCommands / HOLD}, act ${actCommands / ACT}`);
  // Throughput: 10 targets, batches of 10.
  const TARGETS = 10;
  await seed(
    redisUrl,
    `${space}-tp`,
    Array.from({ length: TARGETS }, (_, i) => ({ id: `tp-${i}`, policy: withAlarms(`tide-tp-${i}-*`, via) })),
  );
  await prepare(`${space}-tp`);
  const tp = await startDriver(entryFile, env(`${space}-tp`), via);
  const tpBase = { scenario: 'throughput', alarmPrefix: 'tide-tp', targets: TARGETS, batchSize: 10 };
  await tp.run({ ...tpBase, batches: 50, prefix: 'tp-warm' });
  const throughput = await tp.run({ ...tpBase, batches: Math.ceil(EVENTS / 10), prefix: 'tp' });
  tp.stop();

  progress(
    `${Math.round(throughput.eventsPerSecond)} events/s, ${Math.round(throughput.cpuUsPerEvent)} µs CPU per event`,
  );
  // A day of events every 10 s for the example endpoint, its policy as shipped.
  await seed(redisUrl, `${space}-day`, [
    {
      id: exampleTarget.id,
      policy: via === 'events' || via === 'api' ? examplePolicy : withAlarms('tide-llama-*', via),
    },
  ]);
  await prepare(`${space}-day`);
  const dayDriver = await startDriver(entryFile, env(`${space}-day`), via);
  const day = await dayDriver.run({
    scenario: 'day',
    alarmName: 'tide-llama-concurrency-high',
    startAt: START,
    prefix: 'day',
    seconds: 86_400,
    stepSeconds: 10,
  });
  dayDriver.stop();
  const inspect = new Redis(redisUrl);
  const stateKey = stateKeys(`${space}-day`).state(exampleTarget.id);
  const memoryJson = (await inspect.hget(stateKey, 'memory')) ?? '';
  await inspect.quit();
  const memory = memoryJson ? (JSON.parse(memoryJson) as Record<string, unknown>) : {};
  const fieldBytes = Object.fromEntries(
    Object.entries(memory)
      .map(([field, value]) => [field, JSON.stringify(value).length] as const)
      .sort((a, b) => b[1] - a[1]),
  );

  return {
    firstEventMs: firstEvent.medianMs,
    roundTripsPerEvent: { hold: round(holdCommands / HOLD, 2), act: round(actCommands / ACT, 2) },
    eventsPerSecond: Math.round(throughput.eventsPerSecond),
    stateBytesAfterDay: Buffer.byteLength(memoryJson),
    detail: {
      roundTrips: {
        holdEvents: HOLD,
        holdDecisionsActed: hold.acted,
        actEvents: ACT,
        actDecisionsActed: act.acted,
        commandsHold: holdCommands,
        commandsAct: actCommands,
      },
      throughput: {
        records: throughput.records,
        seconds: round(throughput.seconds, 3),
        cpuUsPerEvent: Math.round(throughput.cpuUsPerEvent),
        targets: TARGETS,
        batchSize: 10,
      },
      day: { events: day.decided, acted: day.acted, memoryFieldBytes: fieldBytes },
      firstEvent,
    },
  };
}

async function measure(fn: FunctionEntry, redisUrl: string, emptyFile: string) {
  const outdir = join(root, '.bench/functions', fn.name.replace(/[^a-z0-9-]/gi, '-'));
  rmSync(outdir, { recursive: true, force: true });
  const bundle = await bundleFunction(root, fn.entry, outdir, fn.build);
  progress(`${fn.name}: ${bundle.initialBytes} bytes at start; cold imports`);
  const cold = coldInit(bundle.entryFile, emptyFile);
  progress(`${fn.name}: cold import ${cold.medianMs} ms`);
  // The HTTP API function takes webhooks (POST /v1/events/…) rather than provider events.
  const via: Via | undefined = fn.name.startsWith('aws:')
    ? fn.entry.endsWith('/http.ts')
      ? 'api'
      : 'events'
    : fn.name === 'gcp' || fn.name === 'azure'
      ? fn.name
      : undefined;
  const figures = via
    ? await functionFigures(
        bundle.entryFile,
        redisUrl,
        via,
        // Each function its own deployment namespace: another's idempotency records would answer its events.
        `bench-${fn.name.replace(/[^a-z0-9]/gi, '-')}`,
      )
    : {
        firstEventMs: null,
        roundTripsPerEvent: null,
        eventsPerSecond: null,
        stateBytesAfterDay: null,
        detail: { note: `no driver for ${fn.name} in tools/bench/function-driver.mjs yet` },
      };
  return {
    entry: fn.entry,
    bundleBytes: bundle.initialBytes,
    coldInitMs: cold.medianMs,
    firstEventMs: figures.firstEventMs,
    roundTripsPerEvent: figures.roundTripsPerEvent,
    eventsPerSecond: figures.eventsPerSecond,
    stateBytesAfterDay: figures.stateBytesAfterDay,
    packageBytes: bundle.packageBytes,
    coldInit: cold,
    files: bundle.files.map(({ path, bytes, initial }) => ({
      path: path.replace(/^\.bench\/functions\/[^/]+\//, ''),
      bytes,
      initial,
    })),
    ...figures.detail,
  };
}

const server = await startRedisServer();
const scratch = join(root, '.bench');
mkdirSync(scratch, { recursive: true });
const emptyFile = join(scratch, 'empty.mjs');
writeFileSync(emptyFile, 'export {};\n');
const functions: Record<string, unknown> = {};
try {
  for (const fn of functionEntries(root))
    if (!values.function || fn.name === values.function) functions[fn.name] = await measure(fn, server.url, emptyFile);
} finally {
  await server.close();
}
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();
const result = { commit, node: process.version, loadAverage1m: round(loadavg()[0] ?? 0, 2), functions };
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  for (const [name, f] of Object.entries(functions) as [string, any][]) {
    console.log(`${name} (${f.entry}) at ${commit ?? '?'}, ${process.version}, load ${result.loadAverage1m}`);
    console.log(
      `  bundle ${f.bundleBytes.toLocaleString('en-US')} bytes at start (goal ≤ 400 KB), ${f.packageBytes.toLocaleString('en-US')} with lazy chunks`,
    );
    console.log(
      `  cold import ${f.coldInitMs} ms median (min ${f.coldInit.minMs}, max ${f.coldInit.maxMs}; goal ≤ 60)`,
    );
    if (f.roundTripsPerEvent) {
      console.log(`  first event in a fresh process ${f.firstEventMs} ms median (import excluded; no goal, reported)`);
      console.log(
        `  round trips per event: hold ${f.roundTripsPerEvent.hold} (≤ 2), act ${f.roundTripsPerEvent.act} (≤ 3)`,
      );
      console.log(`  ${f.eventsPerSecond.toLocaleString('en-US')} events/s in one process (goal ≥ 5,000)`);
      console.log(`  memory after a day: ${f.stateBytesAfterDay.toLocaleString('en-US')} bytes (goal ≤ 8 KB)`);
    } else console.log(`  ${f.note}`);
  }
}
