import type { Action, Hold } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import { ML_MEMORY_LIMITS } from '../../schema/ml-memory.ts';
import { unitPrice, usd, type MlContext } from './context.ts';
import { estimateCost, poolCountsAfter } from './cost.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The group's spend, as the shell summed it (see `groupSpend` in the decision input). */
export interface GroupSpend {
  usdPerHour: number;
  usdLastDay: number;
}

/** The binding spend cap: the highest spend rate allowed for this target now, and which cap says so. */
export interface SpendLimit {
  usdPerHour: number;
  reason: string;
}

/** Dollars spent in [from, to): the spend samples are a step function of USD/h. */
export function spentUsd(samples: readonly [number, number][], from: number, to: number): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const [at, rate] = samples[i]!;
    const end = samples[i + 1]?.[0] ?? to;
    const start = Math.max(at, from);
    const stop = Math.min(end, to);
    if (stop > start) sum += (rate * (stop - start)) / HOUR_MS;
  }
  return sum;
}

/**
 * Resolution of the spend history: one rate per 5 minutes at most. The $/day cap is rolling over 23 h, so a
 * rate change inside a 5-minute step is charged from the step's first change (an error of at most 5 minutes
 * of the difference in rate, about 0.35 % of a day), and the history holds at most 24 h / 5 min + 1 = 289
 * samples (under 8.1 KB of JSON) however often capacity moves.
 */
export const SPEND_RESOLUTION_MS = 5 * 60_000;

/**
 * The spend history the rules need: the target's $/day cap reads it, and so does a group's $/day cap through
 * each member's last-day spend (functions/shell/group-spend.ts), whichever member's policy sets it. A target
 * with neither a $/day cap nor a group keeps nothing; otherwise {@link recordSpend} keeps the last 24 h at
 * 5-minute resolution.
 */
export function keepSpend(
  ml: MlState,
  ctx: { policy: { spendCaps: { targetUsdPerDay: number | null } }; target: { group?: string | undefined } },
  now: number,
  usdPerHour: number,
): MlState {
  if (ctx.policy.spendCaps.targetUsdPerDay === null && ctx.target.group === undefined)
    return ml.spend.length === 0 ? ml : { ...ml, spend: [] };
  return recordSpend(ml, now, usdPerHour);
}

/**
 * Record the spend rate from `now` on. Only changes of rate are kept, at most one per {@link SPEND_RESOLUTION_MS}
 * step (a later change in the same step replaces the rate); samples older than 24 h go, except the last one
 * before the cut, which still says what was spent at the start of the window.
 */
export function recordSpend(ml: MlState, now: number, usdPerHour: number): MlState {
  const cutoff = now - DAY_MS;
  // Common case: the rate did not change, nothing has aged out and nothing is stamped after now (a replay
  // can go back in time): the history already says it, so no copy.
  const last = ml.spend[ml.spend.length - 1];
  const second = ml.spend[1];
  if (last && last[1] === usdPerHour && last[0] <= now && (second === undefined || second[0] >= cutoff)) return ml;
  let spend = ml.spend.filter((sample) => sample[0] <= now);
  const firstInside = spend.findIndex((sample) => sample[0] >= cutoff);
  if (firstInside > 0) spend = spend.slice(firstInside - 1);
  else if (firstInside < 0 && spend.length > 1) spend = spend.slice(-1);
  const latest = spend.at(-1);
  if (
    latest &&
    latest[1] !== usdPerHour &&
    Math.floor(latest[0] / SPEND_RESOLUTION_MS) === Math.floor(now / SPEND_RESOLUTION_MS)
  ) {
    // Same 5-minute step: the step's rate becomes the new one (or the step merges into the one before).
    spend = spend.slice(0, -1);
    if (spend.at(-1)?.[1] !== usdPerHour) spend.push([latest[0], usdPerHour]);
  } else if (latest?.[1] !== usdPerHour) spend = [...spend, [now, usdPerHour]];
  if (spend.length > ML_MEMORY_LIMITS.spendSamples) spend = spend.slice(spend.length - ML_MEMORY_LIMITS.spendSamples);
  return { ...ml, spend };
}

/**
 * The tightest cap for the coming hour, or undefined when no cap is set. A $/day cap is rolling: what the
 * last 23 h spent is taken off it, and what is left may be spent in the coming hour. A group cap gives this
 * target what the rest of the group leaves.
 */
