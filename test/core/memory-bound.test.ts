/**
 * The per-target state stays bounded by the policy, whatever the events: a long random run through `decide`
 * (metrics, alarms under any name the trigger's wildcard takes, ticks, at random gaps) never makes the
 * memory of the example endpoint (infra/examples/llama-endpoint.*.json) larger than 8 KB of JSON, and keeps
 * nothing no rule of its policy reads (no spend history without a spend cap or group, no alarm states without
 * a step-scaling rule).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema, PolicySchema, TargetSchema, type Memory, type SignalInput } from '../../core/index.ts';

const examples = join(import.meta.dirname, '../../infra/examples');
const policy = PolicySchema.parse(JSON.parse(readFileSync(join(examples, 'llama-endpoint.policy.json'), 'utf8')));
const target = TargetSchema.parse(JSON.parse(readFileSync(join(examples, 'llama-endpoint.target.json'), 'utf8')));
const metric = policy.targetTracking[0]!.metric;
const START = Date.parse('2026-03-10T00:00:00Z');
/** The bound #18 sets for this policy (bench:function's `stateBytesAfterDay` measures the same thing). */
const BOUND_BYTES = 8 * 1024;

const event = fc.record({
  gapSeconds: fc.integer({ min: 1, max: 60 }),
  kind: fc.constantFrom('metric', 'alarm', 'alarm', 'tick'),
  value: fc.double({ min: 0, max: 200, noNaN: true }),
  /** Alarm names are many: the trigger takes `tide-llama-*`. */
  alarm: fc.integer({ min: 0, max: 100_000 }),
  state: fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA'),
});

type GeneratedEvent = typeof event extends fc.Arbitrary<infer T> ? T : never;

function signalOf(e: GeneratedEvent, at: number): SignalInput {
  if (e.kind === 'metric') return { kind: 'metric', metric, value: e.value, observedAt: at, source: 'test' };
  if (e.kind === 'tick') return { kind: 'schedule-tick', observedAt: at, source: 'test' };
  return {
    kind: 'alarm',
    alarmName: `tide-llama-${e.alarm}`,
    state: e.state,
    metric,
    value: e.value,
    threshold: 4,
    observedAt: at,
    source: 'test',
  };
}

describe('per-target state', () => {
  it('stays under 8 KB for the example endpoint over a long random run, and keeps nothing its policy does not read', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 2_000, maxLength: 6_000 }), (events) => {
        let memory: Memory | undefined;
        let desired = policy.minCapacity;
        let now = START;
        let largest = 0;
        for (const e of events) {
          now += e.gapSeconds * 1000;
          const input = DecisionInputSchema.parse({
            now,
            signal: signalOf(e, now),
            target,
            policy,
            observed: {
              observedAt: now,
              pools: target.pools.map((pool) => ({
                poolId: pool.id,
                instanceType: pool.instanceType,
                capacityType: pool.capacityType,
                desired,
                ready: desired,
                pending: 0,
              })),
            },
            ...(memory ? { memory } : {}),
          });
          const decision = decide(input);
          memory = decision.memory;
          desired = decision.desiredCapacity;
          largest = Math.max(largest, Buffer.byteLength(JSON.stringify(memory)));
        }
        expect(largest).toBeLessThanOrEqual(BOUND_BYTES);
        // No rule of this policy reads a stored alarm state or a spend history.
        expect(Object.keys(memory!.alarms)).toEqual([]);
        expect(memory!.ml.spend).toEqual([]);
      }),
      // No shrinking: a counterexample of thousands of events shrinks for minutes; the seed reproduces it.
      { numRuns: 4, endOnFailure: true },
    );
  }, 60_000);
});
