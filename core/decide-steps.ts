/**
 * The steps of `decide`, each a small function over one {@link DecideContext}, in the order they run
 * ({@link DECIDE_STEPS}). A step that settles the decision (no fresh snapshot, the ML strategies took it)
 * sets `ctx.settled`: the steps after it are skipped except `spend-caps`, which prices every decision.
 */
import type { Action, Decision, Hold } from './decision.ts';
import { num, replicas, seconds } from './format.ts';
import { ingestSignal } from './fold-signal.ts';
import { recommend, type RawRecommendation } from './recommend.ts';
import type { DecisionInput } from './schema/input.ts';
import { emptyMemory, type Memory } from './schema/memory.ts';
import type { Policy } from './schema/policy.ts';
import { allocateHorizontal } from './strategies/allocation.ts';
import { evaluateBurst } from './strategies/burst.ts';
import { demandNow, lookAhead } from './strategies/look-ahead.ts';
import { predictScale } from './strategies/predictive.ts';
import { allocateSpread } from './strategies/ml/spread.ts';
import { allocateCovered, coverApplies, coveredNeed } from './strategies/ml/pool-loss.ts';
import { readyServing, releaseNoticed, withoutNoticed } from './strategies/ml/noticed.ts';
import { scaleInHeldWhileReturning } from './strategies/ml/return-to-spot.ts';
import { pruneScaleEvents, scaleDownLimit, scaleUpLimit } from './strategies/rate-limit.ts';
import { evaluatePlans } from './strategies/schedule.ts';
import { stabilize } from './strategies/stabilization.ts';
import {
  allocateMixed,
  applyCostAndCaps,
  capacityAfter,
  decideMl,
  mlContext,
  typeChangeOutcome,
  type MlContext,
} from './strategies/ml/index.ts';

/** Everything the steps share: the input, the memory being built, the log, and the decision so far. */
export interface DecideContext {
  readonly input: DecisionInput;
  /** This call's own copy of the memory (fold-signal made it): steps assign its fields. */
  memory: Memory;
  reasons: string[];
  holds: Hold[];
  /** Set by a step that settled the decision: later steps but `spend-caps` are skipped. */
  settled: boolean;
  /** False when the core held for missing or stale inputs. */
  valid: boolean;
  /** Total desired capacity now, and ready, from the snapshot. */
  current: number;
  ready: number;
  /** The bounds from the policy and the active plans, and the notes explaining them. */
  lo: number;
  hi: number;
  boundNotes: string[];
  ml: MlContext | null;
  /** Pools the ML strategies are leaving (their spend stops), for the spend caps. */
  leavingPoolIds: readonly string[];
  /** The capacity being decided, step by step. */
  desired: number;
  /** What asked for the change: the reason the actions carry. */
  cause: string;
  /** An override or a wake from zero: rate limits, cooldowns and windows do not apply. */
  bypassGuards: boolean;
  /** The manual override pinned capacity: the horizontal strategies do not run. */
  pinned: boolean;
  /** The strategies' recommendation, once `recommend` ran and gave replicas. */
  recommendation: RawRecommendation | null;
  /** Step alarms that step in this decision (a change into ALARM, or still in ALARM and due again). */
  stepping: readonly string[];
  /** Burst mode's floor, when burst mode is on. */
  burstFloor: number | undefined;
  actions: Action[];
  /** Spend before and after, once `spend-caps` priced the decision. */
  cost?: Decision['cost'];
}

/** One named step of `decide`. */
export interface DecideStep {
  readonly name: string;
  run(ctx: DecideContext): void;
}

let blankMemory: Memory | undefined;

function hold(ctx: DecideContext, item: Hold): void {
  ctx.holds.push(item);
  ctx.reasons.push(item.reason);
}

