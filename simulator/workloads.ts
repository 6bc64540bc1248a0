import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { input as Input } from 'zod';
import type { PlanSchema } from '../core/schema/plan.ts';
import { parseTrace, type Trace } from './trace.ts';
import { syntheticTrace } from './synthetic.ts';
import { tradingDay } from './trading-day.ts';

type PlanDocument = Input<typeof PlanSchema>;

/** A named workload `tide simulate --workload NAME` can replay. */
export interface NamedWorkload {
  name: string;
  description: string;
  load(seed: number): Promise<Trace>;
  /**
   * Scheduled plans a Tide user would write for this workload (the trading day's open and close);
   * added to Tide's default policy. Baselines get none: see docs/simulator.md.
   */
  plans?: PlanDocument[];
}

// data/ is one level up from here, and from dist/ where the bundled CLI runs this same line.
const dataFile = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

async function loadCsv(path: string, name: string): Promise<Trace> {
  return { ...parseTrace(await readFile(path, 'utf8'), path), name };
}

/** The bundled workloads: both Azure LLM traces (CC-BY-4.0, see data/README.md) and the trading day. */
export const WORKLOADS: readonly NamedWorkload[] = [
  {
    name: 'conversation',
    description:
      'Azure LLM conversation trace, 2023-11-16, 58 min, 19,366 requests (Patel et al., ISCA 2024; Azure Public Dataset)',
    load: () => loadCsv(dataFile('AzureLLMInferenceTrace_conv.csv'), 'conversation'),
  },
  {
    name: 'code',
    description:
      'Azure LLM code-completion trace, 2023-11-16, 57 min, 8,819 requests, bursty (Patel et al., ISCA 2024; Azure Public Dataset)',
    load: () => loadCsv(dataFile('AzureLLMInferenceTrace_code.csv'), 'code'),
  },
  tradingDayWorkload('trading-day', '2026-12-01', 'a regular Tuesday'),
  tradingDayWorkload('trading-day-early-close', '2026-11-27', 'the day after Thanksgiving, XNYS closes at 13:00'),
  tradingDayWorkload('trading-day-holiday', '2026-11-26', 'Thanksgiving, XNYS closed'),
  // Stand-ins for issue 17's hidden workloads (our own generators of those shapes: simulator/synthetic.ts).
  {
    name: 'step',
    description:
      'synthetic step-shaped load, seeded: 6 h of levels jumping 0.4-4 × a 1-3 requests/s base, each held 20-70 min',
    load: async (seed) => syntheticTrace('step', seed),
  },
  {
    name: 'swell',
    description:
      'synthetic swell-shaped load, seeded: 6 h of smooth swells to 2-5 × a 1-3 requests/s base, rising over 15-60 min',
    load: async (seed) => syntheticTrace('swell', seed),
  },
  {
    name: 'diurnal',
    description:
      'synthetic diurnal week, seeded: a daily cycle between 0.2 and 1.8 × a 2-4 requests/s mean, weekends at 50-70 %',
    load: async (seed) => syntheticTrace('diurnal', seed),
  },
];

/** The workload called `name`, or undefined. */
export function findWorkload(name: string): NamedWorkload | undefined {
  return WORKLOADS.find((workload) => workload.name === name);
}

/**
 * The synthetic trading day on a date, with plans that follow the XNYS session, so an early close or a
 * holiday in the simulation is the real one (core/calendars): no cron line says when the close comes.
 */
function tradingDayWorkload(name: string, date: string, what: string): NamedWorkload {
  return {
    name,
    description: `synthetic trading day 08:00-17:00 New York on ${date} (${what}), seeded: open and close surges, lunch dip, news spikes`,
    load: async (seed) => tradingDay({ seed, date }),
    plans: [
      // The open surge is known in advance: be at 8 replicas by 09:30 (boot 525 s, so pre-warm 600 s). It
      // decays with a 20-minute time constant, so after 30 minutes target tracking alone keeps up.
      {
        name: 'market-open',
        session: { exchange: 'XNYS', durationMinutes: 30 },
        minCapacity: 8,
        preWarmSeconds: 600,
      },
      // The close ramps up over 30 minutes; target tracking follows the first half, the plan the last 15
      // (and 5 after), wherever the close falls that day.
      {
        name: 'market-close',
        session: { exchange: 'XNYS', startMinutesBeforeClose: 15, closeOffsetMinutes: 5 },
        minCapacity: 7,
        preWarmSeconds: 600,
      },
    ],
  };
}
