import { isoTime, num, seconds } from './format.ts';
import type { Hold } from './decision.ts';
import type { Memory } from './schema/memory.ts';
import type { Policy } from './schema/policy.ts';
import type { Signal } from './schema/signal.ts';
import { addSample, isTracked, pruneSamples, sampleKeeping } from './strategies/metric-samples.ts';
import { dictFromEntries, own, withEntry } from './dictionary.ts';
import { stepsAgain } from './strategies/step-scaling.ts';

/** A signal stamped more than this after `now` is from a skewed clock: not used. */
export const FUTURE_SKEW_MS = 60_000;

export interface Ingested {
  memory: Memory;
  notes: string[];
  holds: Hold[];
  /** The signal says demand exists (used to wake a target at zero). */
  demand: boolean;
  /** Step alarms that step in this decision: a change into ALARM, or still in ALARM with the repeat interval passed. */
  stepping: string[];
}

const NO_FAILURES: Memory['missing'] = Object.freeze({ consecutive: 0, since: null }) as Memory['missing'];

function countFailure(memory: Memory, now: number): Memory['missing'] {
  return { consecutive: memory.missing.consecutive + 1, since: memory.missing.since ?? now };
}

interface SampleState {
  stepping: string[];
  memory: Memory;
  policy: Policy;
  signal: Signal;
  now: number;
  notes: string[];
  holds: Hold[];
}

/** Record a tracked metric's sample; returns whether it shows demand (a positive value). */
function recordSample(state: SampleState, metric: string, value: number): boolean {
  const { policy, signal, now } = state;
  if (!isTracked(policy, metric)) {
    state.notes.push(`${metric} ${num(value)} is not a metric this policy tracks: recorded nothing`);
    return false;
  }
  const age = now - signal.observedAt;
  if (age > policy.missingMetrics.staleAfterSeconds * 1000) {
    state.holds.push({
      rule: 'stale-data',
      reason: `${metric} sample is ${seconds(age)} old, stale after ${policy.missingMetrics.staleAfterSeconds} s: not used`,
    });
    return false;
  }
  // state.memory is ingestSignal's own fresh copy: assign, do not re-spread.
  state.memory.samples = addSample(
    state.memory.samples,
    metric,
    [signal.observedAt, value],
    now,
    sampleKeeping(policy, metric),
  );
  state.memory.missing = NO_FAILURES;
  return value > 0;
}

type AlarmEntry = Memory['alarms'][string];

/**
 * The stored entry for an alarm signal. A step alarm keeps its value and threshold (a later tick steps on
 * them while it stays in ALARM) and when it last stepped: a change into ALARM steps at once; the same
 * state delivered again (a re-read, a duplicate from another route) steps only after the repeat interval.
 */
function alarmEntry(state: SampleState, signal: Extract<Signal, { kind: 'alarm' }>): AlarmEntry {
  const prior = own(state.memory.alarms, signal.alarmName);
  const entry: AlarmEntry = { state: signal.state, at: signal.observedAt };
  const step = state.policy.stepScaling.find((candidate) => candidate.alarmName === signal.alarmName);
  if (!step) return entry;
  const value = signal.value ?? signal.datapoints?.at(-1) ?? (prior?.state === signal.state ? prior.value : undefined);
  const threshold = signal.threshold ?? (prior?.state === signal.state ? prior.threshold : undefined);
  if (value !== undefined) entry.value = value;
  if (threshold !== undefined) entry.threshold = threshold;
  if (prior?.steppedAt !== undefined) entry.steppedAt = prior.steppedAt;
  if (signal.state !== 'ALARM') return entry;
  const change = signal.previousState !== undefined ? signal.previousState !== 'ALARM' : prior?.state !== 'ALARM';
  const again = change
    ? undefined
    : stepsAgain(state.policy, step, { ...entry, at: prior?.state === 'ALARM' ? prior.at : entry.at }, state.now);
  if (again) state.notes.push(again.note);
  if (!again || again.due) {
    entry.steppedAt = state.now;
    state.stepping.push(signal.alarmName);
  }
  return entry;
}

/** The stored alarm states the policy's step-scaling rules read (the same object when that is all of them). */
function stepAlarmsOnly(alarms: Memory['alarms'], policy: Policy): Memory['alarms'] {
  const names = Object.keys(alarms);
  const read = (name: string) => policy.stepScaling.some((step) => step.alarmName === name);
  if (names.every(read)) return alarms;
  return dictFromEntries(names.filter(read).map((name) => [name, alarms[name]!] as const));
}

/** On a tick: every step alarm stored in ALARM, with a value and threshold, whose repeat interval has passed steps again. */
function stepAlarmsStillInAlarm(state: SampleState): Memory['alarms'] {
  let alarms = state.memory.alarms;
  for (const step of state.policy.stepScaling) {
    const entry = own(alarms, step.alarmName);
    if (entry?.state !== 'ALARM') continue;
    if (entry.value === undefined || entry.threshold === undefined) {
      state.notes.push(
        `alarm ${step.alarmName} is still in ALARM but its breach is unknown (no value or threshold stored): no step`,
      );
      continue;
    }
    const again = stepsAgain(state.policy, step, entry, state.now);
    state.notes.push(again.note);
    if (!again.due) continue;
    alarms = withEntry(alarms, step.alarmName, { ...entry, steppedAt: state.now });
    state.stepping.push(step.alarmName);
  }
  return alarms;
}

