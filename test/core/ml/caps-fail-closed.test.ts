/**
 * Caps fail closed. A type nothing prices (a misspelt `ml.g5.2xlarg`) used to count $0/h, so a $1/h cap let
 * a target go from 4 to 6; now, with any cap set, an increase of an unpriced type is held with a reason that
 * names the type, unless the policy's `prices` gives it. A group cap binds on `groupSpend`.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import { PolicySchema, type PolicyInput } from '../../../core/index.ts';
import { T0, mlInput } from './ml-builders.ts';

const endpoint = (instanceType: string, policy: PolicyInput, groupSpend?: { usdPerHour: number }) =>
  mlInput({
    pools: [{ id: 'primary', instanceType, capacityType: 'on-demand', desired: 4, ready: 4 }],
    // 90 % against a 60 % target: target tracking asks for 6.
    policy: { maxCapacity: 20, targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }], ...policy },
    signal: { kind: 'metric', metric: 'gpu_utilization', value: 90, observedAt: T0, source: 'test' },
    group: 'fleet',
    ...(groupSpend ? { groupSpend } : {}),
  });

describe('spend caps fail closed', () => {
  it.each([
    {
      label: 'a misspelt type under a $1/h cap: held, naming the type',
      type: 'ml.g5.2xlarg',
      policy: { spendCaps: { targetUsdPerHour: 1 } },
      desired: 4,
      says: 'no price for instance type ml.g5.2xlarg (on-demand)',
    },
    {
      label: 'a misspelt type under a group cap: held too',
      type: 'ml.g5.2xlarg',
      policy: { spendCaps: { groupUsdPerHour: 1000 } },
      desired: 4,
      says: 'no price for instance type ml.g5.2xlarg',
    },
    {
      label: 'the same type priced by the policy: the cap binds on the price ($2/h each, $20/h cap: 6 fit)',
      type: 'ml.g5.2xlarg',
      policy: { prices: { 'ml.g5.2xlarg': { onDemandUsdPerHour: 2 } }, spendCaps: { targetUsdPerHour: 20 } },
      desired: 6,
      says: 'estimated spend 8.00 $/h before, 12.00 $/h after',
    },
    {
      label: 'the policy price binds (priced at $4/h, a $17/h cap leaves room for 4 only)',
      type: 'ml.g5.2xlarg',
      policy: { prices: { 'ml.g5.2xlarg': { onDemandUsdPerHour: 4 } }, spendCaps: { targetUsdPerHour: 17 } },
      desired: 4,
      says: 'target spend cap $17.00/h',
    },
    {
      label: 'no cap: an unpriced type scales as before (there is nothing to bound)',
      type: 'ml.g5.2xlarg',
      policy: {},
      desired: 6,
      says: 'is not in the catalog',
    },
  ])('$label', ({ type, policy, desired, says }) => {
    const decision = decide(endpoint(type, policy));
    expect(decision.desiredCapacity).toBe(desired);
    expect([...decision.reasons, ...decision.holds.map((h) => h.reason)].join(' | ')).toContain(says);
  });

  it('a group cap binds on the group spend the shell passes', () => {
    // ml.g5.2xlarge on-demand is about $1.5/h: 4 → 6 adds about $3/h, over a group already at $99 of $100.
    const free = decide(endpoint('ml.g5.2xlarge', { spendCaps: { groupUsdPerHour: 100 } }, { usdPerHour: 6 }));
    expect(free.desiredCapacity).toBe(6);
    const bound = decide(endpoint('ml.g5.2xlarge', { spendCaps: { groupUsdPerHour: 100 } }, { usdPerHour: 99 }));
    expect(bound.desiredCapacity).toBe(4);
    expect(bound.holds.map((h) => h.rule)).toContain('spend-cap');
  });

  it('a misspelt cap field, or a cap of the wrong type, is refused, never a policy without the cap', () => {
    for (const spendCaps of [
      { targetUsdPerHr: 1 },
      { targetUsdPerHour: '1' },
      { targetUsdPerHour: 0 },
      { targetUsdPerHour: -1 },
    ]) {
      expect(PolicySchema.safeParse({ spendCaps }).success).toBe(false);
    }
    expect(PolicySchema.safeParse({ prices: { x: { onDemandUsdPerHr: 1 } } }).success).toBe(false);
  });
});
