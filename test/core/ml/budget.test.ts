import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide } from '../../../core/decide.ts';
import { MemorySchema, type PolicyInput } from '../../../core/index.ts';
import { recordSpend, SPEND_RESOLUTION_MS, spentUsd } from '../../../core/strategies/ml/budget.ts';
import { ML_MEMORY_LIMITS } from '../../../core/schema/ml-memory.ts';
import { HOUR, P3, T0, memoryWith, mlInput, nodes, sec } from './ml-builders.ts';

/** ml.g5.2xlarge on-demand: $1.515/h. Target tracking at 60 % GPU utilization. */
const endpoint = (
  desired: number,
  policy: PolicyInput,
  utilization: number,
  extra: Partial<Parameters<typeof mlInput>[0]> = {},
) =>
  mlInput({
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired, ready: desired }],
    policy: { maxCapacity: 20, targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }], ...policy },
    signal: { kind: 'metric', metric: 'gpu_utilization', value: utilization, observedAt: T0, source: 'test' },
    ...extra,
  });

describe('spend accounting', () => {
  it.each([
    {
      label: 'one rate for 23 h',
      samples: [[T0 - 23 * HOUR, 20]] as [number, number][],
      from: T0 - 23 * HOUR,
      usd: 460,
    },
    {
      label: '$10/h then $30/h from 2 h ago',
      samples: [
        [T0 - 30 * HOUR, 10],
        [T0 - 2 * HOUR, 30],
      ] as [number, number][],
      from: T0 - 23 * HOUR,
      usd: 21 * 10 + 2 * 30,
    },
    { label: 'nothing recorded', samples: [] as [number, number][], from: T0 - 23 * HOUR, usd: 0 },
  ])('$label: $usd', ({ samples, from, usd }) => {
    expect(spentUsd(samples, from, T0)).toBeCloseTo(usd, 6);
  });

  it('keeps only changes of rate and the last sample before the 24 h window', () => {
    let ml = memoryWith({}).ml;
    ml = recordSpend(ml, T0 - 30 * HOUR, 5);
    ml = recordSpend(ml, T0 - 26 * HOUR, 7);
    ml = recordSpend(ml, T0 - 2 * HOUR, 7);
    ml = recordSpend(ml, T0, 9);
    expect(ml.spend).toEqual([
      [T0 - 26 * HOUR, 7],
      [T0, 9],
    ]);
  });

  it('keeps one rate per 5-minute step: a later change in the step replaces it, or merges it into the one before', () => {
    const step = Math.floor(T0 / SPEND_RESOLUTION_MS) * SPEND_RESOLUTION_MS;
    let ml = memoryWith({}).ml;
    ml = recordSpend(ml, step - 10 * 60_000, 5);
    ml = recordSpend(ml, step + 60_000, 8);
    ml = recordSpend(ml, step + 120_000, 9);
    expect(ml.spend).toEqual([
      [step - 10 * 60_000, 5],
      [step + 60_000, 9],
    ]);
    ml = recordSpend(ml, step + 180_000, 5);
    expect(ml.spend).toEqual([[step - 10 * 60_000, 5]]);
    ml = recordSpend(ml, step + SPEND_RESOLUTION_MS, 6);
    expect(ml.spend).toEqual([
      [step - 10 * 60_000, 5],
      [step + SPEND_RESOLUTION_MS, 6],
    ]);
  });

  it('property: over a long random run the history stays within 24 h at 5-minute resolution (at most 289 samples)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 * 60_000 }), fc.integer({ min: 0, max: 40 })), {
          minLength: 400,
          maxLength: 1500,
        }),
        (steps) => {
          let ml = memoryWith({}).ml;
          let now = T0;
          for (const [gap, rate] of steps) {
            now += gap;
            ml = recordSpend(ml, now, rate);
            if (ml.spend.length > ML_MEMORY_LIMITS.spendSamples || ml.spend.at(-1)?.[1] !== rate) return false;
            // Every sample but the anchor before the window is inside the last 24 h, one per step at most.
            const inside = ml.spend.slice(1);
            if (inside.some(([at]) => at < now - 24 * HOUR)) return false;
            if (new Set(inside.map(([at]) => Math.floor(at / SPEND_RESOLUTION_MS))).size !== inside.length)
              return false;
          }
          return true;
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe('spend caps clip decisions', () => {
  it.each([
    {
      label: 'hourly cap $6: 2 -> 6 replicas wanted, 3 allowed (3 x $1.515 = $4.545; 4 would be $6.06)',
      policy: { spendCaps: { targetUsdPerHour: 6 } },
      memory: undefined,
      to: 3,
      reason: /pool primary held at 3 instead of 6 \(\$1\.5\d\/h each\): target spend cap \$6\.00\/h/,
    },
    {
      label: 'daily cap $100 with $95.455 spent in 23 h: $4.545 left, 3 replicas',
      policy: { spendCaps: { targetUsdPerDay: 100 } },
      memory: memoryWith({ spend: [[T0 - 23 * HOUR, 95.455 / 23]] }),
      to: 3,
      reason: /target spend cap \$100\.00\/day: \$95\.4\d spent in the last 23 h leaves \$4\.5\d for the coming hour/,
    },
    {
      label: 'group cap $10/h with $4 of other targets: $6 left, 3 replicas',
      policy: { spendCaps: { groupUsdPerHour: 10 } },
      memory: undefined,
      to: 3,
      reason: /group gpu-fleet spend cap \$10\.00\/h: the other targets spend \$4\.00\/h, leaving \$6\.00\/h/,
      group: { usdPerHour: 4 + 2 * 1.515 },
    },
    {
      label: 'no cap: 6',
      policy: {},
      memory: undefined,
      to: 6,
      reason: /estimated spend 3\.03 \$\/h before, 9\.09 \$\/h after/,
    },
  ])('$label', ({ policy, memory, to, reason, group }) => {
    const decision = decide(
      endpoint(2, policy, 180, {
        ...(memory ? { memory } : {}),
        group: 'gpu-fleet',
        ...(group ? { groupSpend: group } : {}),
      }),
    );
    expect(decision.actions).toEqual([expect.objectContaining({ type: 'set-capacity', from: 2, to })]);
    expect(decision.desiredCapacity).toBe(to);
    expect(decision.cost?.afterUsdPerHour).toBeCloseTo(to * 1.515, 4);
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  it('a group cap without groupSpend in the input is named as not checked', () => {
    const decision = decide(endpoint(2, { spendCaps: { groupUsdPerHour: 1 } }, 180, { group: 'gpu-fleet' }));
    expect(decision.reasons.join('\n')).toMatch(
      /group spend caps of gpu-fleet not checked: the input carries no groupSpend/,
    );
  });

  it('every decision carries a cost, and a hold costs the same before and after', () => {
    const decision = decide(endpoint(2, {}, 60));
    expect(decision.cost).toEqual({ beforeUsdPerHour: 3.03, afterUsdPerHour: 3.03 });
  });

  it('records the spend rate in memory so the $/day cap sees it next time', () => {
    const decision = decide(endpoint(2, { spendCaps: { targetUsdPerDay: 500 } }, 180));
    expect(decision.memory.ml.spend).toEqual([[T0, 9.09]]);
  });

  it("keeps the spend history of a target in a group (a group $/day cap reads every member's last day)", () => {
    const input = endpoint(2, {}, 180);
    const grouped = decide({ ...input, target: { ...input.target, group: 'gpu-fleet' } });
    expect(grouped.memory.ml.spend).toEqual([[T0, 9.09]]);
  });

  it('keeps no spend history without a $/day cap or a group (no rule reads it), and drops one kept before', () => {
    expect(decide(endpoint(2, {}, 180)).memory.ml.spend).toEqual([]);
    expect(decide(endpoint(2, { spendCaps: { targetUsdPerHour: 50 } }, 180)).memory.ml.spend).toEqual([]);
    const before = memoryWith({ spend: [[T0 - HOUR, 3.03]] });
    expect(decide(endpoint(2, {}, 60, { memory: before })).memory.ml.spend).toEqual([]);
  });
});

describe('properties', () => {
  it('never above a spend cap: a decision either stays under the cap or adds nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0.5, max: 30, noNaN: true }),
        (desired, utilization, cap) => {
          const decision = decide(
            endpoint(desired, { minCapacity: 1, spendCaps: { targetUsdPerHour: cap } }, utilization),
          );
          const { beforeUsdPerHour, afterUsdPerHour } = decision.cost!;
          expect(afterUsdPerHour).toBeLessThanOrEqual(Math.max(cap, beforeUsdPerHour) + 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('no gang job is half placed, and every launch for a job fits its size, under any cap and maximum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ nodeCount: fc.integer({ min: 1, max: 6 }), priority: fc.integer({ min: 0, max: 5 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 16 }),
        fc.option(fc.double({ min: 0.5, max: 12, noNaN: true }), { nil: undefined }),
        (jobs, max, cap) => {
          const memory = memoryWith({
            jobs: Object.fromEntries(
              jobs.map((job, i) => [
                `j${i}`,
                { state: 'queued', gpusPerNode: 1, nodeCount: job.nodeCount, priority: job.priority, queuedAt: T0 - i },
              ]),
            ),
          });
          const decision = decide(
            mlInput({
              kind: 'training-pool',
              pools: [
                { id: 'spot', instanceType: 'p3.2xlarge', capacityType: 'spot', nodes: [] },
                { id: 'od', instanceType: 'p3.2xlarge', capacityType: 'on-demand', nodes: [] },
              ],
              policy: {
                minCapacity: 0,
                maxCapacity: max,
                ...(cap !== undefined ? { spendCaps: { targetUsdPerHour: cap } } : {}),
              },
              memory,
            }),
          );
          const launched = decision.actions.filter((a) => a.type === 'launch-capacity');
          const sizes = new Set(jobs.map((j) => j.nodeCount));
          for (const action of launched)
            expect(sizes.has(action.type === 'launch-capacity' ? action.count : -1)).toBe(true);
          const total = launched.reduce((sum, a) => sum + (a.type === 'launch-capacity' ? a.count : 0), 0);
          expect(total).toBeLessThanOrEqual(max);
          if (cap !== undefined) expect(total * P3.spot).toBeLessThanOrEqual(cap + 1e-9);
          const placed = Object.values(decision.memory.ml.jobs).filter((j) => j.state === 'launching');
          expect(placed.reduce((sum, j) => sum + j.nodeCount, 0)).toBe(total);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every interrupted node gets a replacement or a hold saying why not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('inference-endpoint' as const, 'training-pool' as const),
        (interruptions, capacityErrors, onDemandBase, kind) => {
          const ids = ['s1', 's2', 'od'];
          const memory = memoryWith({
            pools: Object.fromEntries(
              ids.map((id, i) => [
                id,
                {
                  interruptions: Array.from({ length: interruptions[i]! }, (_, k) => T0 - (k + 1) * 600_000),
                  lastCapacityErrorAt: capacityErrors[i] ? T0 - sec(30) : null,
                  lastCapacityErrorCode: 'ICE',
                },
              ]),
            ),
            jobs:
              kind === 'training-pool'
                ? {
                    j: {
                      state: 'running',
                      gpusPerNode: 1,
                      nodeCount: 1,
                      queuedAt: T0 - HOUR,
                      startedAt: T0 - HOUR,
                      instanceIds: ['s1-1'],
                    },
                  }
                : {},
          });
          const input = mlInput({
            kind,
            pools: [
              {
                id: 's1',
                instanceType: 'p3.2xlarge',
                capacityType: 'spot',
                nodes: nodes('s1', 1, kind === 'training-pool' ? { jobId: 'j' } : {}),
              },
              { id: 's2', instanceType: 'p3.2xlarge', capacityType: 'spot', nodes: [] },
              { id: 'od', instanceType: 'p3.2xlarge', capacityType: 'on-demand', nodes: [] },
            ],
            policy: { minCapacity: 0, spot: { onDemandBase } },
            memory,
            signal: {
              kind: 'spot-interruption',
              instanceId: 's1-1',
              deadlineAt: T0 + sec(120),
              observedAt: T0,
              source: 'test',
            },
          });
          const decision = decide(input);
          const replaced = decision.actions.some(
            (a) => a.type === 'launch-capacity' && a.replacesInstanceId === 's1-1',
          );
          expect(replaced || decision.holds.some((h) => h.reason.includes('s1-1'))).toBe(true);
          // JSON round trip and determinism.
          expect(MemorySchema.parse(JSON.parse(JSON.stringify(decision.memory)))).toEqual(decision.memory);
          expect(decide(structuredClone(input))).toEqual(decision);
        },
      ),
      { numRuns: 150 },
    );
  });
});
