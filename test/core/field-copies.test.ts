import { describe, expect, it } from 'vitest';
import { startContext } from '../../core/decide-steps.ts';
import { ingestSignal } from '../../core/fold-signal.ts';
import { DecisionInputSchema, MemorySchema, type DecisionInput, type Memory } from '../../core/index.ts';
import { input, metric, policy, T0 } from './builders.ts';

// decide copies the input document and the memory field by field (for speed: core/decide-steps.ts sameShape,
// core/fold-signal.ts copyMemory). A field added to either schema and not to the copy would be lost
// silently: these tests name every field of the schemas.

/** A memory with every field of the schema set, `demand` and `profile` included or not. */
function fullMemory(withDemand: boolean, withProfile = false): Memory {
  const memory = MemorySchema.parse({
    samples: { rps: [[T0 - 1000, 5]] },
    recommendations: [[T0 - 2000, 3]],
    scaleEvents: [[T0 - 3000, 1]],
    lastScaleOutAt: T0 - 3000,
    lastScaleInAt: T0 - 9000,
    burst: { since: T0 - 5000, lastTriggeredAt: T0 - 5000, peak: 4 },
    missing: { consecutive: 1, since: T0 - 7000 },
    override: { capacity: 4, expiresAt: T0 + 60_000, reason: 'test' },
    plans: {},
    alarms: { high: { state: 'OK', at: T0 - 4000 } },
    lastDecisionAt: T0 - 10_000,
    ...(withDemand ? { demand: [[T0 - 1000, 2]] } : {}),
    ...(withProfile
      ? {
          profile: { key: '900', peaks: [null], fedSeconds: [0], bucketAt: T0, peak: null, smoothed: 0, smoothedAt: 0 },
        }
      : {}),
  });
  return memory;
}

describe('the copies decide makes keep every field', () => {
  it('the input document: every field of DecisionInputSchema', () => {
    const document = input({ memory: fullMemory(false) });
    const full = {
      ...document,
      exchangeOverrides: [],
      groupSpend: { usdPerHour: 1, usdLastDay: 2 },
    } as DecisionInput;
    const copy = startContext(full).input as unknown as Record<string, unknown>;
    for (const key of Object.keys(DecisionInputSchema.shape)) {
      expect(full[key as keyof DecisionInput], key).toBeDefined();
      expect(copy[key], key).toBe(full[key as keyof DecisionInput]);
    }
  });

  it.each([
    ['without look-ahead points', false, false],
    ['with look-ahead points', true, false],
    ['with a predictive profile', false, true],
  ])('the memory %s: every field of MemorySchema, in the same order', (_, withDemand, withProfile) => {
    const memory = fullMemory(withDemand, withProfile);
    const keys = Object.keys(MemorySchema.shape).filter(
      (key) => (withDemand || key !== 'demand') && (withProfile || key !== 'profile'),
    );
    expect(Object.keys(memory)).toEqual(keys);
    const rules = policy({ targetTracking: [{ metric: 'rps', targetValue: 10 }] });
    const next = ingestSignal(memory, metric('other', 1, T0), rules, T0).memory;
    expect(next).not.toBe(memory);
    expect(Object.keys(next)).toEqual(keys);
    for (const key of keys)
      if (key !== 'samples') expect(next[key as keyof Memory], key).toBe(memory[key as keyof Memory]);
  });
});
