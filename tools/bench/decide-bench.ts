/**
 * `npm run bench [-- --json] [-- --seconds N] [-- --training-inputs FILE]`: decide() throughput and per-call
 * latency, single-threaded (one core), on three input sets (`variants` in the JSON; the top-level figures are
 * the inference ones):
 * - `inference`: an endpoint with a full 15-minute window of per-10-second observations (90 samples per
 *   metric, 90 stabilization recommendations) and two active plans;
 * - `training-spot`: every input `decide` got in one week of the spot bench (seed 1: a training pool on spot
 *   with deadlines, interruptions, checkpoints, fallbacks), recorded by `spot-bench.ts --record`;
 * - `many-pools`: a training pool of 1,000 pools (spot in 200 zones × 5 types), 300 of them with a node, fed
 *   ticks, interruption notices, capacity errors and queued jobs;
 * - `plans`: a policy following three exchanges' sessions (XTKS, XLON, XNYS) over a whole day
 *   (tools/bench/plans-inputs.ts).
 * `poolScaling`: median µs of a decision at 10, 100 and 1,000 pools and the ratios (tools/bench/pool-scaling.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decide } from '../../core/decide.ts';
import { plansInputs } from './plans-inputs.ts';
import { poolScaling } from './pool-scaling.ts';
import {
  DecisionInputSchema,
  PolicySchema,
  type Decision,
  type DecisionInput,
  type SignalInput,
} from '../../core/index.ts';
import { loadCron } from '../../adapters/cron/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '3' },
    'training-inputs': { type: 'string' },
  },
});
const budgetMs = Number(values.seconds) * 1000;

const policy = PolicySchema.parse({
  minCapacity: 2,
  maxCapacity: 64,
  targetTracking: [{ metric: 'gpu_utilization', targetValue: 60, windowSeconds: 900 }],
  behavior: { scaleDown: { stabilizationWindowSeconds: 900 } },
  schedules: [
    {
      name: 'nyse-session',
      start: '30 9 * * 1-5',
      end: '0 16 * * 1-5',
      timezone: 'America/New_York',
      minCapacity: 4,
      preWarmSeconds: 900,
      excludeCalendars: ['XNYS'],
    },
    { name: 'london-overlap', start: '0 8 * * 1-5', end: '30 16 * * 1-5', timezone: 'Europe/London', minCapacity: 3 },
  ],
});

// Tuesday 2026-03-10 14:00Z: 10:00 in New York and 14:00 in London, both plans open.
const start = Date.parse('2026-03-10T14:00:00Z');
const template = DecisionInputSchema.parse({
  now: start,
  signal: { kind: 'schedule-tick', observedAt: start, source: 'bench' },
  target: {
    id: 'bench',
    kind: 'inference-endpoint',
    provider: 'aws',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
  },
  observed: {
    observedAt: start,
    pools: [{ poolId: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired: 8, ready: 8 }],
  },
});

/** Deterministic load wave: the bench needs no randomness. */
const load = (i: number) => 55 + 20 * Math.sin(i / 7);

function makeInputs(count: number): DecisionInput[] {
  let memory: Decision['memory'] | undefined;
  let desired = 8;
  const inputs: DecisionInput[] = [];
  // One observation every 10 s: after 900 s (90 steps) the 15-minute metric window and the 900 s
  // scale-down stabilization window are both full (90 samples, 90 recommendations).
  for (let i = 0; i < 90 + count; i += 1) {
    const now = start + i * 10_000;
    const metric = 'gpu_utilization';
    const value = load(i);
    const input: DecisionInput = {
      ...template,
      now,
      policy,
      signal: { kind: 'metric', metric, value, observedAt: now, source: 'bench' },
      observed: {
        observedAt: now,
        pools: [
          {
            poolId: 'primary',
            instanceType: 'ml.g5.2xlarge',
            capacityType: 'on-demand',
            desired,
            ready: desired,
            pending: 0,
          },
        ],
      },
      ...(memory ? { memory } : {}),
    };
    const decision = decide(input);
    memory = decision.memory;
    desired = decision.desiredCapacity;
    if (i >= 90) inputs.push(input); // the windows are full from here on
  }
  return inputs;
}