/**
 * `input`'s fields in an object of one shape. The documents a shell builds (a template spread with this
 * event's fields, a parsed JSON) may each come with a hidden class of their own: then every `input.now` is a
 * megamorphic load that misses V8's inline caches and looks the field up in the runtime. On the decide bench's
 * inputs (a shape each) the eight fields cost about 0.6 µs read that way, 30 ns read here: `for…in` walks
 * the object's enumeration cache and `document[key]` reads each field at its index, with no lookup by name.
 */
function sameShape(document: DecisionInput): DecisionInput {
  const input: DecisionInput = {
    now: 0,
    signal: undefined as unknown as DecisionInput['signal'],
    target: undefined as unknown as DecisionInput['target'],
    policy: undefined as unknown as DecisionInput['policy'],
    observed: null,
    memory: undefined,
    exchangeOverrides: undefined,
    groupSpend: undefined,
  };
  for (const key in document) {
    switch (key) {
      case 'now':
        input.now = document[key];
        break;
      case 'signal':
        input.signal = document[key];
        break;
      case 'target':
        input.target = document[key];
        break;
      case 'policy':
        input.policy = document[key];
        break;
      case 'observed':
        input.observed = document[key];
        break;
      case 'memory':
        input.memory = document[key];
        break;
      case 'exchangeOverrides':
        input.exchangeOverrides = document[key];
        break;
      case 'groupSpend':
        input.groupSpend = document[key];
        break;
      default:
        break;
    }
  }
  return input;
}

/** A context for `input`, before any step. */
export function startContext(document: DecisionInput): DecideContext {
  const input = sameShape(document);
  return {
    input,
    // biome-ignore lint/suspicious/noAssignInExpressions: built once, on the first input without a memory
    memory: input.memory ?? (blankMemory ??= emptyMemory()),
    reasons: [],
    holds: [],
    settled: false,
    valid: true,
    current: 0,
    ready: 0,
    lo: 0,
    hi: 0,
    boundNotes: [],
    ml: null,
    leavingPoolIds: [],
    desired: 0,
    cause: '',
    bypassGuards: false,
    pinned: false,
    recommendation: null,
    stepping: [],
    burstFloor: undefined,
    actions: [],
  };
}

/** Fold the signal into memory: samples, failed observations, alarm states, manual override. */
function foldSignal(ctx: DecideContext): void {
  const { signal, policy, now } = ctx.input;
  const ingested = ingestSignal(ctx.memory, signal, policy, now);
  ctx.memory = ingested.memory; // a new object: later steps assign its fields instead of spreading it
  ctx.stepping = ingested.stepping;
  ctx.reasons.push(...ingested.notes);
  for (const item of ingested.holds) hold(ctx, item);
}

/** Without a capacity snapshot, or with one older than `observedStaleAfterSeconds`: hold, invalid. */
function freshSnapshot(ctx: DecideContext): void {
  const { observed, now, policy } = ctx.input;
  if (!observed) {
    hold(ctx, { rule: 'stale-data', reason: 'no capacity snapshot from the provider: holding, nothing is changed' });
    ctx.valid = false;
    ctx.settled = true;
    return;
  }
  // Replicas a spot notice named serve until their deadline but are not counted as capacity: their
  // replacements are (core/strategies/ml/noticed.ts).
  const noticed = ctx.memory.ml.noticed ?? [];
  const sized = noticed.length > 0 ? withoutNoticed(observed, noticed) : observed;
  for (const pool of sized.pools) ctx.current += pool.desired;
  // Spare replicas the pool-loss cover placed are above the need: the pipeline sizes the need.
  const covered = coverApplies(policy, ctx.input.target);
  if (covered) ctx.current = coveredNeed(ctx.memory.ml, ctx.current);
  else if (ctx.memory.ml.coverNeed !== undefined) {
    const { coverNeed: _dropped, ...ml } = ctx.memory.ml;
    ctx.memory.ml = ml;
  }
  if (noticed.length > 0) ctx.ready = readyServing(observed, noticed, now);
  else for (const pool of observed.pools) ctx.ready += pool.ready;
  ctx.desired = ctx.current;
  const age = now - observed.observedAt;
  if (age > policy.observedStaleAfterSeconds * 1000) {
    hold(ctx, {
      rule: 'stale-data',
      reason: `capacity snapshot is ${seconds(age)} old (stale after ${policy.observedStaleAfterSeconds} s): holding at ${ctx.current}`,
    });
    ctx.valid = false;
    ctx.settled = true;
  }
}

