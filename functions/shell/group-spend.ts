/**
 * A spend-cap group's spend, from what each member recorded at its last commit (adapters/state keeps one
 * entry per target in the group's hash, read in the load round trip). The core cannot read other targets'
 * memories; the shell hands it this sum as `groupSpend`.
 */
import type { DecisionInput } from '../../core/schema/input.ts';
import type { Memory } from '../../core/schema/memory.ts';
import type { Decision } from '../../core/decision.ts';
import { spentUsd } from '../../core/strategies/ml/budget.ts';
import type { GroupMemberSpend } from '../../adapters/ports/state-store.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Decide with the group's spend when the policy caps the group. The core wants the whole group's spend with
 * this target's *current* rate in it (it subtracts that to find what the others spend), which only the core
 * can estimate (`cost.beforeUsdPerHour`): so decide once to learn it, then again with the group's sum. Both
 * are pure and take microseconds; a target without group caps is decided once.
 */
export function decideWithGroupSpend(
  decide: (input: DecisionInput) => Decision,
  input: DecisionInput,
  group: { members: readonly GroupMemberSpend[] } | undefined,
): Decision {
  const first = decide(input);
  const caps = input.policy.spendCaps;
  if (!group || !first.cost || (caps.groupUsdPerHour === null && caps.groupUsdPerDay === null)) return first;
  const others = groupSpendOf(
    group.members.filter((member) => member.targetId !== input.target.id),
    input.now,
  );
  const ownLastDay = spentUsd(input.memory?.ml?.spend ?? [], input.now - DAY_MS, input.now);
  return decide({
    ...input,
    groupSpend: {
      usdPerHour: others.usdPerHour + first.cost.beforeUsdPerHour,
      usdLastDay: others.usdLastDay + ownLastDay,
    },
  });
}

/**
 * The members' spend at `now`. A member's rate is taken to have held since it was
 * recorded, so its last-day spend grows by that rate up to a day: an estimate on the high side (what aged out
 * of its window is not subtracted), so a cap holds early rather than late.
 */
export function groupSpendOf(
  members: readonly GroupMemberSpend[],
  now: number,
): NonNullable<DecisionInput['groupSpend']> {
  let usdPerHour = 0;
  let usdLastDay = 0;
  for (const member of members) {
    const since = Math.min(DAY_MS, Math.max(0, now - member.at));
    usdPerHour += member.usdPerHour;
    usdLastDay += member.usdLastDay + (member.usdPerHour * since) / HOUR_MS;
  }
  return { usdPerHour, usdLastDay };
}

/** What this target records for its group after a decision: its rate from now on, and its last day's spend. */
export function memberSpendOf(decision: Pick<Decision, 'cost'>, memory: Memory, now: number) {
  const samples = memory.ml?.spend ?? [];
  const usdPerHour = decision.cost?.afterUsdPerHour ?? samples.at(-1)?.[1] ?? 0;
  return { usdPerHour, usdLastDay: spentUsd(samples, now - DAY_MS, now) };
}
