/**
 * `npm run bench:e2e -- --json [--cloud aws] [--events N] [--concurrency C] [--hold-events H] [--reads-per-event]`:
 * events through a cloud's function entry in act mode, over loopback Redis and the cloud's local wire-level
 * endpoint, timed from handler entry to its return (the provider calls included). Prints
 * `{ p50Ms, p99Ms, eventsPerSecond }` and what was measured: the provider reads and writes per event, the share
 * of events that acted (asked the cloud for a change), and the CPU time per event of this process (the
 * function) and of the processes beside it (Redis; the cloud's fake, in a child process of its own unless
 * `--fake-in-process`).
 *
 * The workload (./e2e/workload.ts) is pinned to the event's number: events spread over 16 targets, and one
 * event in `--hold-events` (default 4) changes its target's demand, so scale calls fall inside the timed part
 * on every run, fast or slow. The adapters share a capacity read for up to 1 s, as they do in production
 * (adapters/shared-reads.ts); `--reads-per-event` shares none, for the figure with a provider read on every
 * event. Each cloud is a mode in ./e2e/ (AWS, GCP and Azure). Goal: p99 ≤ 50 ms, ≥ 1,000 events/s.
 */
import { parseArgs } from 'node:util';
import { awsE2e } from './e2e/aws.ts';
import { azureE2e } from './e2e/azure.ts';
import { gcpE2e } from './e2e/gcp.ts';
import type { E2eCloud } from './e2e/types.ts';
import { DEFAULT_HOLD_EVENTS } from './e2e/workload.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

const CLOUDS: Record<string, E2eCloud> = { aws: awsE2e, gcp: gcpE2e, azure: azureE2e };

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    cloud: { type: 'string', default: 'aws' },
    events: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '200' },
    'fake-in-process': { type: 'boolean', default: false },
    'reads-per-event': { type: 'boolean', default: false },
    'hold-events': { type: 'string', default: String(DEFAULT_HOLD_EVENTS) },
  },
});
const cloud = CLOUDS[values.cloud];
if (!cloud) {
  console.error(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}, was: ${JSON.stringify(values.cloud)}`);
  process.exit(2);
}
const events = Number(values.events);
const concurrency = Number(values.concurrency);
const warmup = Number(values.warmup);
const holdEvents = Number(values['hold-events']);
if (!Number.isInteger(holdEvents) || holdEvents < 1) {
  console.error(`--hold-events must be an integer ≥ 1, was: ${JSON.stringify(values['hold-events'])}`);
  process.exit(2);
}

const bench = await cloud.start({
  fakeInProcess: values['fake-in-process'],
  readsPerEvent: values['reads-per-event'],
  holdEvents,
});
let next = 0;
let redeliveries = 0;
const run = async (count: number, durations?: number[]) => {
  const end = next + count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < end) {
        const i = next++;
        const started = performance.now();
        // A failed delivery is delivered again, as the platform would (a Lambda retry, a Pub/Sub or action
        // group redelivery): e.g. a commit that lost the compare-and-set to the target's other events five
        // times over. The event's time runs from its first delivery; failures are counted and printed.
        for (let attempt = 1; ; attempt++) {
          try {
            await bench.invoke(i);
            break;
          } catch (error) {
            redeliveries++;
            if (attempt >= 5) throw error;
          }
        }
        durations?.push(performance.now() - started);
      }
    }),
  );
};
await run(warmup);
const fakeBefore = await bench.fake.stats();
const actedBefore = bench.actedEvents();
const redeliveriesBefore = redeliveries;
const othersBefore = (await bench.otherCpuUs?.()) ?? {};
const durations: number[] = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
await run(events, durations);
const elapsedMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const acted = bench.actedEvents() - actedBefore;
const fakeAfter = await bench.fake.stats();
const othersAfter: Record<string, number | null> = { ...((await bench.otherCpuUs?.()) ?? {}), fake: fakeAfter.cpuUs };
othersBefore.fake = fakeBefore.cpuUs;
const perEvent = (us: number) => Math.round((us / events / 1000) * 1000) / 1000;
// CPU ms per event: this process (the function: handler, Tide, the SDK clients), then each process beside it.
const cpuMsPerEvent: Record<string, number | null> = { bench: perEvent(cpu.user + cpu.system) };
for (const [name, after] of Object.entries(othersAfter)) {
  const before = othersBefore[name];
  cpuMsPerEvent[name] = after === null || before === null || before === undefined ? null : perEvent(after - before);
}
durations.sort((a, b) => a - b);
const perEventOf = (count: number) => Math.round((count / events) * 1000) / 1000;
const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? Number.NaN;
const result = {
  cloud: cloud.name,
  events,
  concurrency,
  p50Ms: Math.round(at(0.5) * 100) / 100,
  p99Ms: Math.round(at(0.99) * 100) / 100,
  eventsPerSecond: Math.round((events / elapsedMs) * 1000),
  providerReadsPerEvent: perEventOf(fakeAfter.reads - fakeBefore.reads),
  providerWritesPerEvent: perEventOf(fakeAfter.writes - fakeBefore.writes),
  actedShare: perEventOf(acted),
  redeliveries: redeliveries - redeliveriesBefore,
  cpuMsPerEvent,
  holdEvents,
  sharedReads: !values['reads-per-event'],
  ...(bench.setup ? { setup: bench.setup } : {}),
};
await bench.stop();
if (values.json) console.log(JSON.stringify(result));
else
  console.log(
    `${result.cloud}: ${events} events, concurrency ${concurrency}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.eventsPerSecond} events/s; per event ${result.providerReadsPerEvent} provider reads, ${result.providerWritesPerEvent} writes, ${result.actedShare} acted, ${result.redeliveries} redelivered (shared reads: ${result.sharedReads ? 'yes' : 'no'}); CPU ms/event ${Object.entries(
      cpuMsPerEvent,
    )
      .map(([name, ms]) => `${name} ${ms ?? '?'}`)
      .join(', ')}${
      bench.setup
        ? `; ${Object.entries(bench.setup)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')}`
        : ''
    }`,
  );