/** Active plans raise the floor and may lower the ceiling within [minCapacity, maxCapacity]; a floor beats a ceiling. */
function planBounds(ctx: DecideContext): void {
  const { policy, now, exchangeOverrides } = ctx.input;
  const plans = evaluatePlans(policy.schedules, policy.calendars, ctx.memory.plans, now, exchangeOverrides);
  ctx.memory.plans = plans.cursors;
  ctx.reasons.push(...plans.notes);
  let lo = policy.minCapacity;
  let hi = policy.maxCapacity;
  for (const plan of plans.active) {
    ctx.boundNotes.push(
      `plan ${plan.name} ${plan.phase === 'pre-warm' ? 'pre-warming for' : 'open'} ${plan.label}: floor ${plan.floor}${plan.ceiling !== undefined ? `, ceiling ${plan.ceiling}` : ''}`,
    );
    lo = Math.max(lo, plan.floor);
    if (plan.ceiling !== undefined) hi = Math.min(hi, plan.ceiling);
  }
  if (hi < lo) {
    ctx.boundNotes.push(`a plan ceiling (${hi}) is below the highest floor (${lo}): the floor wins`);
    hi = lo;
  }
  ctx.lo = lo;
  ctx.hi = hi;
  ctx.reasons.push(...ctx.boundNotes);
}

/**
 * Spot interruptions, rebalance recommendations, capacity errors, job events and scale-up are decided by the
 * ML strategies (core/strategies/ml). Training pools are decided there entirely; an inference endpoint's
 * type change or return to spot settles the decision too.
 */
function mlStrategies(ctx: DecideContext): void {
  const { now, target, policy, observed, signal, groupSpend } = ctx.input;
  const ml = mlContext(now, target, policy, withoutNoticed(observed!, ctx.memory.ml.noticed));
  ctx.ml = ml;
  const step = decideMl(ml, ctx.memory, signal, groupSpend);
  ctx.memory.ml = step.ml;
  ctx.reasons.push(...step.reasons);
  for (const item of step.holds) hold(ctx, item);
  if (!step.handled) return;
  ctx.desired = capacityAfter(ml, step.actions, step.leavingPoolIds);
  ctx.actions = step.actions;
  ctx.leavingPoolIds = step.leavingPoolIds;
  ctx.settled = true;
}

/** A manual override pins capacity until it expires (inside the bounds, applied later). */
function override(ctx: DecideContext): void {
  const pinned = ctx.memory.override;
  if (!pinned) return;
  ctx.desired = pinned.capacity;
  ctx.pinned = true;
  ctx.bypassGuards = true;
  ctx.cause = `manual override pins capacity at ${ctx.desired} (${pinned.reason}); stabilization, rate limits and cooldowns do not apply`;
  ctx.reasons.push(ctx.cause);
}

/** Target tracking on every metric and step scaling on the alarm in hand; the largest wins; missing-metrics fallback. */
function recommendStep(ctx: DecideContext): void {
  const { policy, signal, now } = ctx.input;
  seedScaleDownWindow(ctx);
  if (ctx.pinned) return;
  const raw = recommend(policy, ctx.memory, signal, now, ctx.current, ctx.ready, ctx.stepping);
  ctx.memory.missing = raw.missing;
  ctx.reasons.push(...raw.notes);
  for (const item of raw.holds) hold(ctx, item);
  ctx.cause = raw.cause;
  if (raw.replicas !== undefined) ctx.recommendation = raw;
}