/**
 * A copy of `memory` with `samples` in place of its own. Field by field, in the schema's order (the order a
 * parsed memory has): `{ ...memory }` is a clone that V8 caches per hidden class, and the memories `decide`
 * meets (parsed, decided, with or without the look-ahead's points) have enough of them that the clone took
 * its slow path, a property at a time, on every decision (about 7 % of an inference decision). A memory with
 * look-ahead points or a predictive profile is spread as before: they sit after `samples` when parsed and
 * last when a decision added them, and the copy keeps that order.
 */
function copyMemory(memory: Memory, samples: Memory['samples']): Memory {
  if (memory.demand !== undefined || memory.profile !== undefined) return { ...memory, samples };
  return {
    v: memory.v,
    samples,
    recommendations: memory.recommendations,
    scaleEvents: memory.scaleEvents,
    lastScaleOutAt: memory.lastScaleOutAt,
    lastScaleInAt: memory.lastScaleInAt,
    burst: memory.burst,
    missing: memory.missing,
    override: memory.override,
    plans: memory.plans,
    alarms: memory.alarms,
    lastDecisionAt: memory.lastDecisionAt,
    ml: memory.ml,
  };
}

/**
 * Fold one signal into the memory: record tracked metric samples, count failed observations for the
 * missing-metrics fallback, remember alarm states and manual overrides. Pure: returns a new memory.
 */
export function ingestSignal(memory: Memory, signal: Signal, policy: Policy, now: number): Ingested {
  const notes: string[] = [];
  const holds: Hold[] = [];
  const fresh = signal.kind === 'metric' ? signal.metric : signal.kind === 'alarm' ? signal.metric : undefined;
  // One copy of the memory per decision; every change below assigns to it.
  const next = copyMemory(memory, pruneSamples(memory.samples, policy, now, fresh));
  let demand = false;
  if (signal.observedAt > now + FUTURE_SKEW_MS) {
    holds.push({
      rule: 'stale-data',
      reason: `signal from ${signal.source} is stamped ${seconds(signal.observedAt - now)} in the future: not used (clock skew?)`,
    });
    return { memory: next, notes, holds, demand, stepping: [] };
  }
  const stepping: string[] = [];
  const state: SampleState = { memory: next, policy, signal, now, notes, holds, stepping };
  switch (signal.kind) {
    case 'metric':
      if (recordSample(state, signal.metric, signal.value)) demand = true;
      break;
    case 'metric-failure':
      if (isTracked(policy, signal.metric)) {
        next.missing = countFailure(next, now);
        notes.push(
          `${signal.metric} could not be read (${signal.error}): failure ${next.missing.consecutive} of ${policy.missingMetrics.failureThreshold} before the fallback`,
        );
      }
      break;
    case 'alarm': {
      const stepAlarm = policy.stepScaling.some((step) => step.alarmName === signal.alarmName);
      // Only step-scaling rules read a stored alarm state: any other alarm name (a trigger's wildcard takes
      // any number of them) is used for its value now and not kept, so the memory stays bounded by the policy.
      next.alarms = stepAlarm
        ? withEntry(stepAlarmsOnly(next.alarms, policy), signal.alarmName, alarmEntry(state, signal))
        : stepAlarmsOnly(next.alarms, policy);
      const relevant = (signal.metric !== undefined && isTracked(policy, signal.metric)) || stepAlarm;
      if (signal.state === 'INSUFFICIENT_DATA' && relevant) {
        next.missing = countFailure(next, now);
        notes.push(
          `alarm ${signal.alarmName} has INSUFFICIENT_DATA: failure ${next.missing.consecutive} of ${policy.missingMetrics.failureThreshold} before the fallback`,
        );
        break;
      }
      const value = signal.value ?? signal.datapoints?.at(-1);
      if (signal.metric !== undefined && value !== undefined && recordSample(state, signal.metric, value))
        demand = true;
      if (signal.state === 'ALARM' && signal.comparison !== 'below') demand = true;
      break;
    }
    case 'manual-override':
      if (signal.capacity === null) {
        next.override = null;
        notes.push(`manual override cleared by ${signal.requestedBy ?? signal.source}: ${signal.reason}`);
      } else if (signal.expiresAt <= now) {
        holds.push({
          rule: 'override',
          reason: `manual override to ${signal.capacity} ignored: it expired ${seconds(now - signal.expiresAt)} ago`,
        });
      } else {
        next.override = { capacity: signal.capacity, expiresAt: signal.expiresAt, reason: signal.reason };
        notes.push(
          `manual override by ${signal.requestedBy ?? signal.source}: ${signal.capacity} until ${isoTime(signal.expiresAt)} (${signal.reason})`,
        );
      }
      break;
    case 'schedule-tick':
      next.alarms = stepAlarmsStillInAlarm(state);
      break;
    default:
      break;
  }
  if (next.override && next.override.expiresAt <= now) {
    notes.push(`manual override to ${next.override.capacity} expired ${seconds(now - next.override.expiresAt)} ago`);
    next.override = null;
  }
  return { memory: next, notes, holds, demand, stepping };
}
