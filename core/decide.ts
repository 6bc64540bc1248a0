/**
 * The decision core's one entry point. Pure: the same input always gives the same decision.
 *
 * A decision is an ordered list of named steps over one context (./decide-steps.ts, {@link DECIDE_STEPS}),
 * each explaining itself in `reasons`:
 *
 *  1. `fold-signal`: fold the signal into memory (samples, failed observations, alarm states, override);
 *  2. `fresh-snapshot`: without a fresh capacity snapshot, hold (the decision is marked invalid);
 *  3. `plan-bounds`: the policy and the active plans give the bounds [lo, hi];
 *  4. `ml-strategies`: spot, capacity errors, job events and scale-up; training pools end here;
 *  5. `override`: a manual override pins capacity and skips steps 6-10;
 *  6. `recommend`: target tracking and step scaling recommend (the largest wins; missing-metrics fallback);
 *  7. `stabilize`: the stabilization windows;
 *  8. `burst`: burst mode's floor;
 *  9. `wake`: a target at zero with demand wakes to at least 1 at once, past the guards;
 * 10. `guards`: rate limits, then cooldowns, then the burst floor;
 * 11. `bounds`: min/max and plan floors last: promises the user made explicitly, they beat every guard;
 * 12. `allocate`: the change spread over the pools, as actions;
 * 13. `spend-caps`: the cost before and after; the caps clip whatever adds spend.
 *
 * A step that settles the decision (steps 2 and 4) skips the rest but `spend-caps`.
 */
import type { Decision } from './decision.ts';
import { DECIDE_STEPS, FINAL_STEP, startContext, toDecision } from './decide-steps.ts';
import type { DecisionInput } from './schema/input.ts';

export { DECIDE_STEP_NAMES, DECIDE_STEPS, type DecideContext, type DecideStep } from './decide-steps.ts';

/** Decide for one signal: run {@link DECIDE_STEPS} in order over `input` (see the list above). */
export function decide(input: DecisionInput): Decision {
  const ctx = startContext(input);
  for (const step of DECIDE_STEPS) if (!ctx.settled || step.name === FINAL_STEP) step.run(ctx);
  return toDecision(ctx);
}
