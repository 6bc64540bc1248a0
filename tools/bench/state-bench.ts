/**
 * `npm run bench:state [-- --json] [--events N]`: what the state layer costs per event, on each store,
 * against a loopback redis-server this script starts (and the Upstash REST bridge over it).
 *
 * Round trips are counted twice: by the store's transport (requests it sent) and on the far side (HTTP
 * requests the bridge served, or EVAL/EVALSHA calls in Redis's INFO commandstats), so the figures do not
 * rest on the code being measured. Scenarios, each with warm script caches:
 * - hold: a new event whose decision has no actions (the common case): load + commit;
 * - act: a new event with actions: load + commit + confirmation after acting;
 * - duplicate: a redelivery: load only;
 * - events/s: one instance sequentially, and 16 concurrent instances on 10 targets (lost races included).
 */
import { Redis as IoRedis } from 'ioredis';
import type { Target } from '../../core/schema/target.ts';
import type { ActuatorPort } from '../../adapters/ports/actuator.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { ioredisTransport } from '../../adapters/state/ioredis-transport.ts';
import { MemoryStateStore } from '../../adapters/state/memory-store.ts';
import { RedisStateStore } from '../../adapters/state/redis-store.ts';
import { upstashTransport } from '../../adapters/state/upstash-transport.ts';
import { createShell, type Decide, type Shell, type TargetSignal } from '../../functions/shell/shell.ts';
import { startRedisServer } from '../../test/support/redis-server.ts';
import { startUpstashBridge } from '../../test/support/upstash-bridge.ts';
import { testPolicy, testTarget } from '../../test/adapters/state/fixtures.ts';
import { deliverAll } from '../../test/functions/shell/support/event-run.ts';
import { foldingDecide, metricSignal, observedFor, RecordingLogger } from '../../test/functions/shell/support/fakes.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

type Kind = 'memory' | 'redis' | 'upstash';
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const eventsArg = args.indexOf('--events');
const EVENTS = eventsArg >= 0 ? Number(args[eventsArg + 1]) : 2000;
const TARGETS = 10;
const CONCURRENCY = 16;

const server = await startRedisServer();
const bridge = await startUpstashBridge({ redisUrl: server.url });
const inspect = new IoRedis(server.url);

/** Script calls Redis has served (commands run inside scripts are not requests, so they are left out). */
async function scriptCalls(): Promise<number> {
  const info = await inspect.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(match[2]);
  return calls;
}

async function farSide(kind: Kind): Promise<number | null> {
  if (kind === 'upstash') return bridge.requests;
  if (kind === 'redis') return scriptCalls();
  return null;
}

let namespaceCounter = 0;
function openStore(kind: Kind, namespace: string): StateStore & { roundTrips: number } {
  if (kind === 'memory') return new MemoryStateStore({ namespace });
  const transport =
    kind === 'redis'
      ? ioredisTransport({ url: server.url, timeoutMs: 1000 })
      : upstashTransport({ url: bridge.url, token: bridge.token, timeoutMs: 1000 });
  return new RedisStateStore(transport, { namespace });
}

/**
 * The test decide with its memory kept to the last 30 signals, as the real core prunes to its windows:
 * the figures are for a memory of a steady size (about 1 KiB of JSON), not one growing with the run.
 */
const boundedDecide: Decide = (input) => {
  const decision = foldingDecide(input);
  const { samples, recommendations } = decision.memory;
  return {
    ...decision,
    memory: {
      ...decision.memory,
      samples: { seen: (samples.seen ?? []).slice(-30) },
      recommendations: recommendations.slice(-30),
    },
  };
};

/** An actuator port that accepts every call and changes nothing: the bench measures the state store. */
const idleActuator = (target: Target): ActuatorPort => ({
  readCapacity: async () => observedFor(target),
  setCapacity: async () => undefined,
  changeInstanceType: async () => undefined,
  launchCapacity: async () => [],
  drainAndRelease: async () => undefined,
  requestCheckpoint: async () => undefined,
});

function shellFor(store: StateStore): Shell {
  return createShell({
    store,
    decide: boundedDecide,
    actuators: idleActuator,
    clock: { now: () => Date.now() },
    logger: new RecordingLogger(),
  });
}

/** value 50 holds, 90 scales out (foldingDecide); each event on its own target round-robin. */
function events(count: number, value: number, prefix: string): TargetSignal[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    targetId: `target-${i % TARGETS}`,
    signal: metricSignal(`${prefix}-${i}`, value, now + i),
  }));
}

interface Measured {
  roundTripsPerEvent: number;
  /** Counted by Redis or the bridge; null for memory. */
  serverRoundTripsPerEvent: number | null;
  eventsPerSecond: number;
}

async function sequential(
  kind: Kind,
  store: StateStore & { roundTrips: number },
  batch: TargetSignal[],
): Promise<Measured> {
  const shell = shellFor(store);
  const clientBefore = store.roundTrips;
  const serverBefore = await farSide(kind);
  const started = performance.now();
  for (const event of batch) await shell.handle(event);
  const seconds = (performance.now() - started) / 1000;
  const serverAfter = await farSide(kind);
  return {
    roundTripsPerEvent: (store.roundTrips - clientBefore) / batch.length,
    serverRoundTripsPerEvent:
      serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / batch.length,
    eventsPerSecond: batch.length / seconds,
  };
}