export function spendLimit(
  ctx: MlContext,
  ml: MlState,
  beforeUsdPerHour: number,
  groupSpend: GroupSpend | undefined,
): { limit?: SpendLimit; notes: string[] } {
  const caps = ctx.policy.spendCaps;
  // No cap set (most policies): nothing to weigh.
  if (
    caps.targetUsdPerHour === null &&
    caps.targetUsdPerDay === null &&
    caps.groupUsdPerHour === null &&
    caps.groupUsdPerDay === null
  )
    return { notes: [] };
  const notes: string[] = [];
  const candidates: SpendLimit[] = [];
  if (caps.targetUsdPerHour !== null) {
    candidates.push({ usdPerHour: caps.targetUsdPerHour, reason: `target spend cap ${usd(caps.targetUsdPerHour)}/h` });
  }
  if (caps.targetUsdPerDay !== null) {
    const spent = spentUsd(ml.spend, ctx.now - 23 * HOUR_MS, ctx.now);
    const left = Math.max(0, caps.targetUsdPerDay - spent);
    candidates.push({
      usdPerHour: left,
      reason: `target spend cap ${usd(caps.targetUsdPerDay)}/day: ${usd(spent)} spent in the last 23 h leaves ${usd(left)} for the coming hour`,
    });
  }
  if (caps.groupUsdPerHour !== null || caps.groupUsdPerDay !== null) {
    const group = ctx.target.group ?? '(no group)';
    if (!groupSpend) {
      notes.push(`group spend caps of ${group} not checked: the input carries no groupSpend`);
    } else {
      const others = Math.max(0, groupSpend.usdPerHour - beforeUsdPerHour);
      if (caps.groupUsdPerHour !== null) {
        const left = Math.max(0, caps.groupUsdPerHour - others);
        candidates.push({
          usdPerHour: left,
          reason: `group ${group} spend cap ${usd(caps.groupUsdPerHour)}/h: the other targets spend ${usd(others)}/h, leaving ${usd(left)}/h`,
        });
      }
      if (caps.groupUsdPerDay !== null) {
        // Conservative: the whole last day counts, though its oldest hour drops out during the coming one.
        const left = Math.max(0, caps.groupUsdPerDay - groupSpend.usdLastDay - others);
        candidates.push({
          usdPerHour: left,
          reason: `group ${group} spend cap ${usd(caps.groupUsdPerDay)}/day: ${usd(groupSpend.usdLastDay)} spent in the last 24 h and ${usd(others)}/h by the other targets leave ${usd(left)} for the coming hour`,
        });
      }
    }
  }
  const limit = candidates.sort((a, b) => a.usdPerHour - b.usdPerHour)[0];
  return limit ? { limit, notes } : { notes };
}

/** USD per instance-hour of what the action adds (the policy's prices, then the catalog; 0 when unpriced). */
function actionPrice(ctx: MlContext, action: Action): number {
  if (action.type === 'launch-capacity') return unitPrice(ctx, action.instanceType, action.capacityType) ?? 0;
  if (action.type === 'set-capacity') {
    const pool = poolCountsAfter(ctx, []).get(action.poolId);
    return pool ? (unitPrice(ctx, pool.instanceType, pool.capacityType) ?? 0) : 0;
  }
  return 0;
}

/**
 * Clip the actions so the estimated spend after them stays within the limit. Only what adds spend is cut,
 * last action first: a scale-out or launch is made smaller (a training launch is a gang: all or nothing), a
 * move to a dearer type is dropped. Spend that is already above the cap is not forced down here (that would
 * break the minimum capacity); nothing is added to it.
 */
export function clipToSpendLimit(
  ctx: MlContext,
  actions: readonly Action[],
  limit: SpendLimit,
  leavingPoolIds: readonly string[] = [],
): { actions: Action[]; holds: Hold[] } {
  const holds: Hold[] = [];
  let kept = [...actions];
  const after = () => estimateCost(ctx, kept, leavingPoolIds);
  const cap = limit.usdPerHour;
  const before = after().beforeUsdPerHour;
  // Above the cap already: allow no increase at all (the ceiling is what is spent now).
  const ceiling = Math.max(before, cap);
  for (let i = kept.length - 1; i >= 0 && after().afterUsdPerHour > ceiling + 1e-9; i -= 1) {
    const action = kept[i]!;
    const excess = after().afterUsdPerHour - ceiling;
    const price = actionPrice(ctx, action);
    if (action.type === 'set-capacity' && action.to > action.from && price > 0) {
      const cut = Math.min(action.to - action.from, Math.ceil(excess / price - 1e-9));
      const to = action.to - cut;
      holds.push({
        rule: 'spend-cap',
        reason: `pool ${action.poolId} held at ${to} instead of ${action.to} (${usd(price)}/h each): ${limit.reason}`,
      });
      kept[i] = { ...action, to };
      if (to === action.from) kept.splice(i, 1);
    } else if (action.type === 'launch-capacity' && price > 0) {
      const gang = ctx.target.kind === 'training-pool';
      const cut = gang ? action.count : Math.min(action.count, Math.ceil(excess / price - 1e-9));
      const count = action.count - cut;
      holds.push({
        rule: 'spend-cap',
        reason: `launch of ${action.count} ${action.capacityType} ${action.instanceType} in ${action.poolId} ${count === 0 ? 'held' : `cut to ${count}`} (${usd(price)}/h each${gang && cut > 1 ? ', all or nothing' : ''})${action.replacesInstanceId ? `, so ${action.replacesInstanceId} goes without a replacement` : ''}: ${limit.reason}`,
      });
      if (count === 0) kept.splice(i, 1);
      else kept[i] = { ...action, count };
    } else if (action.type === 'change-instance-type') {
      holds.push({
        rule: 'spend-cap',
        reason: `move of ${action.poolId} from ${action.fromInstanceType} to ${action.toInstanceType} held: it would raise spend above the cap; ${limit.reason}`,
      });
      kept.splice(i, 1);
    }
  }
  if (before > cap + 1e-9) {
    holds.push({
      rule: 'spend-cap',
      reason: `spend is already ${usd(before)}/h, above the cap (${limit.reason}): nothing may add to it`,
    });
  }
  kept = kept.filter((action) => action.type !== 'set-capacity' || action.to !== action.from);
  return { actions: kept, holds };
}
