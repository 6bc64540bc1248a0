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
import { inferenceInputs, manyPoolsInputs, plansInputs } from './decide-inputs.ts';
import { poolScaling } from './pool-scaling.ts';
import type { DecisionInput } from '../../core/index.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '3' },
    'training-inputs': { type: 'string' },
  },
});
const budgetMs = Number(values.seconds) * 1000;

const inputs = inferenceInputs(2000);
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