async function concurrent(
  kind: Kind,
  first: StateStore & { roundTrips: number },
  namespace: string,
  batch: TargetSignal[],
): Promise<Measured & { lostRaces: number }> {
  // Each instance its own client (memory: one store, it lives in this process).
  const stores = [
    first,
    ...Array.from({ length: kind === 'memory' ? 0 : CONCURRENCY - 1 }, () => openStore(kind, namespace)),
  ];
  const shells = Array.from({ length: CONCURRENCY }, (_, i) => shellFor(stores[i % stores.length]!));
  const clientBefore = stores.reduce((sum, store) => sum + store.roundTrips, 0);
  const serverBefore = await farSide(kind);
  const started = performance.now();
  const report = await deliverAll({ shells, deliveries: batch, redeliverAfterMs: 1 });
  if (report.failed.length > 0)
    throw new Error(`${kind}: ${report.failed.length} deliveries failed: ${String(report.failed[0]!.error)}`);
  const seconds = (performance.now() - started) / 1000;
  const serverAfter = await farSide(kind);
  const clientAfter = stores.reduce((sum, store) => sum + store.roundTrips, 0);
  const attempts = [...report.results.values()]
    .flat()
    .reduce((sum, result) => sum + (result.status === 'decided' ? result.attempts - 1 : 0), 0);
  await Promise.all(stores.slice(1).map((store) => store.close()));
  return {
    roundTripsPerEvent: (clientAfter - clientBefore) / batch.length,
    serverRoundTripsPerEvent:
      serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / batch.length,
    eventsPerSecond: batch.length / seconds,
    lostRaces: attempts + Object.values(report.retried).reduce((sum, n) => sum + n, 0),
  };
}

const results: Record<string, unknown> = {};
for (const kind of ['memory', 'redis', 'upstash'] as Kind[]) {
  const namespace = `bench-${kind}-${++namespaceCounter}`;
  const store = openStore(kind, namespace);
  for (let i = 0; i < TARGETS; i++) {
    await store.putTarget(testTarget(`target-${i}`));
    await store.putPolicy(
      `target-${i}`,
      testPolicy({ maxCapacity: 16, targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }] }),
    );
  }
  // Warm-up: loads the scripts (NOSCRIPT -> EVAL once each) and lets the JIT settle before anything is timed.
  await sequential(kind, store, events(500, 50, 'warm-hold'));
  await sequential(kind, store, events(500, 90, 'warm-act'));
  const hold = await sequential(kind, store, events(EVENTS, 50, 'hold'));
  const act = await sequential(kind, store, events(EVENTS, 90, 'act'));
  const duplicate = await sequential(kind, store, events(EVENTS, 50, 'hold'));
  const many = await concurrent(kind, store, namespace, events(EVENTS, 50, 'many'));
  await store.close();
  results[kind] = { hold, act, duplicate, concurrent: { instances: CONCURRENCY, ...many } };
}

inspect.disconnect();
await bridge.close();
await server.close();

if (asJson) {
  console.log(JSON.stringify({ events: EVENTS, targets: TARGETS, redis: 'loopback redis-server', results }, null, 2));
} else {
  const f = (n: number | null, digits = 2) => (n === null ? '-' : n.toFixed(digits));
  console.log(
    `State layer, ${EVENTS} events per scenario, ${TARGETS} targets, loopback redis-server (Upstash: the REST bridge over it)\n`,
  );
  console.log(
    'store    | round trips/event: hold  act  duplicate  16 instances | counted by Redis/bridge: hold  act  duplicate  16 instances | events/s: 1 instance  16 instances | lost races (16)',
  );
  for (const [kind, value] of Object.entries(results)) {
    const r = value as {
      hold: Measured;
      act: Measured;
      duplicate: Measured;
      concurrent: Measured & { lostRaces: number };
    };
    console.log(
      `${kind.padEnd(8)} | ${f(r.hold.roundTripsPerEvent).padStart(24)} ${f(r.act.roundTripsPerEvent).padStart(4)} ${f(r.duplicate.roundTripsPerEvent).padStart(10)} ${f(r.concurrent.roundTripsPerEvent).padStart(13)} | ` +
        `${f(r.hold.serverRoundTripsPerEvent).padStart(30)} ${f(r.act.serverRoundTripsPerEvent).padStart(4)} ${f(r.duplicate.serverRoundTripsPerEvent).padStart(10)} ${f(r.concurrent.serverRoundTripsPerEvent).padStart(13)} | ` +
        `${f(r.hold.eventsPerSecond, 0).padStart(20)} ${f(r.concurrent.eventsPerSecond, 0).padStart(13)} | ${String(r.concurrent.lostRaces).padStart(15)}`,
    );
  }
}