/**
 * A target with no memory (never seen, or its memory was lost or expired in Redis) starts its scale-down
 * window at the current capacity, as the HPA seeds a new autoscaler's recommendations with the current
 * replica count: a fresh start must not shed capacity at once on the first low reading. Example: 5 replicas
 * at half their target, first decision: held at 5 until the 300 s window has passed, then 3.
 */
function seedScaleDownWindow(ctx: DecideContext): void {
  const { memory, current } = ctx;
  const windowSeconds = ctx.input.policy.behavior.scaleDown.stabilizationWindowSeconds;
  if (memory.lastDecisionAt !== null || memory.recommendations.length > 0 || current === 0 || windowSeconds === 0)
    return;
  memory.recommendations = [[ctx.input.now, current]];
  ctx.reasons.push(
    `no memory of this target (new, or its memory was lost or expired): the ${windowSeconds} s scale-down window starts at the current ${replicas(current)}, as the HPA seeds a new autoscaler`,
  );
}

/** Stabilization windows: scale-out to the lowest recommendation of its window, scale-in to the highest. */
function stabilizeStep(ctx: DecideContext): void {
  const raw = ctx.recommendation;
  if (!raw) return;
  const { policy, now } = ctx.input;
  const behavior = policy.behavior;
  // Slow-booting replicas: buy only for demand that has lasted as long as a replica takes to boot.
  const bootWindow = policy.replicaBootSeconds ?? 0;
  const upWindow = Math.max(behavior.scaleUp.stabilizationWindowSeconds, bootWindow);
  // The seed of a target with no memory (seedScaleDownWindow) is dominated by a recommendation of at least
  // the current count made at the same time: the recommendation alone is remembered.
  let history = ctx.memory.recommendations;
  if (
    ctx.memory.lastDecisionAt === null &&
    raw.replicas! >= ctx.current &&
    history.length === 1 &&
    history[0]![0] === now
  )
    history = [];
  const stable = stabilize(
    history,
    now,
    raw.replicas!,
    ctx.current,
    upWindow,
    behavior.scaleDown.stabilizationWindowSeconds,
  );
  ctx.memory.recommendations = stable.recommendations;
  ctx.desired = stable.replicas;
  if (!stable.heldBy) return;
  const { direction, windowSeconds, bound, leftMs } = stable.heldBy;
  const why =
    direction === 'up' && bootWindow > behavior.scaleUp.stabilizationWindowSeconds
      ? ` (replicas boot in ${bootWindow} s: a shorter spike is over before they are ready)`
      : '';
  hold(ctx, {
    rule: 'stabilization',
    reason: `scale-${direction === 'up' ? 'out' : 'in'} held at ${ctx.desired}: ${seconds(leftMs)} left of the ${windowSeconds} s stabilization window after ${replicas(bound)} ${direction === 'up' ? 'was the lowest' : 'were'} recommended${why}`,
  });
}

/** Burst mode: short-window demand over `thresholdRatio` × ready sets a floor the guards serve at once. */
function burstStep(ctx: DecideContext): void {
  const raw = ctx.recommendation;
  if (!raw) return;
  const { policy, now } = ctx.input;
  const burst = evaluateBurst(
    policy.burst,
    ctx.memory.burst,
    now,
    raw.shortWindowDemand,
    ctx.ready,
    ctx.current,
    policy.replicaBootSeconds,
  );
  ctx.memory.burst = burst.state;
  if (burst.reason) ctx.reasons.push(burst.reason);
  ctx.burstFloor = burst.floor;
  if (burst.floor !== undefined && burst.floor > ctx.desired) ctx.cause = burst.reason ?? ctx.cause;
}

/** A target at zero with demand wakes to at least one at once, past the guards. */
function wake(ctx: DecideContext): void {
  const raw = ctx.recommendation;
  if (!raw || ctx.current !== 0 || !raw.demand) return;
  ctx.desired = Math.max(1, ctx.desired, raw.replicas!);
  ctx.bypassGuards = true;
  ctx.cause = `scale from zero: demand wakes the target to ${ctx.desired} at once (${raw.cause})`;
  ctx.reasons.push(ctx.cause);
}

