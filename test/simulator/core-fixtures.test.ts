import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema } from '../../core/schema/input.ts';

/** Decision inputs the simulator caught the core on (docs/simulator.md, "Core problems found"). */
function fixture(name: string) {
  return DecisionInputSchema.parse(JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')));
}

describe('core decisions the simulator depends on', () => {
  it('a metric inside the tolerance on a one-replica target is no burst (fixed in c384ef4)', () => {
    const decision = decide(fixture('core-burst-small-fleet.json'));
    expect(decision.actions).toEqual([]);
    expect(decision.desiredCapacity).toBe(1);
  });

  // Was a known issue: a repeated capacity error launched one more on-demand replica past maxCapacity.
  // Fixed in core/strategies/ml/replacement.ts (nothing missing: nothing to move; moves stay under the maximum).
  it('a capacity error for a spot pool already at 0 keeps the target within maxCapacity', () => {
    const input = fixture('core-capacity-error-over-max.json');
    const decision = decide(input);
    expect(decision.desiredCapacity).toBeLessThanOrEqual(input.policy.maxCapacity);
  });
});
