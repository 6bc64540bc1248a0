/**
 * `tide serve --demo`: the example target and policy (examples/serve-demo.*.json), and the bundled Azure LLM
 * conversation trace (data/) replayed into the simulated cloud, time compressed. Every 10 s of trace time the
 * load is turned into the metric a SageMaker endpoint reports (requests in flight per ready replica: the
 * offered work of the arrivals, by Little's law, over the ready replicas) and handed to the shell, as a
 * metric webhook would be; a status line says what the fleet does.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PolicySchema } from '../../core/schema/policy.ts';
import { TargetSchema, type Target } from '../../core/schema/target.ts';
import { DEFAULT_SERVING_MODEL, serviceSeconds } from '../../simulator/serving.ts';
import { parseTrace, type Trace } from '../../simulator/trace.ts';
import { usdPerHourOf } from '../http/cost.ts';
import type { ServeRuntime } from './runtime.ts';

/**
 * The repository root: two levels up from this file in the sources, one up from dist/tide.mjs in the bundle
 * (the bundled CLI). The first directory upwards that holds the demo's documents.
 */
const ROOT =
  ['./', '../', '../../']
    .map((up) => fileURLToPath(new URL(up, import.meta.url)))
    .find((dir) => existsSync(`${dir}examples/serve-demo.target.json`)) ??
  fileURLToPath(new URL('../../', import.meta.url));
/** Trace time between two metric datapoints (SageMaker's high-resolution period). */
const PERIOD_MS = 10_000;
export const DEMO_METRIC = 'concurrent_requests_per_replica';

/** The demo's target and policy, from examples/. */
export async function loadDemoDocuments(): Promise<{ target: Target; policy: ReturnType<typeof PolicySchema.parse> }> {
  const read = async (name: string) => JSON.parse(await readFile(`${ROOT}examples/${name}`, 'utf8')) as unknown;
  return {
    target: TargetSchema.parse(await read('serve-demo.target.json')),
    policy: PolicySchema.parse(await read('serve-demo.policy.json')),
  };
}

/** Offered concurrency (requests in flight if served at once) per 10-s period of the trace. */
export function offeredPerPeriod(trace: Trace): number[] {
  const periods = Math.max(1, Math.ceil((trace.endAt - trace.startAt + 1) / PERIOD_MS));
  const work = new Array<number>(periods).fill(0);
  for (const request of trace.requests) {
    const index = Math.min(periods - 1, Math.floor((request.arrivalAt - trace.startAt) / PERIOD_MS));
    work[index]! += serviceSeconds(DEFAULT_SERVING_MODEL, request);
  }
  return work.map((seconds) => seconds / (PERIOD_MS / 1000));
}

export interface Demo {
  stop(): Promise<void>;
}

/** Put the demo documents and start the replay. `status` gets one line every `statusEveryMs` of wall time. */
export async function startDemo(
  runtime: ServeRuntime,
  options: { status: (line: string) => void; statusEveryMs?: number; realMsPerPeriod: number },
): Promise<Demo> {
  const { target, policy } = await loadDemoDocuments();
  await runtime.store.putTarget(target);
  await runtime.store.putPolicy(target.id, policy);
  runtime.ingest.invalidateTargets();
  const trace = parseTrace(await readFile(`${ROOT}data/AzureLLMInferenceTrace_conv.csv`, 'utf8'), 'conversation trace');
  const offered = offeredPerPeriod(trace);
  const startedAt = runtime.clock.now();
  let period = -1;
  let load = 0;
  let running: Promise<void> | null = null;

  const feed = async () => {
    const now = runtime.clock.now();
    const current = Math.floor((now - startedAt) / PERIOD_MS);
    if (current === period) return;
    period = current;
    const port = runtime.cloud.portFor(target);
    const observed = await port.readCapacity(target.id);
    const ready = observed.pools.reduce((sum, pool) => sum + pool.ready, 0);
    load = offered[current % offered.length]!;
    const perReplica = Math.round((load / Math.max(1, ready)) * 100) / 100;
    try {
      await runtime.shell.handle({
        targetId: target.id,
        signal: {
          kind: 'metric',
          metric: DEMO_METRIC,
          value: perReplica,
          unit: 'Count',
          source: 'tide-demo',
          observedAt: now,
          eventId: `demo:${startedAt}:${current}`,
        },
      });
    } catch (error) {
      runtime.logger.warn('demo: metric not handled', { error: (error as Error).message });
    }
  };
  const feedTimer = setInterval(
    () => {
      running ??= feed().finally(() => {
        running = null;
      });
    },
    Math.max(20, options.realMsPerPeriod / 2),
  );

  const report = async () => {
    const observed = await runtime.cloud.portFor(target).readCapacity(target.id);
    const pool = observed.pools[0]!;
    const minutes = ((runtime.clock.now() - startedAt) / 60_000).toFixed(1);
    const cost = usdPerHourOf(observed);
    options.status(
      `demo t+${minutes.padStart(5)} min  load ${load.toFixed(1).padStart(5)} in flight  desired ${String(pool.desired).padStart(2)}  ready ${String(pool.ready).padStart(2)}  booting ${pool.pending}  ${cost === null ? '' : `$${cost.toFixed(2)}/h`}`,
    );
  };
  const statusTimer = setInterval(() => void report().catch(() => undefined), options.statusEveryMs ?? 2000);
  return {
    async stop() {
      clearInterval(feedTimer);
      clearInterval(statusTimer);
      await running;
    },
  };
}