/** Rate limits (HPA behavior policies), then cooldowns, then the burst floor (which the two do not slow). */
function guards(ctx: DecideContext): void {
  if (!ctx.recommendation || ctx.bypassGuards) return;
  const { policy, now } = ctx.input;
  const { memory, current } = ctx;
  let desired = ctx.desired;
  if (desired > current) {
    const limit = scaleUpLimit(current, memory.scaleEvents, now, policy.behavior.scaleUp);
    if (desired > limit) {
      hold(ctx, {
        rule: 'rate-limit',
        reason: `scale-out limited to ${limit} (wanted ${desired}) by the scale-up rate policy (${describeRules(policy.behavior.scaleUp)})`,
      });
      desired = Math.max(limit, current);
    }
    const cooldown = policy.cooldown.scaleOutSeconds * 1000;
    if (memory.lastScaleOutAt !== null && now - memory.lastScaleOutAt < cooldown && desired > current) {
      hold(ctx, {
        rule: 'cooldown',
        reason: `scale-out to ${desired} held: ${seconds(cooldown - (now - memory.lastScaleOutAt))} left of the ${policy.cooldown.scaleOutSeconds} s scale-out cooldown`,
      });
      desired = current;
    }
  } else if (desired < current) {
    const limit = scaleDownLimit(current, memory.scaleEvents, now, policy.behavior.scaleDown);
    if (desired < limit) {
      hold(ctx, {
        rule: 'rate-limit',
        reason: `scale-in limited to ${limit} (wanted ${desired}) by the scale-down rate policy (${describeRules(policy.behavior.scaleDown)})`,
      });
      desired = Math.min(limit, current);
    }
    const cooldown = policy.cooldown.scaleInSeconds * 1000;
    if (memory.lastScaleInAt !== null && now - memory.lastScaleInAt < cooldown && desired < current) {
      hold(ctx, {
        rule: 'cooldown',
        reason: `scale-in to ${desired} held: ${seconds(cooldown - (now - memory.lastScaleInAt))} left of the ${policy.cooldown.scaleInSeconds} s scale-in cooldown`,
      });
      desired = current;
    }
    const returning = desired < current && ctx.ml ? scaleInHeldWhileReturning(ctx.ml, memory.ml) : undefined;
    if (returning) {
      hold(ctx, { rule: 'stabilization', reason: returning });
      desired = current;
    }
  }
  if (ctx.burstFloor !== undefined) {
    if (desired < current) {
      hold(ctx, { rule: 'burst', reason: `scale-in to ${desired} held: burst mode does not scale in` });
      desired = current;
    }
    // Burst demand is served at once: rate limits and cooldowns do not slow it.
    desired = Math.max(desired, ctx.burstFloor);
  }
  ctx.desired = desired;
}

/**
 * Look-ahead (core/strategies/look-ahead.ts): a scale-out buys for the demand a boot ahead, and for a plan
 * opening within it; with `keepThroughLull`, a scale-in goes no lower than the peak demand of the horizon. After the guards: like a plan floor, a forecast for a boot ahead is not slowed by the
 * rate limits (they were made for replicas that start in seconds); the bounds still clamp it.
 */
