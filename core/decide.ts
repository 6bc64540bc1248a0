import type { Action, Decision, Hold } from './decision.ts';
import { num, replicas, seconds } from './format.ts';
import { ingestSignal } from './fold-signal.ts';
import { recommend } from './recommend.ts';
import type { DecisionInput } from './schema/input.ts';
import { emptyMemory, type Memory } from './schema/memory.ts';
import type { Policy } from './schema/policy.ts';
import { allocateHorizontal } from './strategies/allocation.ts';
import { evaluateBurst } from './strategies/burst.ts';
import { pruneScaleEvents, scaleDownLimit, scaleUpLimit } from './strategies/rate-limit.ts';
import { evaluatePlans, type ActivePlan } from './strategies/schedule.ts';
import { stabilize } from './strategies/stabilization.ts';
import {
  allocateMixed,
  applyCostAndCaps,
  capacityAfter,
  decideMl,
  mlContext,
  typeChangeOutcome,
} from './strategies/ml/index.ts';

let blankMemory: Memory | undefined;

interface Log {
  reasons: string[];
  holds: Hold[];
}

function hold(log: Log, item: Hold): void {
  log.holds.push(item);
  log.reasons.push(item.reason);
}

function setLastDecisionAt(memory: Memory, now: number): Memory {
  memory.lastDecisionAt = now;
  return memory;
}

function finish(
  input: DecisionInput,
  log: Log,
  decision: Omit<Decision, 'targetId' | 'at' | 'holds' | 'reasons' | 'memory' | 'outcome'>,
  next: Memory,
  leavingPoolIds: readonly string[] = [],
): Decision {
  // ML: every decision reports its cost before and after; the spend caps clip whatever adds spend.
  let cost: Decision['cost'];
  if (input.observed) {
    const priced = applyCostAndCaps(
      mlContext(input.now, input.target, input.policy, input.observed),
      next.ml,
      decision.actions,
      input.groupSpend,
      leavingPoolIds,
    );
    for (const item of priced.holds) hold(log, item);
    log.reasons.push(...priced.reasons);
    next.ml = priced.ml;
    cost = priced.cost;
    if (priced.clipped) decision = { ...decision, actions: priced.actions, desiredCapacity: priced.desiredCapacity };
  }
  return {
    targetId: input.target.id,
    at: input.now,
    outcome: outcomeOf(decision.actions),
    ...decision,
    holds: log.holds,
    reasons: log.reasons,
    memory: setLastDecisionAt(next, input.now),
    ...(cost ? { cost } : {}),
  };
}

interface Bounds {
  lo: number;
  hi: number;
  notes: string[];
}

/** min/max from the policy, raised by every active plan's floor, lowered by the lowest plan ceiling. */
function bounds(policy: Policy, active: readonly ActivePlan[]): Bounds {
  let lo = policy.minCapacity;
  let hi = policy.maxCapacity;
  const notes: string[] = [];
  for (const plan of active) {
    notes.push(
      `plan ${plan.name} ${plan.phase === 'pre-warm' ? 'pre-warming for' : 'open'} ${plan.label}: floor ${plan.floor}${plan.ceiling !== undefined ? `, ceiling ${plan.ceiling}` : ''}`,
    );
    lo = Math.max(lo, plan.floor);
    if (plan.ceiling !== undefined) hi = Math.min(hi, plan.ceiling);
  }
  if (hi < lo) {
    notes.push(`a plan ceiling (${hi}) is below the highest floor (${lo}): the floor wins`);
    hi = lo;
  }
  return { lo, hi, notes };
}

function longestPeriod(policy: Policy): number {
  let longest = 0;
  for (const rule of policy.behavior.scaleUp.policies) longest = Math.max(longest, rule.periodSeconds);
  for (const rule of policy.behavior.scaleDown.policies) longest = Math.max(longest, rule.periodSeconds);
  return longest;
}

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

/**
 * The decision core's one entry point. Pure: the same input always gives the same decision.
 *
 * Order, each step explained in `reasons`:
 *  1. fold the signal into memory (samples, failures, alarm states, manual override);
 *  2. without a fresh capacity snapshot, hold (the decision is marked invalid);
 *  3. plans and the policy give the bounds [lo, hi];
 *  4. a manual override pins capacity (inside the bounds) and skips steps 5-8;
 *  5. strategies recommend (target tracking, step scaling; the largest wins; missing-metrics fallback);
 *  6. a target at zero with demand wakes to at least 1 at once;
 *  7. stabilization windows, then burst mode, then rate limits and cooldowns;
 *  8. the bounds are applied last: min/max and plan floors are promises the user made explicitly, and beat
 *     rate limits, cooldowns and stabilization.
 */
