/**
 * decide() on one target with 10, 100 and 1,000 capacity pools (half spot, half on-demand, one replica
 * each, a metric signal that scales out): the median time of a call for each, and the ratios. Linear work
 * gives 10x per 10x pools (a per-pool ratio near 1); the quadratic pool lookup it replaced gave 100x.
 */
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema, type DecisionInput } from '../../core/index.ts';

const T0 = Date.parse('2026-03-10T14:00:00Z');

function poolsInput(count: number): DecisionInput {
  const pools = Array.from({ length: count }, (_, i) => ({
    id: `pool-${i}`,
    instanceType: 'ml.g5.2xlarge',
    capacityType: i % 2 === 0 ? 'on-demand' : 'spot',
  }));
  return DecisionInputSchema.parse({
    now: T0,
    signal: { kind: 'metric', metric: 'gpu_utilization', value: 90, observedAt: T0, source: 'bench' },
    target: { id: 'pools', kind: 'inference-endpoint', provider: 'aws', pools },
    policy: { maxCapacity: 100000, targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }] },
    observed: {
      observedAt: T0,
      pools: pools.map(({ id, ...pool }) => ({ ...pool, poolId: id, desired: 1, ready: 1 })),
    },
  });
}

function medianUs(input: DecisionInput, calls: number): number {
  for (let i = 0; i < Math.max(5, calls / 5); i += 1) decide(input);
  const times: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const before = process.hrtime.bigint();
    decide(input);
    times.push(Number(process.hrtime.bigint() - before) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** Median µs per decide() at 10, 100 and 1,000 pools, and how they grow. */
export function poolScaling() {
  const sizes = [10, 100, 1000] as const;
  const us = sizes.map((count) => Number(medianUs(poolsInput(count), count >= 1000 ? 200 : 2000).toFixed(2)));
  const [at10, at100, at1000] = us as [number, number, number];
  return {
    medianUs: { 10: at10, 100: at100, 1000: at1000 },
    /** Time at 1,000 pools over time at 10 (100 = linear, 10,000 = quadratic). */
    ratio1000to10: Number((at1000 / at10).toFixed(1)),
    ratio1000to100: Number((at1000 / at100).toFixed(1)),
    /** Time per pool at 1,000 over time per pool at 10 (1 = linear). */
    perPoolRatio: Number((at1000 / 1000 / (at10 / 10)).toFixed(2)),
  };
}