function lookAheadStep(ctx: DecideContext): void {
  const { policy, now, exchangeOverrides } = ctx.input;
  const rule = policy.lookAhead;
  if (!rule.enabled) {
    if (ctx.memory.demand) delete ctx.memory.demand;
    return;
  }
  if (!ctx.recommendation || ctx.bypassGuards) return;
  const horizon = rule.horizonSeconds ?? policy.replicaBootSeconds;
  let planAhead: { floor: number; label: string } | undefined;
  if (horizon !== null && policy.schedules.length > 0 && ctx.desired > ctx.current) {
    const ahead = evaluatePlans(
      policy.schedules,
      policy.calendars,
      ctx.memory.plans,
      now + horizon * 1000,
      exchangeOverrides,
    );
    for (const plan of ahead.active)
      if (plan.floor > ctx.lo && (!planAhead || plan.floor > planAhead.floor))
        planAhead = { floor: plan.floor, label: plan.name };
  }
  const point = ctx.ready > 0 ? demandNow(policy, ctx.memory.samples, now, ctx.ready) : undefined;
  const outcome = lookAhead(
    rule,
    policy.replicaBootSeconds,
    ctx.memory.demand ?? [],
    point,
    now,
    ctx.current,
    ctx.desired,
    planAhead,
  );
  ctx.memory.demand = outcome.demand;
  if (outcome.floor !== undefined)
    applyFloor(ctx, outcome.floor, outcome.keep === true, outcome.reason!, 'stabilization');
}

/**
 * A floor a forecast set (the look-ahead's, predictive scaling's): it becomes the desired count; holding a
 * scale-in back it is a hold under `holdRule`, raising a scale-out it is the decision's cause.
 */
function applyFloor(ctx: DecideContext, floor: number, keep: boolean, reason: string, holdRule: Hold['rule']): void {
  ctx.desired = floor;
  if (keep) {
    hold(ctx, { rule: holdRule, reason });
    return;
  }
  ctx.cause = reason;
  ctx.reasons.push(reason);
}

/**
 * Predictive scaling (core/strategies/predictive.ts): learn the daily profile of the demand on every decision
 * with the mode on; with `forecast-and-scale` and enough history, its forecast a lead ahead is a floor for
 * scale-outs and scale-ins alike, at most the ceiling of the bounds. After the guards, as the look-ahead: a
 * forecast bought a boot ahead is not slowed by rate limits made for replicas that start in seconds. A manual
 * override beats it.
 */
function predictiveStep(ctx: DecideContext): void {
  const { policy, now } = ctx.input;
  const rule = policy.predictive;
  if (rule.mode === 'off') {
    if (ctx.memory.profile) delete ctx.memory.profile;
    return;
  }
  const point = ctx.ready > 0 ? demandNow(policy, ctx.memory.samples, now, ctx.ready) : undefined;
  const lead = rule.leadSeconds ?? policy.lookAhead.horizonSeconds ?? policy.replicaBootSeconds ?? 0;
  const outcome = predictScale(rule, ctx.memory.profile, point, now, lead, ctx.current, ctx.desired, ctx.hi);
  ctx.memory.profile = outcome.profile;
  if (ctx.pinned) return;
  if (outcome.floor !== undefined) applyFloor(ctx, outcome.floor, outcome.keep === true, outcome.reason!, 'forecast');
  else if (outcome.reason) ctx.reasons.push(outcome.reason);
}

/** Bounds last: min/max and plan floors are explicit promises and beat rate limits, cooldowns and windows. */
function boundsStep(ctx: DecideContext): void {
  const { lo, hi } = ctx;
  const unclamped = ctx.desired;
  ctx.desired = Math.min(hi, Math.max(lo, unclamped));
  if (ctx.desired === unclamped) return;
  const { policy } = ctx.input;
  const clamp = `${unclamped} is outside the bounds [${lo}, ${hi}] (${ctx.boundNotes.length > 0 ? ctx.boundNotes.join('; ') : `policy min ${policy.minCapacity}, max ${policy.maxCapacity}`}): ${ctx.desired}`;
  if (ctx.desired < unclamped) hold(ctx, { rule: 'bounds', reason: clamp });
  else ctx.reasons.push(clamp);
  ctx.cause = clamp;
}