const inputs = makeInputs(2000);
const sampleMemory = inputs[0]?.memory;
const windowSamples = sampleMemory?.samples.gpu_utilization?.length ?? 0;
const windowRecommendations = sampleMemory?.recommendations.length ?? 0;
const activePlans = decide(inputs[0] as DecisionInput).reasons.filter((r) => r.startsWith('plan ')).length;

let sink = 0;

const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/**
 * Throughput (whole batches, no per-call timer) and latency (one timer per call) over `inputs`. Warm-up and
 * latency sampling stop at 20 rounds / 50,000 calls or at the budget, whichever comes first, so a slow variant
 * (1,000 pools) still finishes.
 */
function measure(inputs: readonly DecisionInput[], budget: number) {
  const warmStart = process.hrtime.bigint();
  for (let round = 0; round < 20 && elapsedMs(warmStart) < budget; round += 1)
    for (const input of inputs) sink += decide(input).desiredCapacity;
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(budget) * 1_000_000n) {
    for (const input of inputs) sink += decide(input).desiredCapacity;
    calls += inputs.length;
    elapsedNs = process.hrtime.bigint() - t0;
  }
  const latencies: number[] = [];
  const latencyStart = process.hrtime.bigint();
  while (latencies.length < 50_000 && (latencies.length < inputs.length || elapsedMs(latencyStart) < budget)) {
    for (const input of inputs) {
      const before = process.hrtime.bigint();
      sink += decide(input).desiredCapacity;
      latencies.push(Number(process.hrtime.bigint() - before) / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return {
    decisionsPerSecond: Math.round(calls / (Number(elapsedNs) / 1e9)),
    p50Us: Number(pct(50).toFixed(2)),
    p99Us: Number(pct(99).toFixed(2)),
    p999Us: Number(pct(99.9).toFixed(2)),
    inputs: inputs.length,
    calls,
    latencySamples: latencies.length,
  };
}

/** The spot bench's week (seed 1), every decide() input as it was; recorded by a child process unless given. */
function trainingSpotInputs(): DecisionInput[] {
  let file = values['training-inputs'];
  let dir: string | undefined;
  if (!file) {
    dir = mkdtempSync(join(tmpdir(), 'tide-decide-bench-'));
    file = join(dir, 'inputs.jsonl');
    // npm runs scripts from the repository root; the spot bench is run from source there.
    const run = spawnSync('npx', ['tsx', 'tools/bench/spot-bench.ts', '--seed', '1', '--record', file], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (run.status !== 0) throw new Error('recording the spot bench inputs failed');
  }
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as DecisionInput);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const POOL_TYPES = ['p4d.24xlarge', 'p5.48xlarge', 'g5.12xlarge', 'g6e.12xlarge', 'p3.2xlarge'];

/** A training pool of 1,000 pools (999 spot, 1 on-demand), 300 with a node, fed a fixed cycle of signals. */
function manyPoolsInputs(count: number): DecisionInput[] {
  const POOLS = 1000;
  const pools = Array.from({ length: POOLS }, (_, i) => ({
    id: i === POOLS - 1 ? 'od' : `spot-${i}`,
    instanceType: POOL_TYPES[i % POOL_TYPES.length]!,
    capacityType: i === POOLS - 1 ? ('on-demand' as const) : ('spot' as const),
    zone: `z${Math.floor(i / POOL_TYPES.length)}`,
  }));
  const policy = PolicySchema.parse({ minCapacity: 0, maxCapacity: 2000 });
  const target = {
    id: 'many-pools',
    kind: 'training-pool' as const,
    provider: 'aws' as const,
    region: 'us-east-1',
    pools,
  };
  const observedPools = (now: number) => ({
    observedAt: now,
    pools: pools.map((pool, i) => {
      const busy = i < 300;
      return {
        poolId: pool.id,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        desired: busy ? 1 : 0,
        ready: busy ? 1 : 0,
        pending: 0,
        nodes: busy ? [{ id: `n-${i}`, state: 'ready' as const, jobId: `job-${i % 60}` }] : [],
      };
    }),
  });
  const signalAt = (i: number, now: number): SignalInput => {
    const base = { observedAt: now, source: 'bench', eventId: `many-${i}` };
    switch (i % 4) {
      case 0:
        return { kind: 'schedule-tick', ...base };
      case 1:
        return {
          kind: 'spot-interruption',
          instanceId: `n-${(i * 7) % 300}`,
          poolId: `spot-${(i * 7) % 300}`,
          deadlineAt: now + 120_000,
          ...base,
        };
      case 2:
        return {
          kind: 'capacity-error',
          poolId: `spot-${(i * 13) % 999}`,
          capacityType: 'spot',
          code: 'InsufficientInstanceCapacity',
          ...base,
        };
      default:
        return { kind: 'job', event: 'queued', jobId: `q-${i}`, gpusPerNode: 8, nodeCount: 2, ...base };
    }
  };
  const template = DecisionInputSchema.parse({
    now: start,
    signal: signalAt(0, start),
    target,
    policy,
    observed: observedPools(start),
  });
  let memory: Decision['memory'] | undefined;
  const inputs: DecisionInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const now = start + i * 10_000;
    const input: DecisionInput = {
      ...template,
      now,
      signal: DecisionInputSchema.shape.signal.parse(signalAt(i, now)),
      observed: DecisionInputSchema.shape.observed.parse(observedPools(now)),
      ...(memory ? { memory } : {}),
    };
    memory = decide(input).memory;
    inputs.push(input);
  }
  return inputs;
}

const perVariantMs = Math.max(500, budgetMs);
const inference = measure(inputs, perVariantMs);
const variants = {
  inference,
  'training-spot': measure(trainingSpotInputs(), perVariantMs),
  'many-pools': { ...measure(manyPoolsInputs(100), perVariantMs), pools: 1000 },
  plans: { ...measure(plansInputs(), perVariantMs), exchanges: ['XTKS', 'XLON', 'XNYS'] },
};

const result = {
  decisionsPerSecond: inference.decisionsPerSecond,
  p50Us: inference.p50Us,
  p99Us: inference.p99Us,
  p999Us: inference.p999Us,
  calls: inference.calls,
  latencySamples: inference.latencySamples,
  samplesPerMetricInWindow: windowSamples,
  recommendationsInWindow: windowRecommendations,
  activePlans,
  node: process.version,
  goal: {
    decisionsPerSecond: 200000,
    p99Us: 50,
    trainingSpot: { decisionsPerSecond: 100000, p99Us: 50 },
    plans: { p99Us: 50 },
  },
  variants,
  poolScaling: poolScaling(),
  sink: sink > 0,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`decide(): ${result.decisionsPerSecond.toLocaleString('en-US')} decisions/s on one core (goal 200,000)`);
  console.log(`latency: p50 ${result.p50Us} µs, p99 ${result.p99Us} µs (goal < 50), p99.9 ${result.p999Us} µs`);
  console.log(
    `state: ${windowSamples} samples in the metric window, ${windowRecommendations} recommendations in the stabilization window, ${activePlans} active plans`,
  );
  for (const [name, v] of Object.entries(variants))
    console.log(
      `${name}: ${v.decisionsPerSecond.toLocaleString('en-US')} decisions/s, p50 ${v.p50Us} µs, p99 ${v.p99Us} µs (${v.inputs} inputs)`,
    );
  const pools = result.poolScaling;
  console.log(
    `pools: median ${pools.medianUs[10]} µs at 10, ${pools.medianUs[100]} µs at 100, ${pools.medianUs[1000]} µs at 1,000; 1,000 ÷ 10 = ${pools.ratio1000to10}x (linear: 100x), per pool ${pools.perPoolRatio}x`,
  );
}