export function decide(input: DecisionInput): Decision {
  const { now, signal, target, policy, observed } = input;
  const reasons: string[] = [];
  const holds: Hold[] = [];
  // No closures on this path: under tsx each one costs a __name() call per decision.
  const log: Log = { reasons, holds };

  const ingested = ingestSignal(input.memory ?? (blankMemory ??= emptyMemory()), signal, policy, now);
  // `memory` is this call's own copy (ingestSignal returned a new object): fields are assigned, not re-spread.
  const memory: Memory = ingested.memory;
  reasons.push(...ingested.notes);
  for (const item of ingested.holds) hold(log, item);

  if (!observed) {
    hold(log, { rule: 'stale-data', reason: 'no capacity snapshot from the provider: holding, nothing is changed' });
    return finish(input, log, { valid: false, currentCapacity: 0, desiredCapacity: 0, actions: [] }, memory);
  }
  let current = 0;
  let ready = 0;
  for (const pool of observed.pools) {
    current += pool.desired;
    ready += pool.ready;
  }
  const snapshotAge = now - observed.observedAt;
  if (snapshotAge > policy.observedStaleAfterSeconds * 1000) {
    hold(log, {
      rule: 'stale-data',
      reason: `capacity snapshot is ${seconds(snapshotAge)} old (stale after ${policy.observedStaleAfterSeconds} s): holding at ${current}`,
    });
    return finish(
      input,
      log,
      { valid: false, currentCapacity: current, desiredCapacity: current, actions: [] },
      memory,
    );
  }

  const plans = evaluatePlans(policy.schedules, policy.calendars, memory.plans, now, input.exchangeOverrides);
  memory.plans = plans.cursors;
  reasons.push(...plans.notes);
  const { lo, hi, notes: boundNotes } = bounds(policy, plans.active);
  reasons.push(...boundNotes);

  let desired = current;
  let bypassGuards = false;
  /** The reason the actions will carry: what asked for the change. */
  let cause = '';
  // ML HOOK: spot interruptions, rebalance recommendations, capacity errors and job events are decided by
  // the ML strategies (core/strategies/ml) before the horizontal pipeline below. Training pools are decided
  // there entirely; an inference endpoint's type change (vertical/hybrid mode) or return to spot skips the
  // horizontal pipeline for this decision.
  const mlCtx = mlContext(now, target, policy, observed);
  const mlStep = decideMl(mlCtx, memory, signal, input.groupSpend);
  memory.ml = mlStep.ml;
  reasons.push(...mlStep.reasons);
  for (const item of mlStep.holds) hold(log, item);
  if (mlStep.handled) {
    const after = capacityAfter(mlCtx, mlStep.actions, mlStep.leavingPoolIds);
    return finish(
      input,
      log,
      { valid: true, currentCapacity: current, desiredCapacity: after, actions: mlStep.actions },
      memory,
      mlStep.leavingPoolIds,
    );
  }
  if (memory.override) {
    desired = memory.override.capacity;
    bypassGuards = true;
    cause = `manual override pins capacity at ${desired} (${memory.override.reason}); stabilization, rate limits and cooldowns do not apply`;
    reasons.push(cause);
  } else {
    const raw = recommend(policy, memory, signal, now, current, ready);
    memory.missing = raw.missing;
    reasons.push(...raw.notes);
    for (const item of raw.holds) hold(log, item);
    cause = raw.cause;
    if (raw.replicas !== undefined) {
      const behavior = policy.behavior;
      // Slow-booting replicas: buy only for demand that has lasted as long as a replica takes to boot.
      const bootWindow = policy.replicaBootSeconds ?? 0;
      const upWindow = Math.max(behavior.scaleUp.stabilizationWindowSeconds, bootWindow);
      const stable = stabilize(
        memory.recommendations,
        now,
        raw.replicas,
        current,
        upWindow,
        behavior.scaleDown.stabilizationWindowSeconds,
      );
      memory.recommendations = stable.recommendations;
      desired = stable.replicas;
      if (stable.heldBy) {
        const { direction, windowSeconds, bound, leftMs } = stable.heldBy;
        const why =
          direction === 'up' && bootWindow > behavior.scaleUp.stabilizationWindowSeconds
            ? ` (replicas boot in ${bootWindow} s: a shorter spike is over before they are ready)`
            : '';
        hold(log, {
          rule: 'stabilization',
          reason: `scale-${direction === 'up' ? 'out' : 'in'} held at ${desired}: ${seconds(leftMs)} left of the ${windowSeconds} s stabilization window after ${replicas(bound)} ${direction === 'up' ? 'was the lowest' : 'were'} recommended${why}`,
        });
      }
      const burst = evaluateBurst(
        policy.burst,
        memory.burst,
        now,
        raw.shortWindowDemand,
        ready,
        current,
        policy.replicaBootSeconds,
      );
      memory.burst = burst.state;
      if (burst.reason) reasons.push(burst.reason);
      if (burst.floor !== undefined && burst.floor > desired) cause = burst.reason ?? cause;
      if (current === 0 && raw.demand) {
        desired = Math.max(1, desired, raw.replicas);
        bypassGuards = true;
        cause = `scale from zero: demand wakes the target to ${desired} at once (${raw.cause})`;
        reasons.push(cause);
      }
      if (!bypassGuards) desired = applyGuards(policy, memory, now, current, desired, burst.floor, log);
    }
  }

  const unclamped = desired;
  desired = Math.min(hi, Math.max(lo, desired));
  if (desired !== unclamped) {
    const clamp = `${unclamped} is outside the bounds [${lo}, ${hi}] (${boundNotes.length > 0 ? boundNotes.join('; ') : `policy min ${policy.minCapacity}, max ${policy.maxCapacity}`}): ${desired}`;
    if (desired < unclamped) hold(log, { rule: 'bounds', reason: clamp });
    else reasons.push(clamp);
    cause = clamp;
  }

  let actions: Action[] = [];
  if (desired !== current) {
    const why = `${desired > current ? 'scale out' : 'scale in'} from ${current} to ${desired}: ${cause}`;
    // ML: with an on-demand base or share in the policy, the change is spread as a mixed-instances group.
    actions = allocateMixed(mlCtx, memory.ml, desired, why) ?? allocateHorizontal(target, observed, desired, why);
    memory.scaleEvents = [
      ...pruneScaleEvents(memory.scaleEvents, now, longestPeriod(policy)),
      [now, desired - current],
    ];
    if (desired > current) memory.lastScaleOutAt = now;
    else memory.lastScaleInAt = now;
  } else {
    memory.scaleEvents = pruneScaleEvents(memory.scaleEvents, now, longestPeriod(policy));
    if (holds.length === 0) reasons.push(`holding at ${replicas(current)}`);
  }
  return finish(input, log, { valid: true, currentCapacity: current, desiredCapacity: desired, actions }, memory);
}

