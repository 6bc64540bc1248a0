import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { input as Input } from 'zod';
import type { PlanSchema } from '../core/schema/plan.ts';
import { parseTrace, type Trace } from './trace.ts';
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
  {
    name: 'trading-day',
    description: 'synthetic trading day 08:00-17:00 New York, seeded: open and close surges, lunch dip, news spikes',
    load: async (seed) => tradingDay({ seed }),
    plans: [
      // The open surge is known in advance: be at 8 replicas by 09:30 (boot 525 s, so pre-warm 600 s). It
      // decays with a 20-minute time constant, so after 30 minutes target tracking alone keeps up.
      {
        name: 'market-open',
        start: '30 9 * * 1-5',
        durationMinutes: 30,
        timezone: 'America/New_York',
        minCapacity: 8,
        preWarmSeconds: 600,
        excludeCalendars: ['nyse'],
      },
      // The close ramps up over 30 minutes; target tracking follows the first half, the plan the last 15.
      {
        name: 'market-close',
        start: '45 15 * * 1-5',
        durationMinutes: 20,
        timezone: 'America/New_York',
        minCapacity: 7,
        preWarmSeconds: 600,
        excludeCalendars: ['nyse'],
      },
    ],
  },
];

/** The workload called `name`, or undefined. */
export function findWorkload(name: string): NamedWorkload | undefined {
  return WORKLOADS.find((workload) => workload.name === name);
}
