/**
 * `npm run bench:e2e -- --json [--cloud aws] [--events N] [--concurrency C]`: events through a cloud's function
 * entry in act mode, over loopback Redis and the cloud's local wire-level endpoint, timed from handler entry
 * to its return (the provider calls included). Prints `{ p50Ms, p99Ms, eventsPerSecond }` and what was measured,
 * with the CPU time per event of this process (the function) and of the processes beside it that a mode names
 * (Redis; the cloud's fake when it runs apart, as the AWS mode's does unless `--fake-in-process`).
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
    'fake-in-process': { type: 'boolean', default: false },
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

const bench = await cloud.start({ fakeInProcess: values['fake-in-process'] });
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
const callsBefore = await bench.providerCalls();
const actionsBefore = await bench.actions();
const othersBefore = (await bench.otherCpuUs?.()) ?? {};
const durations: number[] = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
await run(events, durations);
const elapsedMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const othersAfter = (await bench.otherCpuUs?.()) ?? {};
const perEvent = (us: number) => Math.round((us / events / 1000) * 1000) / 1000;
// CPU ms per event: this process (the function: handler, Tide, the SDK clients), then each process beside it.
const cpuMsPerEvent: Record<string, number | null> = { bench: perEvent(cpu.user + cpu.system) };
for (const [name, after] of Object.entries(othersAfter)) {
  const before = othersBefore[name];
  cpuMsPerEvent[name] = after === null || before === null || before === undefined ? null : perEvent(after - before);
}
durations.sort((a, b) => a - b);
const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? Number.NaN;
const result = {
  cloud: cloud.name,
  events,
  concurrency,
  p50Ms: Math.round(at(0.5) * 100) / 100,
  p99Ms: Math.round(at(0.99) * 100) / 100,
  eventsPerSecond: Math.round((events / elapsedMs) * 1000),
  providerCallsPerEvent: Math.round((((await bench.providerCalls()) - callsBefore) / events) * 100) / 100,
  scaleCalls: (await bench.actions()) - actionsBefore,
  cpuMsPerEvent,
  ...(bench.setup ? { setup: bench.setup } : {}),
};
await bench.stop();
if (values.json) console.log(JSON.stringify(result));
else
  console.log(
    `${result.cloud}: ${events} events, concurrency ${concurrency}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.eventsPerSecond} events/s, ${result.providerCallsPerEvent} provider calls/event, ${result.scaleCalls} scale calls; CPU ms/event ${Object.entries(
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
