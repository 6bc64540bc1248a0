/**
 * `npm run bench:e2e -- --json [--cloud aws] [--events N] [--concurrency C]`: events through a cloud's function
 * entry in act mode, over loopback Redis and the cloud's local wire-level endpoint, timed from handler entry
 * to its return (the provider calls included). Prints `{ p50Ms, p99Ms, eventsPerSecond }` and what was measured.
 * Each cloud is a mode in ./e2e/ (AWS, GCP and Azure). Goal: p99 ≤ 50 ms, ≥ 1,000 events/s.
 */
import { parseArgs } from 'node:util';
import { awsE2e } from './e2e/aws.ts';
import { azureE2e } from './e2e/azure.ts';
import { gcpE2e } from './e2e/gcp.ts';
import type { E2eCloud } from './e2e/types.ts';
import { loadCron } from '../../adapters/cron/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();

const CLOUDS: Record<string, E2eCloud> = { aws: awsE2e, gcp: gcpE2e, azure: azureE2e };

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    cloud: { type: 'string', default: 'aws' },
    events: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '200' },
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

const bench = await cloud.start();
let next = 0;
const run = async (count: number, durations?: number[]) => {
  const end = next + count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < end) {
        const i = next++;
        const started = performance.now();
        await bench.invoke(i);
        durations?.push(performance.now() - started);
      }
    }),
  );
};
await run(warmup);
const callsBefore = bench.providerCalls();
const actionsBefore = bench.actions();
const durations: number[] = [];
const started = performance.now();
await run(events, durations);
const elapsedMs = performance.now() - started;
durations.sort((a, b) => a - b);
const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? Number.NaN;
const result = {
  cloud: cloud.name,
  events,
  concurrency,
  p50Ms: Math.round(at(0.5) * 100) / 100,
  p99Ms: Math.round(at(0.99) * 100) / 100,
  eventsPerSecond: Math.round((events / elapsedMs) * 1000),
  providerCallsPerEvent: Math.round(((bench.providerCalls() - callsBefore) / events) * 100) / 100,
  scaleCalls: bench.actions() - actionsBefore,
};
await bench.stop();
if (values.json) console.log(JSON.stringify(result));
else
  console.log(
    `${result.cloud}: ${events} events, concurrency ${concurrency}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.eventsPerSecond} events/s, ${result.providerCallsPerEvent} provider calls/event, ${result.scaleCalls} scale calls`,
  );
