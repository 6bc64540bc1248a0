/**
 * `npm run bench [-- --json] [-- --seconds N]`: decide() throughput and per-call latency for a target
 * with a full 15-minute window of per-10-second observations (90 samples per metric, 90 stabilization
 * recommendations) and two active plans. Single-threaded: one core. `variants` in the JSON:
 * - `inference`: that input set (the top-level figures);
 * - `plans`: a policy following three exchanges' sessions (XTKS, XLON, XNYS) over a whole day
 *   (tools/bench/plans-inputs.ts).
 */
import { parseArgs } from 'node:util';
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema, PolicySchema, type Decision, type DecisionInput } from '../../core/index.ts';
import { plansInputs } from './plans-inputs.ts';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, seconds: { type: 'string', default: '3' } },
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

/** Throughput (whole batches, no per-call timer) and latency (one timer per call) over `inputs`. */
function measure(inputs: readonly DecisionInput[], budget: number) {
  // Warm up the JIT: at least 20 rounds or 20,000 calls.
  const rounds = Math.max(20, Math.ceil(20_000 / inputs.length));
  for (let round = 0; round < rounds; round += 1) for (const input of inputs) sink += decide(input).desiredCapacity;
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(budget) * 1_000_000n) {
    for (const input of inputs) sink += decide(input).desiredCapacity;
    calls += inputs.length;
    elapsedNs = process.hrtime.bigint() - t0;
  }
  const latencies: number[] = [];
  const latencyRounds = Math.max(1, Math.ceil(50_000 / inputs.length));
  for (let round = 0; round < latencyRounds; round += 1) {
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

const perVariantMs = Math.max(500, budgetMs);
const inference = measure(inputs, perVariantMs);
const variants = {
  inference,
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
  goal: { decisionsPerSecond: 200000, p99Us: 50, plans: { p99Us: 50 } },
  variants,
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
}