/** Spread a change over the pools (mixed instances with an on-demand base or share), and remember it. */
function allocate(ctx: DecideContext): void {
  const { now, policy, target } = ctx.input;
  const { memory, current, desired } = ctx;
  const period = longestPeriod(policy);
  if (coverApplies(policy, target)) {
    allocateWithCover(ctx);
    return;
  }
  if (desired === current) {
    memory.scaleEvents = pruneScaleEvents(memory.scaleEvents, now, period);
    if (ctx.holds.length === 0) ctx.reasons.push(`holding at ${replicas(current)}`);
    return;
  }
  const why = `${desired > current ? 'scale out' : 'scale in'} from ${current} to ${desired}: ${ctx.cause}`;
  ctx.actions =
    allocateSpread(ctx.ml!, memory.ml, desired, why) ??
    allocateMixed(ctx.ml!, memory.ml, desired, why) ??
    allocateHorizontal(target, ctx.ml!.observed, desired, why);
  memory.scaleEvents = [...pruneScaleEvents(memory.scaleEvents, now, period), [now, desired - current]];
  if (desired > current) memory.lastScaleOutAt = now;
  else memory.lastScaleInAt = now;
}

/**
 * The pool-loss cover (core/strategies/ml/pool-loss.ts) lays out every decision that reaches this step, a
 * change of the need or not: a pool's outage, or its return, changes the layout while the need stays.
 */
function allocateWithCover(ctx: DecideContext): void {
  const { now, policy } = ctx.input;
  const { memory, current, desired } = ctx;
  const period = longestPeriod(policy);
  const why =
    desired === current
      ? `holding at ${replicas(current)}`
      : `${desired > current ? 'scale out' : 'scale in'} from ${current} to ${desired}: ${ctx.cause}`;
  const caps = policy.spendCaps;
  const covered = allocateCovered(ctx.ml!, memory.ml, desired, why, ctx.hi, {
    spendCapped:
      caps.targetUsdPerHour !== null ||
      caps.targetUsdPerDay !== null ||
      caps.groupUsdPerHour !== null ||
      caps.groupUsdPerDay !== null,
    groupSpend: ctx.input.groupSpend,
    leavingPoolIds: ctx.leavingPoolIds,
  });
  ctx.actions = covered.actions;
  ctx.reasons.push(...covered.reasons);
  for (const item of covered.holds) hold(ctx, item);
  memory.ml = { ...memory.ml, coverNeed: desired };
  if (desired === current) {
    memory.scaleEvents = pruneScaleEvents(memory.scaleEvents, now, period);
    if (ctx.holds.length === 0 && covered.actions.length === 0) ctx.reasons.push(`holding at ${replicas(current)}`);
    return;
  }
  memory.scaleEvents = [...pruneScaleEvents(memory.scaleEvents, now, period), [now, desired - current]];
  if (desired > current) memory.lastScaleOutAt = now;
  else memory.lastScaleInAt = now;
}

/**
 * Replicas a spot notice named are drained and released near their deadline, or before a resize of their
 * pool (core/strategies/ml/noticed.ts); the releases go first, so the resize counts from what stays.
 */
function releaseNoticedStep(ctx: DecideContext): void {
  const { policy, observed, now } = ctx.input;
  const resized = new Set<string>();
  for (const action of ctx.actions) if (action.type === 'set-capacity') resized.add(action.poolId);
  const released = releaseNoticed(policy, ctx.memory.ml, observed!, now, resized);
  if (released.reasons.length === 0) return;
  ctx.memory.ml = released.ml;
  ctx.actions = [...released.actions, ...ctx.actions];
  ctx.reasons.push(...released.reasons);
}

/** Every decision with a snapshot reports its cost before and after; the spend caps clip whatever adds spend. */
function spendCaps(ctx: DecideContext): void {
  const { observed, now, target, policy, groupSpend } = ctx.input;
  if (!observed) return;
  const ml = ctx.ml ?? mlContext(now, target, policy, observed);
  const priced = applyCostAndCaps(ml, ctx.memory.ml, ctx.actions, groupSpend, ctx.leavingPoolIds);
  for (const item of priced.holds) hold(ctx, item);
  ctx.reasons.push(...priced.reasons);
  ctx.memory.ml = priced.ml;
  ctx.cost = priced.cost;
  if (priced.clipped) {
    ctx.actions = priced.actions;
    ctx.desired = priced.desiredCapacity;
  }
}