/** Burst floor, rate limits and cooldowns, in that order. */
function applyGuards(
  policy: Policy,
  memory: Memory,
  now: number,
  current: number,
  stabilized: number,
  burstFloor: number | undefined,
  log: Log,
): number {
  let desired = stabilized;
  if (desired > current) {
    const limit = scaleUpLimit(current, memory.scaleEvents, now, policy.behavior.scaleUp);
    if (desired > limit) {
      hold(log, {
        rule: 'rate-limit',
        reason: `scale-out limited to ${limit} (wanted ${desired}) by the scale-up rate policy (${describeRules(policy.behavior.scaleUp)})`,
      });
      desired = Math.max(limit, current);
    }
    const cooldown = policy.cooldown.scaleOutSeconds * 1000;
    if (memory.lastScaleOutAt !== null && now - memory.lastScaleOutAt < cooldown && desired > current) {
      hold(log, {
        rule: 'cooldown',
        reason: `scale-out to ${desired} held: ${seconds(cooldown - (now - memory.lastScaleOutAt))} left of the ${policy.cooldown.scaleOutSeconds} s scale-out cooldown`,
      });
      desired = current;
    }
  } else if (desired < current) {
    const limit = scaleDownLimit(current, memory.scaleEvents, now, policy.behavior.scaleDown);
    if (desired < limit) {
      hold(log, {
        rule: 'rate-limit',
        reason: `scale-in limited to ${limit} (wanted ${desired}) by the scale-down rate policy (${describeRules(policy.behavior.scaleDown)})`,
      });
      desired = Math.min(limit, current);
    }
    const cooldown = policy.cooldown.scaleInSeconds * 1000;
    if (memory.lastScaleInAt !== null && now - memory.lastScaleInAt < cooldown && desired < current) {
      hold(log, {
        rule: 'cooldown',
        reason: `scale-in to ${desired} held: ${seconds(cooldown - (now - memory.lastScaleInAt))} left of the ${policy.cooldown.scaleInSeconds} s scale-in cooldown`,
      });
      desired = current;
    }
  }
  if (burstFloor !== undefined) {
    if (desired < current) {
      hold(log, { rule: 'burst', reason: `scale-in to ${desired} held: burst mode does not scale in` });
      desired = current;
    }
    // Burst demand is served at once: rate limits and cooldowns do not slow it.
    desired = Math.max(desired, burstFloor);
  }
  return desired;
}

function describeRules(rules: Policy['behavior']['scaleUp']): string {
  if (rules.selectPolicy === 'Disabled') return 'disabled';
  const parts = rules.policies.map(
    (rule) => `${rule.type === 'Percent' ? `${num(rule.value)} %` : replicas(rule.value)} per ${rule.periodSeconds} s`,
  );
  return `${rules.selectPolicy === 'Max' ? 'most generous of' : 'strictest of'} ${parts.join(', ')}`;
}
