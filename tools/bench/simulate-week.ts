/**
 * `npm run bench:simulate-week -- [--only tide,hpa,…] [--no-oracle] [--json]`
 *
 * Times a week-long trace replay (issue 17: "simulate a week-long trace in under 60 s"): a synthetic diurnal
 * week, mean 10 requests/s (weekdays: 10 × (1 + 0.55 sin) ÷ 0.94, peak at 15:00 UTC; the weekend at 60 %),
 * Poisson arrivals per second, prompts 300-899 tokens, outputs 50-149, all from the project's seeded generator (adapters/fake-cloud/random.ts, seed 12345): about
 * 5.7 million requests. It is built in memory (reading a CSV of it is timed apart: see docs/simulator.md),
 * then replayed with `runComparison` through the autoscalers asked for (default: all) and the oracle.
 * Prints CPU seconds (user + system of this process) and wall seconds: on a shared machine the wall time
 * follows the load, the CPU time much less.
 */
import { parseArgs } from 'node:util';
import { createRandom } from '../../adapters/fake-cloud/random.ts';
import { AUTOSCALER_NAMES, type AutoscalerName, runComparison } from '../../simulator/comparison.ts';
import type { Trace, TraceRequest } from '../../simulator/trace.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

/** The synthetic diurnal week (deterministic). */
export function diurnalWeek(): Trace {
  // The project's one seeded generator (pure-rand's Mersenne Twister), seed 12345.
  const { next: random } = createRandom(12345);
  const poisson = (mean: number) => {
    let k = 0;
    let p = Math.exp(-mean);
    let sum = p;
    const u = random();
    while (u > sum) {
      k++;
      p *= mean / k;
      sum += p;
    }
    return k;
  };
  const startAt = Date.parse('2026-11-30T00:00:00Z');
  const requests: TraceRequest[] = [];
  for (let second = 0; second < 7 * 86_400; second++) {
    const day = Math.floor(second / 86_400);
    const hour = (second % 86_400) / 3600;
    const rate = (10 * (day >= 5 ? 0.6 : 1) * (1 + 0.55 * Math.sin(((hour - 9) / 24) * 2 * Math.PI))) / 0.94;
    const count = poisson(rate);
    const offsets: number[] = [];
    for (let i = 0; i < count; i++) offsets.push(Math.floor(random() * 1000));
    offsets.sort((a, b) => a - b);
    for (const offset of offsets)
      requests.push({
        arrivalAt: startAt + second * 1000 + offset,
        contextTokens: 300 + Math.floor(random() * 600),
        generatedTokens: 50 + Math.floor(random() * 100),
      });
  }
  return { name: 'diurnal-week', startAt, endAt: requests.at(-1)!.arrivalAt, requests };
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'no-oracle': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
// Without --only, the comparison's own default (the `-plan-less` variants only run on a workload with plans).
const only = values.only?.split(',') as AutoscalerName[] | undefined;
for (const name of only ?? [])
  if (!(AUTOSCALER_NAMES as readonly string[]).includes(name)) throw new Error(`--only: unknown autoscaler "${name}"`);
const trace = diurnalWeek();
const wall = performance.now();
const cpu = process.cpuUsage();
const report = await runComparison({ trace, ...(only ? { only } : {}), oracle: !values['no-oracle'] });
const used = process.cpuUsage(cpu);
const result = {
  requests: trace.requests.length,
  autoscalers: report.runs.map((run) => run.name),
  oracle: report.oracle ? { costUsd: report.oracle.costUsd, sloViolationShare: report.oracle.sloViolationShare } : null,
  cpuSeconds: Math.round((used.user + used.system) / 1e5) / 10,
  wallSeconds: Math.round((performance.now() - wall) / 100) / 10,
};
console.log(
  values.json
    ? JSON.stringify(result)
    : `${result.requests} requests, ${result.autoscalers.length} autoscalers${result.oracle ? ' + oracle' : ''}: ${result.cpuSeconds} s CPU, ${result.wallSeconds} s wall`,
);