/** The steps of `decide`, in order. README's "The order of a decision" lists the same names (a test checks). */
export const DECIDE_STEPS: readonly DecideStep[] = [
  { name: 'fold-signal', run: foldSignal },
  { name: 'fresh-snapshot', run: freshSnapshot },
  { name: 'plan-bounds', run: planBounds },
  { name: 'ml-strategies', run: mlStrategies },
  { name: 'override', run: override },
  { name: 'recommend', run: recommendStep },
  { name: 'stabilize', run: stabilizeStep },
  { name: 'burst', run: burstStep },
  { name: 'wake', run: wake },
  { name: 'guards', run: guards },
  { name: 'look-ahead', run: lookAheadStep },
  { name: 'predictive', run: predictiveStep },
  { name: 'bounds', run: boundsStep },
  { name: 'allocate', run: allocate },
  { name: 'release-noticed', run: releaseNoticedStep },
  { name: 'spend-caps', run: spendCaps },
];

/** The names of {@link DECIDE_STEPS}, in order. */
export const DECIDE_STEP_NAMES: readonly string[] = DECIDE_STEPS.map((step) => step.name);

/** The step that runs even after the decision is settled. */
export const FINAL_STEP = 'spend-caps';

/** The decision the context came to. */
export function toDecision(ctx: DecideContext): Decision {
  const memory = ctx.memory;
  memory.lastDecisionAt = ctx.input.now;
  return {
    targetId: ctx.input.target.id,
    at: ctx.input.now,
    outcome: outcomeOf(ctx.actions),
    valid: ctx.valid,
    currentCapacity: ctx.current,
    desiredCapacity: ctx.desired,
    actions: ctx.actions,
    holds: ctx.holds,
    reasons: ctx.reasons,
    memory,
    ...(ctx.cost ? { cost: ctx.cost } : {}),
  };
}

function longestPeriod(policy: Policy): number {
  let longest = 0;
  for (const rule of policy.behavior.scaleUp.policies) longest = Math.max(longest, rule.periodSeconds);
  for (const rule of policy.behavior.scaleDown.policies) longest = Math.max(longest, rule.periodSeconds);
  return longest;
}

/** The kind of change, derived from the actions (never stored). */
function outcomeOf(actions: readonly Action[]): Decision['outcome'] {
  let outcome: Decision['outcome'] = 'hold';
  let launched = false;
  let shrunk = false;
  for (const action of actions) {
    if (action.type === 'request-checkpoint') return 'checkpoint';
    // ML: a launch that replaces a node (or moves capacity a pool could not give) is a replacement; one
    // for new demand (a training job) is a scale-out; an idle node's release is a scale-in.
    if (action.type === 'launch-capacity') {
      if (action.replacesInstanceId !== undefined) return 'replace';
      launched = true;
    }
    if (action.type === 'change-instance-type') outcome = typeChangeOutcome(action);
    if (action.type === 'set-capacity' && action.to < action.from) shrunk = true;
    if (action.type === 'set-capacity' && outcome === 'hold')
      outcome = action.to > action.from ? 'scale-out' : 'scale-in';
    if (action.type === 'drain-and-release') shrunk = true;
  }
  if (launched) return shrunk ? 'replace' : outcome === 'hold' ? 'scale-out' : outcome;
  if (shrunk && outcome === 'hold') return 'scale-in';
  return outcome;
}

function describeRules(rules: Policy['behavior']['scaleUp']): string {
  if (rules.selectPolicy === 'Disabled') return 'disabled';
  const parts = rules.policies.map(
    (rule) => `${rule.type === 'Percent' ? `${num(rule.value)} %` : replicas(rule.value)} per ${rule.periodSeconds} s`,
  );
  return `${rules.selectPolicy === 'Max' ? 'most generous of' : 'strictest of'} ${parts.join(', ')}`;
}
